import type { OperatorFactory } from './types';
import { macroArgument } from './macro-argument';

/** Builds a string operator comparing the input with the (macro-expanded) argument. */
function stringOperator(compare: (input: string, argument: string) => boolean): OperatorFactory {
  return (argument) => {
    const arg = macroArgument(argument);
    return (input, ctx) => compare(input, arg(ctx));
  };
}

export const streq = stringOperator((input, arg) => input === arg);
export const contains = stringOperator((input, arg) => input.includes(arg));
export const beginsWith = stringOperator((input, arg) => input.startsWith(arg));
export const endsWith = stringOperator((input, arg) => input.endsWith(arg));
/** @within: the input is a substring of the argument. */
export const within = stringOperator((input, arg) => arg.includes(input));
export const strmatch = contains;

const WORD = /[A-Za-z0-9_]/;
/** @containsWord: the argument appears bounded by non-word characters. */
export const containsWord = stringOperator((input, arg) => {
  if (!arg) return true;
  for (let at = input.indexOf(arg); at >= 0; at = input.indexOf(arg, at + 1)) {
    const before = input[at - 1];
    const after = input[at + arg.length];
    if ((before === undefined || !WORD.test(before)) && (after === undefined || !WORD.test(after))) return true;
  }
  return false;
});
