/**
 * SQLi detection: fingerprint the input under several contexts and look the fingerprint up
 * in libinjection's set, with its false-positive reductions ("not whitelisted").
 */
import { asciiUpper, toByteString } from '../bytes';
import { isFingerprint } from './data';
import { fold } from './fold';
import { Flag, TokenType as T } from './token';
import { SqliState } from './tokenizer';

export interface SqliResult {
  isSqli: boolean;
  /** The matching fingerprint (token type letters), '' when not SQLi. */
  fingerprint: string;
}

/**
 * Tokenizes and folds the input under `flags` and returns the fingerprint
 * (libinjection_sqli_fingerprint).
 */
export function fingerprintOf(sf: SqliState, flags: number): string {
  sf.reset(flags);
  const tlen = fold(sf);
  const v = sf.tokenvec;

  // PHP's magic backquote comment: a trailing empty, unclosed `...` bare word is a comment.
  if (tlen > 2) {
    const last = v[tlen - 1]!;
    if (last.type === T.BAREWORD && last.strOpen === '`' && last.len === 0 && last.strClose === '') {
      last.type = T.COMMENT;
    }
  }

  let fp = '';
  for (let i = 0; i < tlen; i++) fp += v[i]!.type;

  // An unparsable token anywhere: the whole input is "X".
  if (fp.includes(T.EVIL)) {
    fp = T.EVIL;
    v[0]!.clear();
    v[0]!.type = T.EVIL;
    v[0]!.val = T.EVIL;
    v[0]!.len = 1;
    v[1]!.type = '';
  }
  sf.fingerprint = fp;
  return fp;
}

/** The fingerprint is in libinjection's set (libinjection_sqli_blacklist). */
function blacklisted(sf: SqliState): boolean {
  return sf.fingerprint.length >= 1 && isFingerprint(sf.fingerprint);
}

/** C's signed-char view of a byte, as used in `ch <= 32` comparisons (bytes >= 0x80 are negative). */
function signedByteAt(s: string, i: number): number {
  // Reading past the end sees the C string terminator.
  const c = i < s.length ? s.charCodeAt(i) : 0;
  return c >= 0x80 ? c - 0x100 : c;
}

/**
 * False-positive reductions for short fingerprints (libinjection_sqli_not_whitelist).
 * Returns true if the match stands as SQLi.
 */
function notWhitelisted(sf: SqliState): boolean {
  const fp = sf.fingerprint;
  const tlen = fp.length;
  const v = sf.tokenvec;

  // MS SQL Server's audit log skips anything containing 'sp_password'.
  if (tlen > 1 && fp[tlen - 1] === T.COMMENT && sf.s.includes('sp_password')) {
    return true;
  }

  switch (tlen) {
    case 2: {
      // "1 union" alone is too common; only flag it when folding or comments were involved.
      if (fp[1] === T.UNION) {
        return sf.statsTokens !== 2;
      }
      // A trailing '#' comment: too many false positives.
      if (v[1]!.val[0] === '#') return false;
      // 'nc': only /* comments count, not '--' or '#'.
      if (v[0]!.type === T.BAREWORD && v[1]!.type === T.COMMENT && v[1]!.val[0] !== '/') return false;
      // '1c' ending in /* is SQLi
      if (v[0]!.type === T.NUMBER && v[1]!.type === T.COMMENT && v[1]!.val[0] === '/') return true;
      // '1c': only if the number is really followed by white space, /* or -- in the input
      if (v[0]!.type === T.NUMBER && v[1]!.type === T.COMMENT) {
        if (sf.statsTokens > 2) return true; // folding happened: likely SQLi
        const i = v[0]!.len;
        const ch = signedByteAt(sf.s, i);
        if (ch <= 32) return true;
        if (ch === 0x2f && signedByteAt(sf.s, i + 1) === 0x2a) return true;
        if (ch === 0x2d && signedByteAt(sf.s, i + 1) === 0x2d) return true;
        return false;
      }
      // Many people write '--' in text: only flag when the input ends with it ("1--", not "1-- foo").
      if (v[1]!.len > 2 && v[1]!.val[0] === '-') return false;
      break;
    }
    case 3: {
      if (fp === 'sos' || fp === 's&s') {
        // ...foo' + 'bar...: no opening quote, no closing quote, quotes match in the middle
        if (v[0]!.strOpen === '' && v[2]!.strClose === '' && v[0]!.strClose === v[2]!.strOpen) return true;
        return false;
      } else if (fp === 's&n' || fp === 'n&1' || fp === '1&1' || fp === '1&v' || fp === '1&s') {
        // 'sexy and 17' is not SQLi, 'sexy and 17<18' is
        if (sf.statsTokens === 3) return false;
      } else if (v[1]!.type === T.KEYWORD) {
        // only "INTO OUTFILE" / "INTO DUMPFILE" (MySQL) count
        if (v[1]!.len < 5 || !asciiUpper(v[1]!.val).startsWith('INTO')) return false;
      }
      break;
    }
  }
  return true;
}

function checkFingerprint(sf: SqliState): boolean {
  return blacklisted(sf) && notWhitelisted(sf);
}

function reparseAsMysql(sf: SqliState): boolean {
  return sf.statsCommentDdx !== 0 || sf.statsCommentHash !== 0;
}

/** libinjection_is_sqli over a prepared state. */
export function isSqli(sf: SqliState): boolean {
  const s = sf.s;
  if (sf.slen === 0) return false;

  // as-is
  fingerprintOf(sf, Flag.QUOTE_NONE | Flag.SQL_ANSI);
  if (checkFingerprint(sf)) return true;
  if (reparseAsMysql(sf)) {
    fingerprintOf(sf, Flag.QUOTE_NONE | Flag.SQL_MYSQL);
    if (checkFingerprint(sf)) return true;
  }

  // as if the input followed a single quote: "1' = 1" is "'1' = 1"
  if (s.includes("'")) {
    fingerprintOf(sf, Flag.QUOTE_SINGLE | Flag.SQL_ANSI);
    if (checkFingerprint(sf)) return true;
    if (reparseAsMysql(sf)) {
      fingerprintOf(sf, Flag.QUOTE_SINGLE | Flag.SQL_MYSQL);
      if (checkFingerprint(sf)) return true;
    }
  }

  // as if the input followed a double quote
  if (s.includes('"')) {
    fingerprintOf(sf, Flag.QUOTE_DOUBLE | Flag.SQL_MYSQL);
    if (checkFingerprint(sf)) return true;
  }
  return false;
}

/**
 * Is `input` a SQL injection? Equivalent to libinjection's `libinjection_sqli()`.
 * Strings are taken as byte strings (see ../bytes.ts); Buffers as raw bytes.
 */
export function detectSQLi(input: string | Buffer): SqliResult {
  const sf = scratch;
  sf.load(toByteString(input));
  const hit = isSqli(sf);
  return { isSqli: hit, fingerprint: hit ? sf.fingerprint : '' };
}

/** Detection is synchronous and never re-entered, so one state serves every call. */
const scratch = new SqliState('');
