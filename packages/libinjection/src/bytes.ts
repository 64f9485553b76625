/**
 * Input mapping shared by the SQLi and XSS detectors.
 *
 * libinjection works on bytes (C `char*` + length). We work on JS strings in which every
 * code unit is one byte (0..255), i.e. a latin1 view of the bytes, so `charCodeAt(i)` is
 * the byte at offset i and all offsets/lengths match the C library's.
 *
 * - A Buffer is taken as the raw bytes (`latin1` decoding is a 1:1 byte -> code unit map).
 *   This is what a WAF should pass: the raw, URL-decoded request bytes.
 * - A string whose code units are all <= 0xFF is taken as already being such a byte string
 *   (the common case: ASCII, or a latin1 view produced by the caller).
 * - Any other string (it holds characters above U+00FF) is encoded as UTF-8 first, which is
 *   how those characters would reach the server on the wire.
 */
export function toByteString(input: string | Buffer): string {
  if (typeof input !== 'string') {
    return input.toString('latin1');
  }
  for (let i = 0; i < input.length; i++) {
    if (input.charCodeAt(i) > 0xff) {
      return Buffer.from(input, 'utf8').toString('latin1');
    }
  }
  return input;
}

/**
 * Upper-cases for comparison with ASCII words, like libinjection's locale-independent
 * compares: a-z become A-Z, ASCII stays ASCII, and no other byte becomes ASCII. (Of the
 * bytes 0x80-0xFF, String#toUpperCase maps only 'ß' into ASCII, as "SS", so that case is
 * upper-cased the slow way; other bytes may change but stay non-ASCII, which no ASCII word
 * can equal.)
 */
export function asciiUpper(s: string): string {
  const u = s.toUpperCase();
  return u.length === s.length ? u : s.replace(/[a-z]+/g, (m) => m.toUpperCase());
}
