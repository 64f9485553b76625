export function removeNulls(input: string): string {
  return input.indexOf('\0') < 0 ? input : input.replace(/\0/g, '');
}

export function replaceNulls(input: string): string {
  return input.indexOf('\0') < 0 ? input : input.replace(/\0/g, ' ');
}
