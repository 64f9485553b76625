import { isHex, unicodeToByte } from './hex';

/** CSS 2 escapes: `\` + 1–6 hex digits (one optional trailing space eaten), `\` newline dropped. */
export function cssDecode(input: string): string {
  if (input.indexOf('\\') < 0) return input;
  let out = '';
  for (let i = 0; i < input.length; i++) {
    const c = input[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    if (i + 1 >= input.length) break; // a trailing lone backslash is dropped
    let j = i + 1;
    while (j < input.length && j - i <= 6 && isHex(input[j])) j++;
    if (j > i + 1) {
      const hex = input.slice(i + 1, j);
      out += hex.length <= 2 ? String.fromCharCode(parseInt(hex, 16)) : unicodeToByte(parseInt(hex.slice(-4), 16));
      if (input[j] === ' ') j++;
      i = j - 1;
    } else if (input[j] === '\n') {
      i = j;
    } else {
      out += input[j];
      i = j;
    }
  }
  return out;
}
