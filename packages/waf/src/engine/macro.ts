/**
 * A string with `%{VARIABLE}` / `%{COLLECTION.key}` references, split once at load time.
 */
export type MacroPart = string | { readonly variable: string; readonly key?: string };

export interface Macro {
  readonly text: string;
  readonly parts: readonly MacroPart[];
  /** True when there is nothing to expand. */
  readonly literal: boolean;
}

const REF = /%\{([^}]+)\}/g;

export function parseMacro(text: string): Macro {
  const parts: MacroPart[] = [];
  let last = 0;
  for (const m of text.matchAll(REF)) {
    if (m.index! > last) parts.push(text.slice(last, m.index));
    const ref = m[1]!;
    const dot = ref.indexOf('.');
    const colon = ref.indexOf(':');
    const sep = dot < 0 ? colon : colon < 0 ? dot : Math.min(dot, colon);
    parts.push(sep < 0 ? { variable: ref.toUpperCase() } : { variable: ref.slice(0, sep).toUpperCase(), key: ref.slice(sep + 1) });
    last = m.index! + m[0].length;
  }
  if (last < text.length) parts.push(text.slice(last));
  return { text, parts, literal: parts.every((p) => typeof p === 'string') };
}
