/**
 * Rewrites a PCRE pattern (as CRS writes them) into RE2 syntax with the same meaning for
 * matching purposes, so that it can run on a linear-time engine.
 *
 * - possessive quantifiers (`a++`, `a*+`, `a?+`, `a{2}+`) become greedy ones and atomic groups
 *   `(?>…)` plain groups: both only prune backtracking, which RE2 never does, so the set of
 *   strings that match is unchanged for the patterns CRS uses;
 * - `\Z` (end or before a final newline) becomes `(?:\n?\z)`;
 * - escapes RE2 lacks are spelled out: `\h`, `\H`, `\v`, `\V`, `\R`, `\e`, `\cX`, `\xH`, octal,
 *   `\b` inside a class (backspace);
 * - inside a class, a `-` next to a class escape (`[\w-.]`) and a lone `[` are escaped;
 * - `(?#…)` comments are dropped, `(?<name>` becomes `(?P<name>`;
 * - a `{` that does not start a valid repetition is escaped (PCRE reads it literally).
 * Lookaround, backreferences, `\G` and `\K` have no RE2 equivalent: they raise an error.
 */
export class UnsupportedPcreError extends Error {}

const HEX = /^[0-9a-fA-F]$/;
const QUANT = /^\{(\d+)(,(\d*))?\}/;

function hexByte(code: number): string {
  return `\\x{${code.toString(16)}}`;
}

const SHORTHAND_SETS: Record<string, string> = {
  h: '\\t \\x{a0}',
  v: '\\n\\x{b}\\f\\r\\x{85}',
};

const CLASS_ESCAPES = new Set(['d', 'D', 'w', 'W', 's', 'S', 'h', 'H', 'v', 'V', 'p', 'P']);

/** Reads one escape starting at pattern[i] === '\\'. Returns RE2 text and new index. */
function translateEscape(p: string, i: number, inClass: boolean): { out: string; next: number; classEscape: boolean } {
  const c = p[i + 1];
  if (c === undefined) throw new UnsupportedPcreError('pattern ends with a backslash');
  const two = { next: i + 2, classEscape: false };
  switch (c) {
    case 'Z':
      if (inClass) throw new UnsupportedPcreError('\\Z inside a character class');
      return { ...two, out: '(?:\\n?\\z)' };
    case 'h':
    case 'v':
      return { next: i + 2, classEscape: true, out: inClass ? SHORTHAND_SETS[c]! : `[${SHORTHAND_SETS[c]}]` };
    case 'H':
    case 'V':
      if (inClass) throw new UnsupportedPcreError(`\\${c} inside a character class`);
      return { next: i + 2, classEscape: true, out: `[^${SHORTHAND_SETS[c.toLowerCase()]}]` };
    case 'R':
      if (inClass) throw new UnsupportedPcreError('\\R inside a character class');
      return { ...two, out: '(?:\\r\\n|[\\n\\x{b}\\f\\r\\x{85}])' };
    case 'e':
      return { ...two, out: '\\x{1b}' };
    case 'a':
      return { ...two, out: '\\x{7}' };
    case 'b':
      return inClass ? { ...two, out: '\\x{8}' } : { ...two, out: '\\b' };
    case 'c': {
      const ctl = p[i + 2];
      if (ctl === undefined) throw new UnsupportedPcreError('\\c at end of pattern');
      return { next: i + 3, classEscape: false, out: hexByte(ctl.toUpperCase().charCodeAt(0) ^ 0x40) };
    }
    case 'x': {
      if (p[i + 2] === '{') {
        const end = p.indexOf('}', i + 3);
        if (end < 0) throw new UnsupportedPcreError('unterminated \\x{');
        return { next: end + 1, classEscape: false, out: hexByte(parseInt(p.slice(i + 3, end) || '0', 16)) };
      }
      let j = i + 2;
      let digits = '';
      while (digits.length < 2 && j < p.length && HEX.test(p[j]!)) digits += p[j++];
      return { next: j, classEscape: false, out: hexByte(digits ? parseInt(digits, 16) : 0) };
    }
    case 'G':
    case 'K':
      throw new UnsupportedPcreError(`\\${c} is not supported by RE2`);
    default:
      break;
  }
  if (c >= '0' && c <= '9') {
    if (c !== '0' && !inClass) throw new UnsupportedPcreError('backreferences are not supported by RE2');
    let j = i + 1;
    let digits = '';
    while (digits.length < 3 && j < p.length && p[j]! >= '0' && p[j]! <= '7') digits += p[j++];
    if (!digits) throw new UnsupportedPcreError(`\\${c} is not supported`);
    return { next: j, classEscape: false, out: hexByte(parseInt(digits, 8) & 0xff) };
  }
  if (/[A-Za-z]/.test(c)) return { next: i + 2, classEscape: CLASS_ESCAPES.has(c), out: `\\${c}` };
  // Escaped punctuation or a byte: RE2 accepts escaped punctuation; other bytes go literal.
  const code = c.charCodeAt(0);
  if (code < 0x21 || code > 0x7e) return { ...two, out: hexByte(code) };
  return { ...two, out: `\\${c}` };
}

/** Translates a `[...]` class starting at pattern[i] === '['. */
function translateClass(p: string, i: number): { out: string; next: number } {
  let j = i + 1;
  let out = '[';
  if (p[j] === '^') {
    out += '^';
    j++;
  }
  // Items: literal text or class escapes; remember the kind of the previous item.
  let prevWasClassEscape = false;
  let first = true;
  while (j < p.length) {
    const c = p[j]!;
    if (c === ']' && !first) return { out: out + ']', next: j + 1 };
    first = false;
    if (c === '[') {
      const posix = /^\[:\^?[a-z]+:\]/.exec(p.slice(j));
      if (posix) {
        out += posix[0];
        j += posix[0].length;
        prevWasClassEscape = true;
        continue;
      }
      out += '\\[';
      j++;
      prevWasClassEscape = false;
      continue;
    }
    if (c === '\\') {
      const esc = translateEscape(p, j, true);
      out += esc.out;
      j = esc.next;
      prevWasClassEscape = esc.classEscape;
      continue;
    }
    if (c === '-') {
      const next = p[j + 1];
      const nextIsClassEscape = next === '\\' && CLASS_ESCAPES.has(p[j + 2] ?? '');
      out += prevWasClassEscape || nextIsClassEscape || next === ']' ? '\\-' : '-';
      j++;
      prevWasClassEscape = false;
      continue;
    }
    const code = c.charCodeAt(0);
    out += code < 0x20 || code > 0x7e ? hexByte(code) : c;
    j++;
    prevWasClassEscape = false;
  }
  throw new UnsupportedPcreError('unterminated character class');
}

export function pcreToRe2(pattern: string): string {
  let out = '';
  let i = 0;
  // True right after something a quantifier can apply to ended with a quantifier.
  let afterQuantifier = false;
  while (i < pattern.length) {
    const c = pattern[i]!;
    if (c === '\\') {
      const esc = translateEscape(pattern, i, false);
      out += esc.out;
      i = esc.next;
      afterQuantifier = false;
      continue;
    }
    if (c === '[') {
      const cls = translateClass(pattern, i);
      out += cls.out;
      i = cls.next;
      afterQuantifier = false;
      continue;
    }
    if (c === '(' && pattern[i + 1] === '?') {
      const rest = pattern.slice(i + 2, i + 5);
      if (rest.startsWith('#')) {
        const end = pattern.indexOf(')', i);
        if (end < 0) throw new UnsupportedPcreError('unterminated comment');
        i = end + 1;
        continue;
      }
      if (rest.startsWith('>')) {
        out += '(?:';
        i += 3;
        afterQuantifier = false;
        continue;
      }
      if (rest.startsWith('=') || rest.startsWith('!') || rest.startsWith('<=') || rest.startsWith('<!')) {
        throw new UnsupportedPcreError('lookaround is not supported by RE2');
      }
      if (rest.startsWith('<')) {
        out += '(?P<';
        i += 3;
        afterQuantifier = false;
        continue;
      }
    }
    if (c === '*' || c === '+' || c === '?') {
      if (c === '+' && afterQuantifier) {
        i++; // possessive marker
        afterQuantifier = false;
        continue;
      }
      out += c;
      i++;
      // `a+?` is lazy: the `?` belongs to the quantifier and ends it.
      if (afterQuantifier && c === '?') {
        afterQuantifier = false;
        continue;
      }
      afterQuantifier = true;
      continue;
    }
    if (c === '{') {
      const q = QUANT.exec(pattern.slice(i));
      if (q) {
        out += q[0];
        i += q[0].length;
        afterQuantifier = true;
        continue;
      }
      out += '\\{';
      i++;
      afterQuantifier = false;
      continue;
    }
    const code = c.charCodeAt(0);
    out += code < 0x20 || code > 0x7e ? hexByte(code) : c;
    i++;
    afterQuantifier = false;
  }
  return out;
}
