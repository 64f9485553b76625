/**
 * The engine works on "byte strings": JS strings whose every code unit is one byte (0-255),
 * as ModSecurity works on raw bytes. Text given as a JS string is UTF-8 encoded first.
 */
const NON_ASCII = /[\u0080-\uffff]/;

export function toByteString(input: string | Buffer | Uint8Array): string {
  if (typeof input === 'string') {
    return NON_ASCII.test(input) ? Buffer.from(input, 'utf8').toString('latin1') : input;
  }
  return Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('latin1');
}

export function byteStringToBuffer(input: string): Buffer {
  return Buffer.from(input, 'latin1');
}
