import type { OperatorFactory } from './types';

/** True when the bytes are valid UTF-8 (no overlongs, surrogates or code points past U+10FFFF). */
export function isValidUtf8(input: string): boolean {
  for (let i = 0; i < input.length; ) {
    const b = input.charCodeAt(i);
    if (b < 0x80) {
      i++;
      continue;
    }
    let len: number;
    let min: number;
    let cp: number;
    if (b >= 0xc2 && b <= 0xdf) [len, min, cp] = [2, 0x80, b & 0x1f];
    else if (b >= 0xe0 && b <= 0xef) [len, min, cp] = [3, 0x800, b & 0x0f];
    else if (b >= 0xf0 && b <= 0xf4) [len, min, cp] = [4, 0x10000, b & 0x07];
    else return false;
    if (i + len > input.length) return false;
    for (let k = 1; k < len; k++) {
      const c = input.charCodeAt(i + k);
      if ((c & 0xc0) !== 0x80) return false;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += len;
  }
  return true;
}

/** @validateUtf8Encoding: matches on invalid UTF-8. */
export const validateUtf8Encoding: OperatorFactory = () => (input) => !isValidUtf8(input);
