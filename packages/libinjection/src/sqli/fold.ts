/**
 * Token folding (libinjection_sqli_fold): reduces the token stream to at most five tokens,
 * merging multi-word keywords, dropping unary operators, collapsing arithmetic, etc.
 */
import { asciiUpper } from '../bytes';
import { lookupWord } from './data';
import { SqliToken, TokenType as T, TOKEN_VALUE_MAX } from './token';
import { MAX_TOKENS, SqliState } from './tokenizer';

function isUnaryOp(t: SqliToken): boolean {
  if (t.type !== T.OPERATOR) return false;
  switch (t.len) {
    case 1:
      return t.val === '+' || t.val === '-' || t.val === '!' || t.val === '~';
    case 2:
      return t.val === '!!';
    case 3:
      return asciiUpper(t.val) === 'NOT';
    default:
      return false;
  }
}

function isArithmeticOp(t: SqliToken): boolean {
  return t.type === T.OPERATOR && t.len === 1 && '*/-+%'.includes(t.val);
}

/** Case-insensitive equality with an upper-case word (cstrcasecmp(word, val, len) == 0). */
function valIs(t: SqliToken, upperWord: string): boolean {
  return t.len === upperWord.length && asciiUpper(t.val) === upperWord;
}

const MERGE_LEFT = new Set<string>([T.KEYWORD, T.BAREWORD, T.OPERATOR, T.UNION, T.FUNCTION, T.EXPRESSION, T.TSQL, T.SQLTYPE]);
const MERGE_RIGHT = new Set<string>([...MERGE_LEFT, T.LOGIC_OPERATOR]);

/** "UNION" + "ALL" -> "UNION ALL" when the pair is itself a keyword (syntax_merge_words). */
function mergeWords(a: SqliToken, b: SqliToken): boolean {
  if (!MERGE_LEFT.has(a.type) || !MERGE_RIGHT.has(b.type)) return false;
  const sz3 = a.len + b.len + 1;
  if (sz3 > TOKEN_VALUE_MAX) return false;
  const merged = `${a.val} ${b.val}`;
  const ch = lookupWord(merged);
  if (ch === '') return false;
  a.assign(ch, a.pos, merged, 0, sz3);
  return true;
}

/** Words that, directly followed by '(', are functions (T-SQL / MySQL). */
const FUNCTION_WORDS = new Set([
  'USER_ID',
  'USER_NAME',
  'DATABASE',
  'PASSWORD',
  'USER',
  'CURRENT_USER',
  'CURRENT_DATE',
  'CURRENT_TIME',
  'CURRENT_TIMESTAMP',
  'LOCALTIME',
  'LOCALTIMESTAMP',
]);

/** Folds the input of `sf` (already reset to the wanted flags). Returns the number of tokens left in `sf.tokenvec`. */
export function fold(sf: SqliState): number {
  const v = sf.tokenvec;
  const lastComment = new SqliToken();
  let pos = 0; // where the next token goes
  let left = 0; // tokens already folded
  let more = true;

  // Skip leading comments, '(', sql types and unary operators.
  sf.current = v[0]!;
  while (more) {
    more = sf.tokenize();
    const t = sf.current;
    if (!(t.type === T.COMMENT || t.type === T.LEFTPARENS || t.type === T.SQLTYPE || isUnaryOp(t))) break;
  }
  if (!more) return 0;
  pos += 1;

  /** Reads tokens until `pos - left` reaches `want` (comments are remembered, not kept). */
  const fill = (want: number): void => {
    while (more && pos <= MAX_TOKENS && pos - left < want) {
      sf.current = v[pos]!;
      more = sf.tokenize();
      if (more) {
        if (sf.current.type === T.COMMENT) {
          lastComment.copyFrom(sf.current);
        } else {
          lastComment.type = '';
          pos += 1;
        }
      }
    }
  };

  for (;;) {
    // With five tokens, some shapes are folded back to restart: "1,(1)" "n o (1)" ...
    if (pos >= MAX_TOKENS) {
      const t0 = v[0]!.type;
      const t1 = v[1]!.type;
      const t2 = v[2]!.type;
      const t3 = v[3]!.type;
      const t4 = v[4]!.type;
      if (
        (t0 === T.NUMBER && (t1 === T.OPERATOR || t1 === T.COMMA) && t2 === T.LEFTPARENS && t3 === T.NUMBER && t4 === T.RIGHTPARENS) ||
        (t0 === T.BAREWORD && t1 === T.OPERATOR && t2 === T.LEFTPARENS && (t3 === T.BAREWORD || t3 === T.NUMBER) && t4 === T.RIGHTPARENS) ||
        (t0 === T.NUMBER && t1 === T.RIGHTPARENS && t2 === T.COMMA && t3 === T.LEFTPARENS && t4 === T.NUMBER) ||
        (t0 === T.BAREWORD && t1 === T.RIGHTPARENS && t2 === T.OPERATOR && t3 === T.LEFTPARENS && t4 === T.BAREWORD)
      ) {
        if (pos > MAX_TOKENS) {
          v[1]!.copyFrom(v[MAX_TOKENS]!);
          pos = 2;
        } else {
          pos = 1;
        }
        left = 0;
      }
    }

    if (!more || left >= MAX_TOKENS) {
      left = pos;
      break;
    }

    // Two-token folds.
    fill(2);
    if (pos - left < 2) {
      left = pos;
      continue;
    }
    const a = v[left]!;
    const b = v[left + 1]!;

    if (a.type === T.STRING && b.type === T.STRING) {
      pos -= 1; // "foo" "bar" -> "foo"
      continue;
    } else if (a.type === T.SEMICOLON && b.type === T.SEMICOLON) {
      pos -= 1; // ";;" -> ";"
      continue;
    } else if ((a.type === T.OPERATOR || a.type === T.LOGIC_OPERATOR) && (isUnaryOp(b) || b.type === T.SQLTYPE)) {
      pos -= 1;
      left = 0;
      continue;
    } else if (a.type === T.LEFTPARENS && isUnaryOp(b)) {
      pos -= 1;
      if (left > 0) left -= 1;
      continue;
    } else if (mergeWords(a, b)) {
      pos -= 1;
      if (left > 0) left -= 1;
      continue;
    } else if (a.type === T.SEMICOLON && b.type === T.FUNCTION && (b.val.charCodeAt(0) | 0x20) === 0x69 && (b.val.charCodeAt(1) | 0x20) === 0x66) {
      // "; IF ..." : T-SQL control flow, not the IF() function
      b.type = T.TSQL;
      continue;
    } else if ((a.type === T.BAREWORD || a.type === T.VARIABLE) && b.type === T.LEFTPARENS && FUNCTION_WORDS.has(asciiUpper(a.val))) {
      a.type = T.FUNCTION;
      continue;
    } else if (a.type === T.KEYWORD && (valIs(a, 'IN') || valIs(a, 'NOT IN'))) {
      // "IN (" is an operator; otherwise (MySQL "IN BOOLEAN MODE") a plain word
      a.type = b.type === T.LEFTPARENS ? T.OPERATOR : T.BAREWORD;
      continue;
    } else if (a.type === T.OPERATOR && (valIs(a, 'LIKE') || valIs(a, 'NOT LIKE'))) {
      if (b.type === T.LEFTPARENS) a.type = T.FUNCTION; // LIKE(...)
    } else if (
      a.type === T.SQLTYPE &&
      (b.type === T.BAREWORD || b.type === T.NUMBER || b.type === T.SQLTYPE || b.type === T.LEFTPARENS || b.type === T.FUNCTION || b.type === T.VARIABLE || b.type === T.STRING)
    ) {
      a.copyFrom(b);
      pos -= 1;
      left = 0;
      continue;
    } else if (a.type === T.COLLATE && b.type === T.BAREWORD) {
      // too many collations to list: a bare word with '_' is taken as a type
      if (b.val.indexOf('_') >= 0) {
        b.type = T.SQLTYPE;
        left = 0;
      }
    } else if (a.type === T.BACKSLASH) {
      if (isArithmeticOp(b)) {
        a.type = T.NUMBER; // T-SQL parses '\%1' as '0 % 1'
      } else {
        a.copyFrom(b); // and '\1' as '1'
        pos -= 1;
      }
      left = 0;
      continue;
    } else if (a.type === T.LEFTPARENS && b.type === T.LEFTPARENS) {
      pos -= 1;
      left = 0;
      continue;
    } else if (a.type === T.RIGHTPARENS && b.type === T.RIGHTPARENS) {
      pos -= 1;
      left = 0;
      continue;
    } else if (a.type === T.LEFTBRACE && b.type === T.BAREWORD) {
      // MySQL/ODBC "{foo expr}": "{ ``" is blacklisted, otherwise drop "{ foo"
      if (b.len === 0) {
        b.type = T.EVIL;
        return left + 2;
      }
      left = 0;
      pos -= 2;
      continue;
    } else if (b.type === T.RIGHTBRACE) {
      pos -= 1;
      left = 0;
      continue;
    }

    // Three-token folds.
    fill(3);
    if (pos - left < 3) {
      left = pos;
      continue;
    }
    const c = v[left + 2]!;

    if (a.type === T.NUMBER && b.type === T.OPERATOR && c.type === T.NUMBER) {
      pos -= 2;
      left = 0;
      continue;
    } else if (a.type === T.OPERATOR && b.type !== T.LEFTPARENS && c.type === T.OPERATOR) {
      left = 0;
      pos -= 2;
      continue;
    } else if (a.type === T.LOGIC_OPERATOR && c.type === T.LOGIC_OPERATOR) {
      pos -= 2;
      left = 0;
      continue;
    } else if (a.type === T.VARIABLE && b.type === T.OPERATOR && (c.type === T.VARIABLE || c.type === T.NUMBER || c.type === T.BAREWORD)) {
      pos -= 2;
      left = 0;
      continue;
    } else if ((a.type === T.BAREWORD || a.type === T.NUMBER) && b.type === T.OPERATOR && (c.type === T.NUMBER || c.type === T.BAREWORD)) {
      pos -= 2;
      left = 0;
      continue;
    } else if (
      (a.type === T.BAREWORD || a.type === T.NUMBER || a.type === T.VARIABLE || a.type === T.STRING) &&
      b.type === T.OPERATOR &&
      b.val === '::' &&
      c.type === T.SQLTYPE
    ) {
      pos -= 2;
      left = 0;
      continue;
    } else if (
      (a.type === T.BAREWORD || a.type === T.NUMBER || a.type === T.STRING || a.type === T.VARIABLE) &&
      b.type === T.COMMA &&
      (c.type === T.NUMBER || c.type === T.BAREWORD || c.type === T.STRING || c.type === T.VARIABLE)
    ) {
      pos -= 2;
      left = 0;
      continue;
    } else if ((a.type === T.EXPRESSION || a.type === T.GROUP || a.type === T.COMMA) && isUnaryOp(b) && c.type === T.LEFTPARENS) {
      // "SELECT + (", "LIMIT + (": drop the unary operator
      b.copyFrom(c);
      pos -= 1;
      left = 0;
      continue;
    } else if (
      (a.type === T.KEYWORD || a.type === T.EXPRESSION || a.type === T.GROUP) &&
      isUnaryOp(b) &&
      (c.type === T.NUMBER || c.type === T.BAREWORD || c.type === T.VARIABLE || c.type === T.STRING || c.type === T.FUNCTION)
    ) {
      // "select - 1"
      b.copyFrom(c);
      pos -= 1;
      left = 0;
      continue;
    } else if (a.type === T.COMMA && isUnaryOp(b) && (c.type === T.NUMBER || c.type === T.BAREWORD || c.type === T.VARIABLE || c.type === T.STRING)) {
      // ", -1" -> ",1", then back up to fold "1,1" -> "1"
      b.copyFrom(c);
      left = 0;
      pos -= 3;
      continue;
    } else if (a.type === T.COMMA && isUnaryOp(b) && c.type === T.FUNCTION) {
      // "1,-sin(1)" -> "1,sin(1)"
      b.copyFrom(c);
      pos -= 1;
      left = 0;
      continue;
    } else if (a.type === T.BAREWORD && b.type === T.DOT && c.type === T.BAREWORD) {
      pos -= 2; // database.table
      left = 0;
      continue;
    } else if (a.type === T.EXPRESSION && b.type === T.DOT && c.type === T.BAREWORD) {
      b.copyFrom(c); // "select . `foo`" -> "select `foo`"
      pos -= 1;
      left = 0;
      continue;
    } else if (a.type === T.FUNCTION && b.type === T.LEFTPARENS && c.type !== T.RIGHTPARENS) {
      // USER() takes no arguments: "USER(foo)" is not the function
      if (valIs(a, 'USER')) a.type = T.BAREWORD;
    }

    // Nothing folded: keep the left-most token and move on.
    left += 1;
  }

  // Four tokens or fewer and the input ended in a comment: keep it.
  if (left < MAX_TOKENS && lastComment.type === T.COMMENT) {
    v[left]!.copyFrom(lastComment);
    left += 1;
  }
  // A 6th token may have been read to decide on the 5th.
  if (left > MAX_TOKENS) left = MAX_TOKENS;
  return left;
}
