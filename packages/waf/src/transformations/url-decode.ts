import { hexPairToChar, isHex } from './hex';

/** Non-strict URL decoding: `+` is a space, invalid `%` escapes are kept as they are. */
export function urlDecode(input: string): string {
  if (input.indexOf('%') < 0 && input.indexOf('+') < 0) return input;
  let out = '';
  for (let i = 0; i < input.length; i++) {
    const c = input[i]!;
    if (c === '%' && isHex(input[i + 1]) && isHex(input[i + 2])) {
      out += hexPairToChar(input, i + 1);
      i += 2;
    } else out += c === '+' ? ' ' : c;
  }
  return out;
}
