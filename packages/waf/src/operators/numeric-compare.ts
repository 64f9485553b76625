import type { OperatorFactory } from './types';
import { macroArgument } from './macro-argument';

/** atoi(): optional leading whitespace and sign, then digits up to the first non-digit; 0 when none. */
export function toInteger(s: string): number {
  let i = 0;
  while (i < s.length && (s.charCodeAt(i) === 32 || (s.charCodeAt(i) >= 9 && s.charCodeAt(i) <= 13))) i++;
  let sign = 1;
  if (s[i] === '+' || s[i] === '-') sign = s[i++] === '-' ? -1 : 1;
  let n = 0;
  for (let c = s.charCodeAt(i); c >= 48 && c <= 57; c = s.charCodeAt(++i)) n = n * 10 + (c - 48);
  return sign * n;
}

function numericOperator(compare: (a: number, b: number) => boolean): OperatorFactory {
  return (argument) => {
    const arg = macroArgument(argument);
    return (input, ctx) => compare(toInteger(input), toInteger(arg(ctx)));
  };
}

export const eq = numericOperator((a, b) => a === b);
export const ge = numericOperator((a, b) => a >= b);
export const gt = numericOperator((a, b) => a > b);
export const le = numericOperator((a, b) => a <= b);
export const lt = numericOperator((a, b) => a < b);
