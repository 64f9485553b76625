/**
 * @trellis/libinjection: SQL-injection and XSS detection equivalent to libinjection
 * (the C library behind ModSecurity's and Coraza's @detectSQLi / @detectXSS).
 *
 * Inputs are bytes: pass the raw (URL-decoded) request bytes as a Buffer, or a string whose
 * code units are bytes (latin1 view). See ./bytes.ts for how other strings are mapped.
 */
export { detectSQLi, type SqliResult } from './sqli';
export { detectXSS } from './xss';

// Tokenizers, exported for tests and diagnostics.
export { tokenizeSql, foldSql, Flag as SqliFlag } from './sqli';
export { tokenizeHtml5, Html5Flags } from './xss';
