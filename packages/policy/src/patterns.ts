// Istio's value syntax: exact `abc`, prefix `abc*`, suffix `*abc`, presence `*`.

export type Pattern =
  | { kind: 'exact'; text: string }
  | { kind: 'prefix'; text: string }
  | { kind: 'suffix'; text: string }
  | { kind: 'presence' };

export function parsePattern(value: string): Pattern {
  if (value === '*') return { kind: 'presence' };
  if (value.startsWith('*')) return { kind: 'suffix', text: value.slice(1) };
  if (value.endsWith('*')) return { kind: 'prefix', text: value.slice(0, -1) };
  return { kind: 'exact', text: value };
}

/** A problem with the wildcard placement, or undefined. A `*` in the middle would match literally. */
export function checkWildcards(value: string): string | undefined {
  const inner = value.length > 1 ? value.slice(1, -1) : '';
  if (inner.includes('*') || value === '**') return `"${value}": "*" is only supported alone, as a prefix or as a suffix`;
  return undefined;
}

/**
 * Istio semantics on a value that may be absent. `presence` means present for headers
 * (Envoy present_match) and non-empty elsewhere (Istio emits the regex `.+`).
 */
export function matchPattern(pattern: Pattern, value: string | undefined, options: { ignoreCase?: boolean; presenceAllowsEmpty?: boolean } = {}): boolean {
  if (value === undefined) return false;
  const fold = options.ignoreCase ? (s: string) => s.toLowerCase() : (s: string) => s;
  switch (pattern.kind) {
    case 'presence':
      return options.presenceAllowsEmpty === true || value !== '';
    case 'exact':
      return fold(value) === fold(pattern.text);
    case 'prefix':
      return fold(value).startsWith(fold(pattern.text));
    case 'suffix':
      return fold(value).endsWith(fold(pattern.text));
  }
}
