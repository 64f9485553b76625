import { toByteString } from '../bytes';
import { fold } from './fold';
import { Flag } from './token';
import { SqliState } from './tokenizer';

export { detectSQLi, type SqliResult } from './detect';
export { Flag } from './token';

/** All tokens of `input` under `flags` (default: no quote context, ANSI comments), unfolded. */
export function tokenizeSql(input: string | Buffer, flags: number = Flag.QUOTE_NONE | Flag.SQL_ANSI): string[] {
  const sf = new SqliState(toByteString(input), flags);
  const out: string[] = [];
  while (sf.tokenize()) out.push(sf.current.toString());
  return out;
}

/** The folded tokens of `input` under `flags` (what the fingerprint is built from). */
export function foldSql(input: string | Buffer, flags: number = Flag.QUOTE_NONE | Flag.SQL_ANSI): string[] {
  const sf = new SqliState(toByteString(input), flags);
  const n = fold(sf);
  return sf.tokenvec.slice(0, n).map((t) => t.toString());
}
