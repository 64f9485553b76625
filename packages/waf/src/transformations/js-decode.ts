import { isHex, unicodeToByte } from './hex';

const SIMPLE: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

/** Decodes JavaScript escapes: `\uHHHH`, `\xHH`, octal, `\n`-style, and `\c` → `c`. */
export function jsDecode(input: string): string {
  if (input.indexOf('\\') < 0) return input;
  let out = '';
  for (let i = 0; i < input.length; i++) {
    const c = input[i]!;
    if (c !== '\\' || i + 1 >= input.length) {
      out += c;
      continue;
    }
    const n = input[i + 1]!;
    if ((n === 'u' || n === 'U') && isHex(input[i + 2]) && isHex(input[i + 3]) && isHex(input[i + 4]) && isHex(input[i + 5])) {
      out += unicodeToByte(parseInt(input.substr(i + 2, 4), 16));
      i += 5;
    } else if ((n === 'x' || n === 'X') && isHex(input[i + 2]) && isHex(input[i + 3])) {
      out += String.fromCharCode(parseInt(input.substr(i + 2, 2), 16));
      i += 3;
    } else if (n >= '0' && n <= '7') {
      let j = i + 1;
      let digits = '';
      while (digits.length < 3 && input[j] !== undefined && input[j]! >= '0' && input[j]! <= '7') digits += input[j++];
      if (digits.length === 3 && parseInt(digits, 8) > 0xff) digits = digits.slice(0, 2);
      out += String.fromCharCode(parseInt(digits, 8));
      i += digits.length;
    } else {
      out += SIMPLE[n] ?? n;
      i += 1;
    }
  }
  return out;
}
