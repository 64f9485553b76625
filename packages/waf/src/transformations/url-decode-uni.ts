import { hexPairToChar, isHex, unicodeToByte } from './hex';

/** urlDecode that also understands IIS-style `%uHHHH`. */
export function urlDecodeUni(input: string): string {
  if (input.indexOf('%') < 0 && input.indexOf('+') < 0) return input;
  let out = '';
  for (let i = 0; i < input.length; i++) {
    const c = input[i]!;
    if (c === '%') {
      const n = input[i + 1];
      if ((n === 'u' || n === 'U') && isHex(input[i + 2]) && isHex(input[i + 3]) && isHex(input[i + 4]) && isHex(input[i + 5])) {
        out += unicodeToByte(parseInt(input.substr(i + 2, 4), 16));
        i += 5;
        continue;
      }
      if (isHex(n) && isHex(input[i + 2])) {
        out += hexPairToChar(input, i + 1);
        i += 2;
        continue;
      }
      out += c;
      continue;
    }
    out += c === '+' ? ' ' : c;
  }
  return out;
}
