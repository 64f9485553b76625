/**
 * libinjection's SQL keyword table and fingerprint set, loaded from the verbatim data file
 * `data/libinjection-sqli-data.json` (BSD-3-Clause, see data/README.md and data/COPYING).
 */
import { asciiUpper } from '../bytes';
import data from './data/libinjection-sqli-data.json';

interface SqliData {
  keywords: Record<string, string>;
  fingerprints: string[];
}

const raw = data as SqliData;

/** Upper-cased word -> token type character. */
const KEYWORDS: ReadonlyMap<string, string> = new Map(Object.entries(raw.keywords));

/**
 * Fingerprints, upper-cased as libinjection compares them (its table stores them as
 * "0" + upper-case fingerprint, so e.g. `t` (sql type) and `T` (T-SQL) share an entry).
 */
const FINGERPRINTS: ReadonlySet<string> = new Set(raw.fingerprints.map(asciiUpper));

/** Keyword lookup: the token type character for `word` (case-insensitive), or '' if none. */
export function lookupWord(word: string): string {
  return KEYWORDS.get(asciiUpper(word)) ?? '';
}

/** Is this fingerprint (as built from token types) one of libinjection's SQLi fingerprints? */
export function isFingerprint(fingerprint: string): boolean {
  return FINGERPRINTS.has(asciiUpper(fingerprint));
}
