const UPPER = /[A-Z]/;
/** ASCII-only, like tolower() in the C locale. */
export function lowercase(input: string): string {
  return UPPER.test(input) ? input.replace(/[A-Z]+/g, (m) => m.toLowerCase()) : input;
}
