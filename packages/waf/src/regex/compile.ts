import { RE2JS } from 're2js';
import { pcreToRe2, UnsupportedPcreError } from './pcre-to-re2';
import { requiredLiterals } from './prefilter';
import { literalSet } from './literal-set';

/** A compiled pattern. */
export interface Regex {
  readonly source: string;
  /** 're2' runs in linear time; 'backtracking' is V8's engine, used only where RE2 cannot be. */
  readonly engine: 're2' | 'backtracking';
  test(input: string): boolean;
  /** Whole match and capture groups (undefined for groups that did not take part), or null. */
  exec(input: string): (string | undefined)[] | null;
}

/** The literals one of which must occur (`/union|select/i`), checked before re2js runs. */
function literalPrefilter(re2Pattern: string): RegExp | undefined {
  const literals = requiredLiterals(re2Pattern);
  return literals ? literalSet(literals) : undefined;
}

/**
 * Patterns so simple that string operations answer them exactly: `^.*$` under DOTALL (always
 * matches, whole input), `^$`, and a plain literal, optionally anchored at the start. They save a
 * re2js call (~2 µs) each; CRS evaluates `^.*$` on every header name.
 */
function trivial(translated: string, source: string, flags: number): Regex | undefined {
  const dotall = (flags & RE2JS.DOTALL) !== 0;
  const multiline = (flags & RE2JS.MULTILINE) !== 0;
  if (dotall && translated === '^.*$') {
    return { source, engine: 're2', test: () => true, exec: (input) => [input] };
  }
  if (translated === '^$') {
    // An empty line: the empty input, or (multi-line) a line break at either end or doubled.
    const empty = multiline
      ? (input: string) => input === '' || input[0] === '\n' || input.endsWith('\n') || input.includes('\n\n')
      : (input: string) => input === '';
    return { source, engine: 're2', test: empty, exec: (input) => (empty(input) ? [''] : null) };
  }
  const m = /^(\^?)([A-Za-z0-9_ ,:;=/-]+)$/.exec(translated);
  if (!m) return undefined;
  const fold = (flags & RE2JS.CASE_INSENSITIVE) !== 0;
  const literal = fold ? m[2]!.toLowerCase() : m[2]!;
  const anchored = m[1] === '^';
  const find = (input: string): number => {
    const s = fold ? input.toLowerCase() : input;
    if (!anchored) return s.indexOf(literal);
    if (s.startsWith(literal)) return 0;
    if (!multiline) return -1;
    const at = s.indexOf(`\n${literal}`);
    return at < 0 ? -1 : at + 1;
  };
  return {
    source,
    engine: 're2',
    test: (input) => find(input) >= 0,
    exec: (input) => {
      const at = find(input);
      return at < 0 ? null : [input.slice(at, at + literal.length)];
    },
  };
}

function re2(pattern: string, source: string, flags: number): Regex {
  const translated = pcreToRe2(pattern);
  const simple = trivial(translated, source, flags);
  if (simple) return simple;
  const re = RE2JS.compile(translated, flags);
  const pre = literalPrefilter(translated);
  // exec needs re2js's capture-tracking engine, several times slower than the DFA behind
  // test(): most inputs do not match, so test first.
  const exec = (input: string) => (re.test(input) ? (re.exec(input) as (string | undefined)[] | null) : null);
  if (!pre) return { source, engine: 're2', test: (input) => re.test(input), exec };
  return {
    source,
    engine: 're2',
    test: (input) => pre.test(input) && re.test(input),
    exec: (input) => (pre.test(input) ? exec(input) : null),
  };
}

/**
 * Lookaround and backreferences have no RE2 form (3 of CRS 3.3.4's 265 patterns: 920120,
 * 942130, 953100). Those run on V8's backtracking RegExp, fenced in two ways:
 * - a linear-time RE2 pre-check of the same pattern with lookarounds dropped and
 *   backreferences widened to `.*` (it accepts a superset), so most inputs never reach V8;
 * - inputs longer than WINDOW are searched in overlapping WINDOW-sized slices, which bounds
 *   the worst case to O(length × WINDOW) — like PCRE's match limit in ModSecurity, it trades
 *   matches longer than the overlap for bounded time.
 * Node 20's RegExp has no inline-flag groups, so a pattern wrapped whole in `(?i:…)` or
 * starting with `(?i)` gets the `i` flag instead.
 */
const WINDOW = 2048;
const OVERLAP = 512;

function backtracking(pattern: string, flags: string): Regex {
  let p = pattern;
  let f = flags;
  const wrapped = /^\(\?i:([\s\S]*)\)$/.exec(p);
  if (wrapped && balanced(wrapped[1]!)) {
    p = wrapped[1]!;
    f += 'i';
  } else if (p.startsWith('(?i)')) {
    p = p.slice(4);
    f += 'i';
  }
  const re = new RegExp(p.replace(/([*+?}])\+/g, '$1'), f);
  const approx = approximation(pattern);
  const search = (input: string): RegExpExecArray | null => {
    if (approx && !approx.test(input)) return null;
    if (input.length <= WINDOW) return re.exec(input);
    for (let start = 0; start < input.length; start += WINDOW - OVERLAP) {
      const m = re.exec(input.slice(start, start + WINDOW));
      if (m) return m;
      if (start + WINDOW >= input.length) break;
    }
    return null;
  };
  return {
    source: pattern,
    engine: 'backtracking',
    test: (input) => search(input) !== null,
    exec: (input) => {
      const m = search(input);
      return m ? [...m] : null;
    },
  };
}

/** The pattern without lookarounds and with backreferences as `.*`: RE2 can run it. */
function approximation(pattern: string): Regex | undefined {
  let out = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\') {
      const n = pattern[i + 1] ?? '';
      out += !inClass && /[1-9]/.test(n) ? '.*' : c + n;
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      if (pattern[i + 1] === '^') out += pattern[++i];
      if (pattern[i + 1] === ']') out += pattern[++i];
      continue;
    }
    if (c === '(' && /^\(\?(?:=|!|<=|<!)/.test(pattern.slice(i, i + 4))) {
      i = closingParen(pattern, i);
      continue;
    }
    out += c;
  }
  try {
    return re2(out, out, RE2JS.DOTALL | RE2JS.MULTILINE);
  } catch {
    return undefined;
  }
}

/** Index of the `)` closing the group that opens at `open`. */
function closingParen(p: string, open: number): number {
  let depth = 0;
  let inClass = false;
  for (let i = open; i < p.length; i++) {
    const c = p[i];
    if (c === '\\') i++;
    else if (inClass) inClass = c !== ']';
    else if (c === '[') inClass = true;
    else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i;
  }
  return p.length;
}

function balanced(p: string): boolean {
  let depth = 0;
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === '\\') i++;
    else if (c === '(') depth++;
    else if (c === ')' && --depth < 0) return false;
  }
  return depth === 0;
}

/**
 * Compiles a PCRE pattern with the flags ModSecurity v3 uses (PCRE_DOTALL | PCRE_MULTILINE):
 * `.` matches newlines, `^`/`$` also match at line breaks.
 */
export function compilePcre(pattern: string): Regex {
  try {
    return re2(pattern, pattern, RE2JS.DOTALL | RE2JS.MULTILINE);
  } catch (e) {
    if (e instanceof UnsupportedPcreError) return backtracking(pattern, 'sm');
    throw e;
  }
}

/** Compiles a selector pattern (`ARGS:/^id_/`) without ModSecurity's implicit flags. */
export function compilePlain(pattern: string, caseInsensitive = false): Regex {
  return re2(pattern, pattern, caseInsensitive ? RE2JS.CASE_INSENSITIVE : 0);
}
