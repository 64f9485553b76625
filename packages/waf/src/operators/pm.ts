import type { OperatorFn } from '../engine/rule';
import type { OperatorFactory } from './types';
import { literalSet } from '../regex/literal-set';

/** Case-insensitive search for any of the phrases (ModSecurity's @pm). */
export function phraseOperator(phrases: string[]): OperatorFn {
  const nonEmpty = phrases.filter(Boolean);
  if (nonEmpty.length === 0) return () => false;
  const re = literalSet(nonEmpty);
  return (input, ctx) => {
    if (!ctx.rule.capture) return re.test(input);
    const m = re.exec(input);
    if (!m) return false;
    ctx.capture([m[0]]);
    return true;
  };
}

/** @pm: space-separated phrases, case-insensitive. */
export const pm: OperatorFactory = (argument) => phraseOperator(argument.split(/\s+/).filter(Boolean));
