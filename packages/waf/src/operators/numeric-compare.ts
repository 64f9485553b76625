import type { OperatorFactory } from './types';
import { macroArgument } from './macro-argument';

/** atoi(): leading integer, 0 when there is none. */
export function toInteger(s: string): number {
  const m = /^\s*([+-]?\d+)/.exec(s);
  return m ? parseInt(m[1]!, 10) : 0;
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
