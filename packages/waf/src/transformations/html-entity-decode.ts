import { isHex } from './hex';

const NAMED: Record<string, string> = { quot: '"', amp: '&', lt: '<', gt: '>', nbsp: '\xa0' };

/** Decodes `&#DDD;`, `&#xHH;` and the common named entities; the `;` is optional. */
export function htmlEntityDecode(input: string): string {
  if (input.indexOf('&') < 0) return input;
  let out = '';
  let i = 0;
  while (i < input.length) {
    const c = input[i]!;
    if (c !== '&') {
      out += c;
      i++;
      continue;
    }
    if (input[i + 1] === '#') {
      const hex = input[i + 2] === 'x' || input[i + 2] === 'X';
      let j = i + (hex ? 3 : 2);
      const start = j;
      while (j < input.length && (hex ? isHex(input[j]) : input[j]! >= '0' && input[j]! <= '9')) j++;
      if (j > start) {
        out += String.fromCharCode(parseInt(input.slice(start, j), hex ? 16 : 10) & 0xff);
        i = input[j] === ';' ? j + 1 : j;
        continue;
      }
    } else {
      let j = i + 1;
      while (j < input.length && /[a-zA-Z]/.test(input[j]!)) j++;
      const named = NAMED[input.slice(i + 1, j).toLowerCase()];
      if (named !== undefined) {
        out += named;
        i = input[j] === ';' ? j + 1 : j;
        continue;
      }
    }
    out += c;
    i++;
  }
  return out;
}
