import { isSpaceByte } from './hex';

export function compressWhitespace(input: string): string {
  return input.replace(/[\t\n\v\f\r \xa0]+/g, ' ');
}

export function removeWhitespace(input: string): string {
  return input.replace(/[\t\n\v\f\r \xa0]+/g, '');
}

export function trimLeft(input: string): string {
  let i = 0;
  while (i < input.length && isSpaceByte(input.charCodeAt(i))) i++;
  return input.slice(i);
}

export function trimRight(input: string): string {
  let i = input.length;
  while (i > 0 && isSpaceByte(input.charCodeAt(i - 1))) i--;
  return input.slice(0, i);
}

export function trim(input: string): string {
  return trimRight(trimLeft(input));
}
