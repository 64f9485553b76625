/** Parses `942100`, `942100-942199`, or several separated by spaces or commas. */
export function parseIdRanges(text: string): [number, number][] {
  const out: [number, number][] = [];
  for (const part of text.split(/[\s,]+/).filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new Error(`invalid rule id or range "${part}"`);
    out.push([Number(m[1]), Number(m[2] ?? m[1])]);
  }
  return out;
}
