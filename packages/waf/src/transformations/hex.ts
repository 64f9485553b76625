/** Shared helpers for the decoding transformations. */
export function isHex(c: string | undefined): boolean {
  if (c === undefined) return false;
  const x = c.charCodeAt(0);
  return (x >= 48 && x <= 57) || (x >= 65 && x <= 70) || (x >= 97 && x <= 102);
}

function hexValue(code: number): number {
  return code <= 57 ? code - 48 : (code | 0x20) - 87;
}

/** The byte spelled by the two hex digits at `at` (the caller has checked they are hex). */
export function hexPairToChar(s: string, at: number): string {
  return String.fromCharCode((hexValue(s.charCodeAt(at)) << 4) | hexValue(s.charCodeAt(at + 1)));
}

/** ModSecurity's mapping of a 16-bit code unit to one byte: the low byte, with the
 * full-width ASCII block (U+FF01–U+FF5E) folded onto ASCII. */
export function unicodeToByte(code: number): string {
  let b = code & 0xff;
  if ((code & 0xff00) === 0xff00 && b > 0 && b < 0x5f) b += 0x20;
  return String.fromCharCode(b);
}

/** isspace() in the C locale, plus the non-breaking space ModSecurity also treats as space. */
export function isSpaceByte(code: number): boolean {
  return code === 0x20 || (code >= 0x09 && code <= 0x0d) || code === 0xa0;
}
