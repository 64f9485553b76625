/**
 * Required-literal prefilter for a regular expression (the idea of RE2's FilteredRE2):
 * from the pattern's syntax, find a set of strings one of which must occur in any input the
 * pattern matches. Inputs containing none of them are rejected without running the regex.
 * Literals are searched case-insensitively, so the filter is valid for case-sensitive and
 * case-insensitive patterns alike; it only rejects, never accepts.
 *
 * Works on the RE2 syntax produced by pcreToRe2 (escapes already normalised).
 */

/** What a piece of pattern can match: `exact` all strings (when few), `any` one-of-these-occurs. */
interface Info {
  readonly exact: string[] | null;
  readonly any: string[] | null;
}

const NONE: Info = { exact: null, any: null };
const EMPTY: Info = { exact: [''], any: null };
const MAX_EXACT = 16;
const MAX_ALTERNATION = 512;

const SIMPLE_ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', f: '\f', v: '\v', a: '\x07' };

/**
 * A literal character. Case is handled by the caller's case-insensitive search, which for
 * Latin-1 input accepts at least what RE2's case folding would.
 */
function lit(c: string): Info {
  const lower = c.toLowerCase();
  return { exact: [lower], any: [lower] };
}

function unique(list: string[]): string[] {
  return [...new Set(list)];
}

function score(set: string[] | null): number {
  if (!set || set.length === 0) return 0;
  let min = Infinity;
  for (const s of set) min = Math.min(min, s.length);
  return min === 0 ? 0 : min * 1000 - set.length;
}

function best(a: string[] | null, b: string[] | null): string[] | null {
  return score(b) > score(a) ? b : a;
}

class Parser {
  private i = 0;
  constructor(private readonly p: string) {}

  parse(): Info {
    const info = this.alternation();
    if (this.i !== this.p.length) throw new Error('unbalanced pattern');
    return info;
  }

  private alternation(): Info {
    const branches = [this.concatenation()];
    while (this.p[this.i] === '|') {
      this.i++;
      branches.push(this.concatenation());
    }
    if (branches.length === 1) return branches[0]!;
    let exact: string[] | null = [];
    let any: string[] | null = [];
    for (const b of branches) {
      exact = exact && b.exact ? exact.concat(b.exact) : null;
      const req = b.any ?? b.exact;
      any = any && req && score(req) > 0 ? any.concat(req) : null;
    }
    exact = exact ? unique(exact) : null;
    if (exact && exact.length > MAX_ALTERNATION) exact = null;
    any = any ? unique(any) : null;
    if (any && any.length > MAX_ALTERNATION) any = null;
    return { exact, any };
  }

  private concatenation(): Info {
    let current: string[] | null = [''];
    let bestAny: string[] | null = null;
    let allExact = true;
    const flush = () => {
      if (current) bestAny = best(bestAny, current);
    };
    while (this.i < this.p.length && this.p[this.i] !== '|' && this.p[this.i] !== ')') {
      const item = this.repeat();
      if (item.exact && current && current.length * item.exact.length <= MAX_EXACT) {
        const next: string[] = [];
        for (const a of current) for (const b of item.exact) next.push(a + b);
        current = unique(next);
        continue;
      }
      flush();
      allExact = false;
      bestAny = best(bestAny, item.any ?? item.exact);
      current = item.exact;
    }
    flush();
    return { exact: allExact ? current : null, any: bestAny };
  }

  private repeat(): Info {
    let info = this.atom();
    for (;;) {
      const c = this.p[this.i];
      let min: number;
      let max: number;
      if (c === '*' || c === '+' || c === '?') {
        this.i++;
        [min, max] = c === '*' ? [0, Infinity] : c === '+' ? [1, Infinity] : [0, 1];
      } else if (c === '{') {
        const m = /^\{(\d+)(,(\d*))?\}/.exec(this.p.slice(this.i));
        if (!m) return info;
        this.i += m[0].length;
        min = Number(m[1]);
        max = m[2] === undefined ? min : m[3] ? Number(m[3]) : Infinity;
      } else return info;
      if (this.p[this.i] === '?') this.i++; // lazy
      if (min === 0) info = max === 1 && info.exact ? { exact: unique(['', ...info.exact]), any: null } : NONE;
      else if (!(min === 1 && max === 1)) info = { exact: null, any: info.any ?? info.exact };
    }
  }

  private atom(): Info {
    const p = this.p;
    const c = p[this.i]!;
    if (c === '(') return this.group();
    if (c === '[') return this.charClass();
    if (c === '\\') return this.escape();
    this.i++;
    if (c === '.') return NONE;
    if (c === '^' || c === '$') return EMPTY;
    return lit(c);
  }

  private group(): Info {
    const p = this.p;
    this.i++; // (
    if (p[this.i] === '?') {
      const flagsOnly = /^\?[a-zA-Z-]*\)/.exec(p.slice(this.i));
      if (flagsOnly) {
        this.i += flagsOnly[0].length;
        return EMPTY;
      }
      const prefix = /^\?(?:P<[^>]+>|[a-zA-Z-]*:)/.exec(p.slice(this.i));
      if (!prefix) throw new Error('unknown group syntax');
      this.i += prefix[0].length;
    }
    const inner = this.alternation();
    if (p[this.i] !== ')') throw new Error('unterminated group');
    this.i++;
    return inner;
  }

  private escape(): Info {
    const p = this.p;
    const e = p[this.i + 1]!;
    if (e === 'x' && p[this.i + 2] === '{') {
      const end = p.indexOf('}', this.i);
      const ch = String.fromCharCode(parseInt(p.slice(this.i + 3, end), 16));
      this.i = end + 1;
      return lit(ch);
    }
    if (e === 'Q') {
      const end = p.indexOf('\\E', this.i + 2);
      const text = end < 0 ? p.slice(this.i + 2) : p.slice(this.i + 2, end);
      this.i = end < 0 ? p.length : end + 2;
      const lower = text.toLowerCase();
      return { exact: [lower], any: [lower] };
    }
    this.i += 2;
    if (e === 'b' || e === 'B' || e === 'A' || e === 'z') return EMPTY;
    if (e === 'p' || e === 'P') {
      if (p[this.i] === '{') this.i = p.indexOf('}', this.i) + 1;
      else this.i++;
      return NONE;
    }
    if (/[dDwWsS]/.test(e)) return NONE;
    if (SIMPLE_ESCAPES[e] !== undefined) return lit(SIMPLE_ESCAPES[e]);
    return lit(e);
  }

  /** Small positive classes like `["']` are a set of literals; others match anything. */
  private charClass(): Info {
    const p = this.p;
    let j = this.i + 1;
    const negated = p[j] === '^';
    if (negated) j++;
    const chars: string[] = [];
    let simple = !negated;
    let first = true;
    while (j < p.length && (p[j] !== ']' || first)) {
      first = false;
      if (p[j] === '[' && p[j + 1] === ':') {
        j = p.indexOf(':]', j) + 2;
        simple = false;
        continue;
      }
      let ch: string;
      if (p[j] === '\\') {
        const e = p[j + 1]!;
        if (e === 'x' && p[j + 2] === '{') {
          const end = p.indexOf('}', j);
          ch = String.fromCharCode(parseInt(p.slice(j + 3, end), 16));
          j = end + 1;
        } else {
          j += 2;
          if (/[dDwWsSpP]/.test(e)) {
            simple = false;
            if ((e === 'p' || e === 'P') && p[j] === '{') j = p.indexOf('}', j) + 1;
            continue;
          }
          ch = SIMPLE_ESCAPES[e] ?? e;
        }
      } else ch = p[j++]!;
      if (p[j] === '-' && p[j + 1] !== ']') {
        j++;
        let to: string;
        if (p[j] === '\\' && p[j + 1] === 'x' && p[j + 2] === '{') {
          const end = p.indexOf('}', j);
          to = String.fromCharCode(parseInt(p.slice(j + 3, end), 16));
          j = end + 1;
        } else if (p[j] === '\\') {
          to = SIMPLE_ESCAPES[p[j + 1]!] ?? p[j + 1]!;
          j += 2;
        } else to = p[j++]!;
        const span = to.charCodeAt(0) - ch.charCodeAt(0);
        if (span < 0 || span > 12) simple = false;
        else for (let k = 0; k <= span; k++) chars.push(String.fromCharCode(ch.charCodeAt(0) + k));
        continue;
      }
      chars.push(ch);
    }
    this.i = j + 1;
    if (!simple) return NONE;
    const set = unique(chars.map((c) => c.toLowerCase()));
    return set.length <= 8 ? { exact: set, any: set } : NONE;
  }
}

/**
 * Literals of which at least one occurs (ASCII case-insensitively) in every match of the
 * pattern, or null when no useful set exists.
 */
export function requiredLiterals(re2Pattern: string): string[] | null {
  let info: Info;
  try {
    info = new Parser(re2Pattern).parse();
  } catch {
    return null;
  }
  const set = info.any ?? info.exact;
  return score(set) > 0 ? set : null;
}
