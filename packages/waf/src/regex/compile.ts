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

function re2(pattern: string, source: string, flags: number): Regex {
  const translated = pcreToRe2(pattern);
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
 * 942130, 953100). Those run on V8's RegExp; the 64 KB hostile-input test covers them.
 * Node 20's RegExp has no inline-flag groups, so a pattern wrapped whole in `(?i:…)` or
 * starting with `(?i)` gets the `i` flag instead.
 */
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
  return {
    source: pattern,
    engine: 'backtracking',
    test: (input) => re.test(input),
    exec: (input) => {
      const m = re.exec(input);
      return m ? [...m] : null;
    },
  };
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
