import { SecLangError } from './errors';

/** One configuration directive with its arguments, unquoted. */
export interface Directive {
  readonly name: string;
  readonly args: string[];
  readonly file: string;
  readonly line: number;
}

/**
 * Splits configuration text into directives: `#` comment lines are skipped, a line ending in
 * a backslash continues on the next one (the backslash and newline are removed), and
 * arguments are split on whitespace with "double" or 'single' quoting.
 */
export function lex(text: string, file: string): Directive[] {
  const lines = text.split(/\r?\n/);
  const out: Directive[] = [];
  for (let i = 0; i < lines.length; i++) {
    const startLine = i + 1;
    let logical = lines[i]!;
    if (/^\s*#/.test(logical)) continue;
    while (logical.endsWith('\\') && i + 1 < lines.length) {
      logical = logical.slice(0, -1) + lines[++i]!;
    }
    if (!logical.trim()) continue;
    const args = splitArguments(logical, file, startLine);
    const name = args.shift()!;
    out.push({ name, args, file, line: startLine });
  }
  return out;
}

/**
 * Arguments are unescaped as Apache's config reader does (and ModSecurity after it): `\\`
 * becomes one backslash and, inside quotes, `\"` a quote; every other backslash stays for the
 * regex (CRS writes a literal backslash in a pattern as `\\\\`).
 */
export function splitArguments(line: string, file: string, lineNo: number): string[] {
  const args: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && /\s/.test(line[i]!)) i++;
    if (i >= line.length) break;
    const quote = line[i];
    if (quote === '"' || quote === "'") {
      let value = '';
      let j = i + 1;
      for (;;) {
        if (j >= line.length) throw new SecLangError(`unterminated ${quote} quote`, file, lineNo);
        const c = line[j]!;
        if (c === '\\' && (line[j + 1] === quote || line[j + 1] === '\\')) {
          value += line[j + 1];
          j += 2;
          continue;
        }
        if (c === quote) break;
        value += c;
        j++;
      }
      args.push(value);
      i = j + 1;
    } else {
      let j = i;
      while (j < line.length && !/\s/.test(line[j]!)) j++;
      args.push(line.slice(i, j).replace(/\\\\/g, '\\'));
      i = j;
    }
  }
  return args;
}
