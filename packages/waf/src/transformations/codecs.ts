import { hash } from 'node:crypto';
import { isHex } from './hex';

export function base64Decode(input: string): string {
  const cleaned = input.replace(/[^A-Za-z0-9+/=]/g, '');
  return Buffer.from(cleaned, 'base64').toString('latin1');
}

export function hexDecode(input: string): string {
  let out = '';
  for (let i = 0; i + 1 < input.length; i += 2) {
    if (!isHex(input[i]) || !isHex(input[i + 1])) return out;
    out += String.fromCharCode(parseInt(input.substr(i, 2), 16));
  }
  return out;
}

export function hexEncode(input: string): string {
  return Buffer.from(input, 'latin1').toString('hex');
}

/**
 * One-shot hash() is about twice as fast as createHash() on a User-Agent, which CRS hashes on
 * every request; Node 20's hash() returns text only, hence the base64 round trip to bytes.
 */
function digestBytes(algorithm: 'sha1' | 'md5', input: string): string {
  return Buffer.from(hash(algorithm, Buffer.from(input, 'latin1'), 'base64'), 'base64').toString('latin1');
}

export function sha1(input: string): string {
  return digestBytes('sha1', input);
}

export function md5(input: string): string {
  return digestBytes('md5', input);
}

export function length(input: string): string {
  return String(input.length);
}

/** `0x414243` → `ABC`, as MySQL reads hex literals. */
export function sqlHexDecode(input: string): string {
  return input.replace(/0x((?:[0-9a-fA-F]{2})+)/g, (_m, hex: string) => hexDecode(hex));
}

/** Multi-byte UTF-8 sequences become `%uHHHH`; other bytes are kept. */
export function utf8toUnicode(input: string): string {
  if (!/[\x80-\xff]/.test(input)) return input;
  let out = '';
  for (let i = 0; i < input.length; i++) {
    const b = input.charCodeAt(i);
    let len = 0;
    let cp = 0;
    if (b >= 0xc2 && b <= 0xdf) [len, cp] = [2, b & 0x1f];
    else if (b >= 0xe0 && b <= 0xef) [len, cp] = [3, b & 0x0f];
    else if (b >= 0xf0 && b <= 0xf4) [len, cp] = [4, b & 0x07];
    let ok = len > 0 && i + len <= input.length;
    for (let k = 1; ok && k < len; k++) {
      const c = input.charCodeAt(i + k);
      if ((c & 0xc0) !== 0x80) ok = false;
      else cp = (cp << 6) | (c & 0x3f);
    }
    if (!ok) {
      out += input[i];
      continue;
    }
    out += '%u' + cp.toString(16).padStart(4, '0');
    i += len - 1;
  }
  return out;
}

const ESCAPES: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '?': '?', "'": "'", '"': '"' };

/** ANSI C escape sequences: `\n`, `\xHH`, `\OOO` … */
export function escapeSeqDecode(input: string): string {
  if (input.indexOf('\\') < 0) return input;
  return input.replace(/\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3}|.)/gs, (m, e: string) => {
    if (e[0] === 'x' && e.length > 1) return String.fromCharCode(parseInt(e.slice(1), 16));
    if (/^[0-7]+$/.test(e)) return String.fromCharCode(parseInt(e, 8) & 0xff);
    return ESCAPES[e] ?? m;
  });
}
