const UPPER = /[A-Z]/;
const NON_ASCII = /[\u0080-\uffff]/;
/** ASCII-only, like tolower() in the C locale (Latin-1 letters keep their case). */
export function lowercase(input: string): string {
  if (!UPPER.test(input)) return input;
  return NON_ASCII.test(input) ? input.replace(/[A-Z]+/g, (m) => m.toLowerCase()) : input.toLowerCase();
}
