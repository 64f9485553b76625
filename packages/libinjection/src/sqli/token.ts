/** Token types, as libinjection defines them (the character is also the fingerprint letter). */
export const TokenType = {
  NONE: '',
  KEYWORD: 'k',
  UNION: 'U',
  GROUP: 'B',
  EXPRESSION: 'E',
  SQLTYPE: 't',
  FUNCTION: 'f',
  BAREWORD: 'n',
  NUMBER: '1',
  VARIABLE: 'v',
  STRING: 's',
  OPERATOR: 'o',
  LOGIC_OPERATOR: '&',
  COMMENT: 'c',
  COLLATE: 'A',
  LEFTPARENS: '(',
  RIGHTPARENS: ')',
  LEFTBRACE: '{',
  RIGHTBRACE: '}',
  DOT: '.',
  COMMA: ',',
  COLON: ':',
  SEMICOLON: ';',
  TSQL: 'T',
  UNKNOWN: '?',
  EVIL: 'X',
  FINGERPRINT: 'F',
  BACKSLASH: '\\',
} as const;

/** Parsing flags (same values as libinjection's FLAG_*). */
export const Flag = {
  NONE: 0,
  QUOTE_NONE: 1,
  QUOTE_SINGLE: 2,
  QUOTE_DOUBLE: 4,
  SQL_ANSI: 8,
  SQL_MYSQL: 16,
} as const;

/** libinjection keeps at most 31 bytes of a token's value (char val[32]). */
export const TOKEN_VALUE_MAX = 31;

export class SqliToken {
  /** One of TokenType ('' = none). */
  type = '';
  /** Offset of the value in the input. */
  pos = 0;
  /** Length of `val` (after truncation to 31 bytes). */
  len = 0;
  /** Number of leading '@' of a variable (0, 1 or 2). */
  count = 0;
  /** Opening / closing quote character of a string ('' = none). */
  strOpen = '';
  strClose = '';
  /** The (possibly truncated) value, one code unit per byte. */
  val = '';

  clear(): void {
    this.type = '';
    this.pos = 0;
    this.len = 0;
    this.count = 0;
    this.strOpen = '';
    this.strClose = '';
    this.val = '';
  }

  copyFrom(o: SqliToken): void {
    this.type = o.type;
    this.pos = o.pos;
    this.len = o.len;
    this.count = o.count;
    this.strOpen = o.strOpen;
    this.strClose = o.strClose;
    this.val = o.val;
  }

  /** st_assign: set type/pos and copy at most 31 bytes of s[start, start+len). */
  assign(type: string, pos: number, s: string, start: number, len: number): void {
    const last = len < TOKEN_VALUE_MAX ? len : TOKEN_VALUE_MAX;
    this.type = type;
    this.pos = pos;
    this.len = last;
    this.val = s.substr(start, last);
  }

  /** st_assign_char: a one-byte value. */
  assignChar(type: string, pos: number, ch: string): void {
    this.type = type;
    this.pos = pos;
    this.len = 1;
    this.val = ch;
  }

  /**
   * The token as libinjection's test driver prints it: `type value`, strings with their
   * quotes, variables with their '@'s. Like C's "%s", the value stops at a NUL byte.
   */
  toString(): string {
    let v = this.val;
    const nul = v.indexOf('\0');
    if (nul >= 0) v = v.slice(0, nul);
    if (this.type === TokenType.STRING || this.type === TokenType.VARIABLE) {
      const at = this.type === TokenType.VARIABLE ? '@'.repeat(Math.min(this.count, 2)) : '';
      v = at + this.strOpen + v + this.strClose;
    }
    return `${this.type} ${v}`;
  }
}
