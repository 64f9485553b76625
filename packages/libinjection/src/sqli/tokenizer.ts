/**
 * The SQL tokenizer: libinjection's `libinjection_sqli_tokenize` and its per-character
 * parsers, re-implemented over a byte string (see ../bytes.ts).
 */
import { lookupWord } from './data';
import { Flag, SqliToken, TokenType } from './token';

/** Number of tokens kept for a fingerprint. */
export const MAX_TOKENS = 5;

const CH_SINGLE = 0x27; // '
const CH_DOUBLE = 0x22; // "
const CH_TICK = 0x60; // `
const CH_BACKSLASH = 0x5c;

/** Bytes that end a bare word (parse_word). NUL always ends it (strchr semantics). */
const WORD_DELIMS = charSet(" []{}<>:\\?=@!#~+-*/&|^%(),';\t\n\v\f\r\"\xa0");
/** Bytes that end a variable name (parse_var). */
const VAR_DELIMS = charSet(" <>:\\?=@!#~+-*/&|^%(),';\t\n\v\f\r'`\"");
/** SQL whitespace, including NUL (Oracle) and latin1 NBSP. */
const WHITE = charSet(' \t\n\v\f\r\xa0');
const DIGITS_HEX = charSet('0123456789ABCDEFabcdef');
const DIGITS_BIN = charSet('01');
const MONEY = charSet('0123456789.,');
const LETTERS = charSet('abcdefghjiklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ');

/**
 * A 256-entry membership table. Like C's strchr() used by libinjection's strlenspn /
 * strlencspn, NUL is always a member.
 */
function charSet(chars: string): Uint8Array {
  const t = new Uint8Array(256);
  t[0] = 1;
  for (let i = 0; i < chars.length; i++) t[chars.charCodeAt(i)] = 1;
  return t;
}

function isWhite(c: number): boolean {
  return WHITE[c] === 1;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** Length of the run of bytes in `set` starting at `start` (bounded by `end`). */
function spanIn(s: string, start: number, end: number, set: Uint8Array): number {
  let i = start;
  while (i < end && set[s.charCodeAt(i)] === 1) i++;
  return i - start;
}

/** Length of the run of bytes not in `set` starting at `start`. */
function spanNotIn(s: string, start: number, end: number, set: Uint8Array): number {
  let i = start;
  while (i < end && set[s.charCodeAt(i)] !== 1) i++;
  return i - start;
}

/** First offset i in [start, start+len-1) with s[i]==c0 && s[i+1]==c1, or -1 (memchr2). */
function memchr2(s: string, start: number, len: number, c0: number, c1: number): number {
  if (len < 2) return -1;
  const last = start + len - 1;
  for (let i = start; i < last; i++) {
    if (s.charCodeAt(i) === c0 && s.charCodeAt(i + 1) === c1) return i;
  }
  return -1;
}

/** memchr over [start, end): offset of the first byte c, or -1. */
function memchr(s: string, c: number, start: number, end: number): number {
  for (let i = start; i < end; i++) {
    if (s.charCodeAt(i) === c) return i;
  }
  return -1;
}

/** Parser chosen by the first byte of a token (libinjection's char_parse_map). */
const enum P {
  White,
  Operator1,
  Operator2,
  String,
  Hash,
  Money,
  Char,
  Dash,
  Number,
  Slash,
  Other,
  Var,
  Word,
  BString,
  EString,
  NQString,
  QString,
  UString,
  XString,
  BWord,
  Backslash,
  Tick,
}

const PARSERS: Uint8Array = (() => {
  const m = new Uint8Array(256).fill(P.Word);
  for (let c = 0; c <= 32; c++) m[c] = P.White;
  m[127] = P.White;
  m[160] = P.White;
  const set = (chars: string, p: P): void => {
    for (const ch of chars) m[ch.charCodeAt(0)] = p;
  };
  set('!&*:<=>|', P.Operator2);
  set('%+^~', P.Operator1);
  set('"\'', P.String);
  set('#', P.Hash);
  set('$', P.Money);
  set('(),;{}', P.Char);
  set('-', P.Dash);
  set('.0123456789', P.Number);
  set('/', P.Slash);
  set('?]', P.Other);
  set('@', P.Var);
  set('Bb', P.BString);
  set('Ee', P.EString);
  set('Nn', P.NQString);
  set('Qq', P.QString);
  set('Uu', P.UString);
  set('Xx', P.XString);
  set('[', P.BWord);
  set('\\', P.Backslash);
  set('`', P.Tick);
  return m;
})();

/**
 * Tokenizer / folding state for one input (libinjection_sqli_state). `tokenvec` holds the
 * tokens being folded; `current` is the token the tokenizer writes next.
 */
export class SqliState {
  s = '';
  slen = 0;
  flags = 0;
  pos = 0;
  readonly tokenvec: SqliToken[] = Array.from({ length: 8 }, () => new SqliToken());
  current: SqliToken;
  fingerprint = '';
  /** What the tokenizer saw, used by the detector: "--x" comments, '#', tokens read. */
  statsCommentDdx = 0;
  statsCommentHash = 0;
  statsTokens = 0;

  constructor(s: string, flags = 0) {
    this.current = this.tokenvec[0]!;
    this.load(s, flags);
  }

  /** Starts over on a new input (libinjection_sqli_init): lets one state serve many inputs. */
  load(s: string, flags = 0): void {
    this.s = s;
    this.slen = s.length;
    this.reset(flags);
  }

  /** libinjection_sqli_reset: start over on the same input with other flags. */
  reset(flags: number): void {
    this.flags = flags === 0 ? Flag.QUOTE_NONE | Flag.SQL_ANSI : flags;
    this.pos = 0;
    for (const t of this.tokenvec) t.clear();
    this.current = this.tokenvec[0]!;
    this.fingerprint = '';
    this.statsCommentDdx = 0;
    this.statsCommentHash = 0;
    this.statsTokens = 0;
  }

  /**
   * Reads the next token into `current`. Returns false at the end of input
   * (libinjection_sqli_tokenize).
   */
  tokenize(): boolean {
    const s = this.s;
    const slen = this.slen;
    const current = this.current;
    if (slen === 0) return false;
    current.clear();

    // At the start of input in a quote context, pretend the input began with that quote.
    if (this.pos === 0 && (this.flags & (Flag.QUOTE_SINGLE | Flag.QUOTE_DOUBLE)) !== 0) {
      const delim = this.flags & Flag.QUOTE_SINGLE ? CH_SINGLE : CH_DOUBLE;
      this.pos = parseStringCore(s, slen, 0, current, delim, 0);
      this.statsTokens += 1;
      return true;
    }

    while (this.pos < slen) {
      this.pos = this.parse(PARSERS[s.charCodeAt(this.pos)] as P);
      if (current.type !== '') {
        this.statsTokens += 1;
        return true;
      }
    }
    return false;
  }

  private parse(p: P): number {
    switch (p) {
      case P.White:
        return this.pos + 1;
      case P.Operator1:
        return this.parseOperator1();
      case P.Operator2:
        return this.parseOperator2();
      case P.String:
        return parseStringCore(this.s, this.slen, this.pos, this.current, this.s.charCodeAt(this.pos), 1);
      case P.Hash:
        return this.parseHash();
      case P.Money:
        return this.parseMoney();
      case P.Char:
        this.current.assignChar(this.s[this.pos]!, this.pos, this.s[this.pos]!);
        return this.pos + 1;
      case P.Dash:
        return this.parseDash();
      case P.Number:
        return this.parseNumber();
      case P.Slash:
        return this.parseSlash();
      case P.Other:
        this.current.assignChar(TokenType.UNKNOWN, this.pos, this.s[this.pos]!);
        return this.pos + 1;
      case P.Var:
        return this.parseVar();
      case P.Word:
        return this.parseWord();
      case P.BString:
        return this.parseBXString(DIGITS_BIN);
      case P.XString:
        return this.parseBXString(DIGITS_HEX);
      case P.EString:
        return this.parseEString();
      case P.NQString:
        return this.parseNQString();
      case P.QString:
        return this.parseQStringCore(0);
      case P.UString:
        return this.parseUString();
      case P.BWord:
        return this.parseBWord();
      case P.Backslash:
        return this.parseBackslash();
      case P.Tick:
        return this.parseTick();
    }
  }

  private parseOperator1(): number {
    this.current.assignChar(TokenType.OPERATOR, this.pos, this.s[this.pos]!);
    return this.pos + 1;
  }

  private parseEolComment(): number {
    const { s, slen, pos } = this;
    const end = memchr(s, 0x0a, pos, slen);
    if (end < 0) {
      this.current.assign(TokenType.COMMENT, pos, s, pos, slen - pos);
      return slen;
    }
    this.current.assign(TokenType.COMMENT, pos, s, pos, end - pos);
    return end + 1;
  }

  /** '#': an operator in ANSI mode, an end-of-line comment in MySQL mode. */
  private parseHash(): number {
    this.statsCommentHash += 1;
    if (this.flags & Flag.SQL_MYSQL) {
      this.statsCommentHash += 1;
      return this.parseEolComment();
    }
    this.current.assignChar(TokenType.OPERATOR, this.pos, '#');
    return this.pos + 1;
  }

  private parseDash(): number {
    const { s, slen, pos } = this;
    const next = pos + 1 < slen ? s.charCodeAt(pos + 1) : -1;
    // "--" + white, or "--" at end of input: always a comment
    if (pos + 2 < slen && next === 0x2d && isWhite(s.charCodeAt(pos + 2))) {
      return this.parseEolComment();
    }
    if (pos + 2 === slen && next === 0x2d) {
      return this.parseEolComment();
    }
    // "--" + non-white: a comment in ANSI SQL, two unary minus in MySQL
    if (pos + 1 < slen && next === 0x2d && this.flags & Flag.SQL_ANSI) {
      this.statsCommentDdx += 1;
      return this.parseEolComment();
    }
    this.current.assignChar(TokenType.OPERATOR, pos, '-');
    return pos + 1;
  }

  private parseSlash(): number {
    const { s, slen, pos } = this;
    if (pos + 1 === slen || s.charCodeAt(pos + 1) !== 0x2a) {
      return this.parseOperator1();
    }
    // "/*": find the closing "*/"
    const end = memchr2(s, pos + 2, slen - (pos + 2), 0x2a, 0x2f);
    const clen = end < 0 ? slen - pos : end + 2 - pos;
    let ctype: string = TokenType.COMMENT;
    // A nested "/*" (PostgreSQL) or a MySQL "/*!" conditional comment is unparsable: evil.
    if (end >= 0 && memchr2(s, pos + 2, end - (pos + 1), 0x2f, 0x2a) >= 0) {
      ctype = TokenType.EVIL;
    } else if (pos + 2 < slen && s.charCodeAt(pos + 2) === 0x21) {
      ctype = TokenType.EVIL;
    }
    this.current.assign(ctype, pos, s, pos, clen);
    return pos + clen;
  }

  /** "\N" is MySQL's NULL; any other backslash is its own token. */
  private parseBackslash(): number {
    const { s, slen, pos } = this;
    if (pos + 1 < slen && s.charCodeAt(pos + 1) === 0x4e) {
      this.current.assign(TokenType.NUMBER, pos, s, pos, 2);
      return pos + 2;
    }
    this.current.assignChar(TokenType.BACKSLASH, pos, s[pos]!);
    return pos + 1;
  }

  private parseOperator2(): number {
    const { s, slen, pos } = this;
    if (pos + 1 >= slen) return this.parseOperator1();
    if (pos + 2 < slen && s.charCodeAt(pos) === 0x3c && s.charCodeAt(pos + 1) === 0x3d && s.charCodeAt(pos + 2) === 0x3e) {
      this.current.assign(TokenType.OPERATOR, pos, s, pos, 3); // <=>
      return pos + 3;
    }
    const ch = lookupWord(s.substr(pos, 2));
    if (ch !== '') {
      this.current.assign(ch, pos, s, pos, 2);
      return pos + 2;
    }
    if (s.charCodeAt(pos) === 0x3a) {
      this.current.assign(TokenType.COLON, pos, s, pos, 1); // ':' alone is not an operator
      return pos + 1;
    }
    return this.parseOperator1();
  }

  /** N'...' (MySQL national charset) and E'...' (PostgreSQL escape string). */
  private parseEString(): number {
    const { s, slen, pos } = this;
    if (pos + 2 >= slen || s.charCodeAt(pos + 1) !== CH_SINGLE) return this.parseWord();
    return parseStringCore(s, slen, pos, this.current, CH_SINGLE, 2);
  }

  /** U&'...' unicode string. */
  private parseUString(): number {
    const { s, slen, pos } = this;
    if (pos + 2 < slen && s.charCodeAt(pos + 1) === 0x26 && s.charCodeAt(pos + 2) === CH_SINGLE) {
      this.pos += 2;
      const end = parseStringCore(s, slen, this.pos, this.current, CH_SINGLE, 1);
      this.current.strOpen = 'u';
      if (this.current.strClose === "'") this.current.strClose = 'u';
      return end;
    }
    return this.parseWord();
  }

  /** Oracle q'[...]' strings (offset 1 for nq'...'). */
  private parseQStringCore(offset: number): number {
    const { s, slen } = this;
    const pos = this.pos + offset;
    if (pos >= slen || (s.charCodeAt(pos) | 0x20) !== 0x71 || pos + 2 >= slen || s.charCodeAt(pos + 1) !== CH_SINGLE) {
      return this.parseWord();
    }
    let ch = s.charCodeAt(pos + 2);
    // C compares a signed char: bytes >= 0x80 are negative, hence "< 33" too.
    if (ch < 33 || ch >= 0x80) return this.parseWord();
    switch (ch) {
      case 0x28:
        ch = 0x29; // ( )
        break;
      case 0x5b:
        ch = 0x5d; // [ ]
        break;
      case 0x7b:
        ch = 0x7d; // { }
        break;
      case 0x3c:
        ch = 0x3e; // < >
        break;
    }
    const end = memchr2(s, pos + 3, slen - pos - 3, ch, CH_SINGLE);
    const cur = this.current;
    if (end < 0) {
      cur.assign(TokenType.STRING, pos + 3, s, pos + 3, slen - pos - 3);
      cur.strOpen = 'q';
      cur.strClose = '';
      return slen;
    }
    cur.assign(TokenType.STRING, pos + 3, s, pos + 3, end - pos - 3);
    cur.strOpen = 'q';
    cur.strClose = 'q';
    return end + 2;
  }

  private parseNQString(): number {
    const { s, slen, pos } = this;
    if (pos + 2 < slen && s.charCodeAt(pos + 1) === CH_SINGLE) return this.parseEString();
    return this.parseQStringCore(1);
  }

  /** b'0101' binary and x'ABCD' hex literals. */
  private parseBXString(digits: Uint8Array): number {
    const { s, slen, pos } = this;
    if (pos + 2 >= slen || s.charCodeAt(pos + 1) !== CH_SINGLE) return this.parseWord();
    const wlen = spanIn(s, pos + 2, slen, digits);
    if (pos + 2 + wlen >= slen || s.charCodeAt(pos + 2 + wlen) !== CH_SINGLE) return this.parseWord();
    this.current.assign(TokenType.NUMBER, pos, s, pos, wlen + 3);
    return pos + 2 + wlen + 1;
  }

  /** MS SQL [bracket words]. */
  private parseBWord(): number {
    const { s, slen, pos } = this;
    const end = memchr(s, 0x5d, pos, slen);
    if (end < 0) {
      this.current.assign(TokenType.BAREWORD, pos, s, pos, slen - pos);
      return slen;
    }
    this.current.assign(TokenType.BAREWORD, pos, s, pos, end - pos + 1);
    return end + 1;
  }

  private parseWord(): number {
    const { s, slen, pos } = this;
    const cur = this.current;
    const wlen = spanNotIn(s, pos, slen, WORD_DELIMS);
    cur.assign(TokenType.BAREWORD, pos, s, pos, wlen);

    // "SELECT.1" or "SELECT`col`": if what precedes a '.' or '`' is a keyword, split there.
    for (let i = 0; i < cur.len; i++) {
      const c = cur.val.charCodeAt(i);
      if (c === 0x2e || c === CH_TICK) {
        const ch = i === 0 ? '' : lookupWord(cur.val.slice(0, i));
        if (ch !== '' && ch !== TokenType.BAREWORD) {
          cur.clear();
          cur.assign(ch, pos, s, pos, i);
          return pos + i;
        }
      }
    }

    // Normal lookup of the whole word (including any '.').
    if (wlen <= 31) {
      cur.type = lookupWord(cur.val) || TokenType.BAREWORD;
    }
    return pos + wlen;
  }

  /** MySQL `backtick` names: a function name stays a function, anything else is a bare word. */
  private parseTick(): number {
    const end = parseStringCore(this.s, this.slen, this.pos, this.current, CH_TICK, 1);
    const ch = lookupWord(this.current.val);
    this.current.type = ch === TokenType.FUNCTION ? TokenType.FUNCTION : TokenType.BAREWORD;
    return end;
  }

  private parseVar(): number {
    const { s, slen } = this;
    const cur = this.current;
    let pos = this.pos + 1;
    if (pos < slen && s.charCodeAt(pos) === 0x40) {
      pos += 1;
      cur.count = 2;
    } else {
      cur.count = 1;
    }
    if (pos < slen) {
      const c = s.charCodeAt(pos);
      if (c === CH_TICK) {
        // MySQL allows @@`version`
        this.pos = pos;
        const end = this.parseTick();
        cur.type = TokenType.VARIABLE;
        return end;
      }
      if (c === CH_SINGLE || c === CH_DOUBLE) {
        this.pos = pos;
        const end = parseStringCore(s, slen, pos, cur, c, 1);
        cur.type = TokenType.VARIABLE;
        return end;
      }
    }
    const xlen = spanNotIn(s, pos, slen, VAR_DELIMS);
    cur.assign(TokenType.VARIABLE, pos, s, pos, xlen);
    return pos + xlen;
  }

  private parseMoney(): number {
    const { s, slen, pos } = this;
    const cur = this.current;
    if (pos + 1 === slen) {
      cur.assignChar(TokenType.BAREWORD, pos, '$');
      return slen;
    }
    // $1,000.00 or $1.000,00
    let xlen = spanIn(s, pos + 1, slen, MONEY);
    if (xlen === 0) {
      if (s.charCodeAt(pos + 1) === 0x24) {
        // $$ ... $$ (PostgreSQL dollar-quoted string)
        const end = memchr2(s, pos + 2, slen - pos - 2, 0x24, 0x24);
        if (end < 0) {
          cur.assign(TokenType.STRING, pos + 2, s, pos + 2, slen - (pos + 2));
          cur.strOpen = '$';
          cur.strClose = '';
          return slen;
        }
        cur.assign(TokenType.STRING, pos + 2, s, pos + 2, end - (pos + 2));
        cur.strOpen = '$';
        cur.strClose = '$';
        return end + 2;
      }
      // $tag$ ... $tag$
      xlen = spanIn(s, pos + 1, slen, LETTERS);
      if (xlen === 0) {
        cur.assignChar(TokenType.BAREWORD, pos, '$');
        return pos + 1;
      }
      if (pos + xlen + 1 === slen || s.charCodeAt(pos + xlen + 1) !== 0x24) {
        cur.assignChar(TokenType.BAREWORD, pos, '$');
        return pos + 1;
      }
      const tag = s.substr(pos, xlen + 2);
      const end = s.indexOf(tag, pos + xlen + 2);
      if (end < 0) {
        cur.assign(TokenType.STRING, pos + xlen + 2, s, pos + xlen + 2, slen - pos - xlen - 2);
        cur.strOpen = '$';
        cur.strClose = '';
        return slen;
      }
      cur.assign(TokenType.STRING, pos + xlen + 2, s, pos + xlen + 2, end - (pos + xlen + 2));
      cur.strOpen = '$';
      cur.strClose = '$';
      return end + xlen + 2;
    }
    if (xlen === 1 && s.charCodeAt(pos + 1) === 0x2e) {
      return this.parseWord(); // "$." is a word
    }
    cur.assign(TokenType.NUMBER, pos, s, pos, 1 + xlen);
    return pos + 1 + xlen;
  }

  private parseNumber(): number {
    const { s, slen } = this;
    const cur = this.current;
    let pos = this.pos;

    if (s.charCodeAt(pos) === 0x30 && pos + 1 < slen) {
      const c1 = s.charCodeAt(pos + 1) | 0x20;
      const digits = c1 === 0x78 ? DIGITS_HEX : c1 === 0x62 ? DIGITS_BIN : null; // 0x... 0b...
      if (digits) {
        const xlen = spanIn(s, pos + 2, slen, digits);
        if (xlen === 0) {
          cur.assign(TokenType.BAREWORD, pos, s, pos, 2);
          return pos + 2;
        }
        cur.assign(TokenType.NUMBER, pos, s, pos, 2 + xlen);
        return pos + 2 + xlen;
      }
    }

    const start = pos;
    while (pos < slen && isDigit(s.charCodeAt(pos))) pos += 1;
    if (pos < slen && s.charCodeAt(pos) === 0x2e) {
      pos += 1;
      while (pos < slen && isDigit(s.charCodeAt(pos))) pos += 1;
      if (pos - start === 1) {
        cur.assignChar(TokenType.DOT, start, '.'); // a lone '.'
        return pos;
      }
    }

    let haveE = false;
    let haveExp = false;
    if (pos < slen && (s.charCodeAt(pos) | 0x20) === 0x65) {
      haveE = true;
      pos += 1;
      if (pos < slen && (s.charCodeAt(pos) === 0x2b || s.charCodeAt(pos) === 0x2d)) pos += 1;
      while (pos < slen && isDigit(s.charCodeAt(pos))) {
        haveExp = true;
        pos += 1;
      }
    }

    // Oracle's float/double suffix: 1.2f, 1d
    if (pos < slen) {
      const c = s.charCodeAt(pos) | 0x20;
      if (c === 0x64 || c === 0x66) {
        if (pos + 1 === slen) {
          pos += 1;
        } else {
          const n = s.charCodeAt(pos + 1);
          if (isWhite(n) || n === 0x3b || (n | 0x20) === 0x75) {
            // "1.2f ", "1.2f;" and the "1fUNION" hack
            pos += 1;
          }
          // else: "123FROM" parses as "123"
        }
      }
    }

    // "1234.e", "10.10E", ".E": a word, not a number
    cur.assign(haveE && !haveExp ? TokenType.BAREWORD : TokenType.NUMBER, start, s, start, pos - start);
    return pos;
  }
}

/**
 * Parses a string delimited by `delim` starting at `pos`. `offset` is 1 when s[pos] is the
 * opening quote, 2 for a prefixed string (N'...'), 0 when the quote is only assumed (quote
 * contexts). A quote preceded by an odd number of backslashes, or doubled, does not close it.
 */
function parseStringCore(s: string, len: number, pos: number, st: SqliToken, delim: number, offset: number): number {
  const begin = pos + offset;
  const dch = String.fromCharCode(delim);
  let qpos = s.indexOf(dch, begin);
  st.strOpen = offset > 0 ? dch : '';
  for (;;) {
    if (qpos < 0 || qpos >= len) {
      st.assign(TokenType.STRING, begin, s, begin, len - begin);
      st.strClose = '';
      return len;
    }
    if (isBackslashEscaped(s, qpos - 1, begin)) {
      qpos = s.indexOf(dch, qpos + 1);
      continue;
    }
    if (qpos + 1 < len && s.charCodeAt(qpos + 1) === delim) {
      qpos = s.indexOf(dch, qpos + 2);
      continue;
    }
    st.assign(TokenType.STRING, begin, s, begin, qpos - begin);
    st.strClose = dch;
    return qpos + 1;
  }
}

/** Odd number of backslashes ending at `end` (not before `start`)? */
function isBackslashEscaped(s: string, end: number, start: number): boolean {
  let p = end;
  while (p >= start && s.charCodeAt(p) === CH_BACKSLASH) p--;
  return ((end - p) & 1) === 1;
}
