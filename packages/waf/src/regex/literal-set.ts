/**
 * A case-insensitive search for any of several literal strings, on V8's regex engine. A pure
 * alternation of escaped literals cannot backtrack catastrophically (its cost is bounded by
 * input length times pattern size) and V8 scans it far faster than a JS automaton.
 */
export function literalSet(literals: readonly string[]): RegExp {
  const unique = [...new Set(literals)].sort((a, b) => b.length - a.length);
  return new RegExp(unique.map((l) => l.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&')).join('|'), 'i');
}
