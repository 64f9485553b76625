import { Collection } from '../collections/collection';
import { urlDecode } from '../transformations/url-decode';
import { isHex, hexPairToChar } from '../transformations/hex';

/** `%XX` decoding only (`+` stays), as ModSecurity decodes REQUEST_URI and REQUEST_FILENAME. */
export function uriDecode(input: string): string {
  if (input.indexOf('%') < 0) return input;
  let out = '';
  for (let i = 0; i < input.length; i++) {
    if (input[i] === '%' && isHex(input[i + 1]) && isHex(input[i + 2])) {
      out += hexPairToChar(input, i + 1);
      i += 2;
    } else out += input[i];
  }
  return out;
}

/** Splits `a=1&b=2` into decoded name/value pairs (a name without `=` gets an empty value). */
export function parseUrlEncoded(text: string, into: Collection[], separator = '&'): number {
  let count = 0;
  for (const part of text.split(separator)) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const name = urlDecode(eq < 0 ? part : part.slice(0, eq));
    const value = eq < 0 ? '' : urlDecode(part.slice(eq + 1));
    for (const c of into) c.add(name, value);
    count++;
  }
  return count;
}

/** Cookie header → name/value pairs, split on `;`, leading spaces trimmed, values kept raw. */
export function parseCookies(header: string, into: Collection): void {
  for (const raw of header.split(';')) {
    const part = raw.replace(/^[ \t]+/, '');
    if (!part) continue;
    const eq = part.indexOf('=');
    into.add(eq < 0 ? part : part.slice(0, eq), eq < 0 ? '' : part.slice(eq + 1));
  }
}
