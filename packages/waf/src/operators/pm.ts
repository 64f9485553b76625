import type { OperatorFn } from '../engine/rule';
import type { OperatorFactory } from './types';
import { PhraseMatcher } from './aho-corasick';

export function phraseOperator(phrases: string[]): OperatorFn {
  const matcher = new PhraseMatcher(phrases);
  return (input, ctx) => {
    const found = matcher.find(input);
    if (found === undefined) return false;
    if (ctx.rule.capture) ctx.capture([found]);
    return true;
  };
}

/** @pm: space-separated phrases, case-insensitive. */
export const pm: OperatorFactory = (argument) => phraseOperator(argument.split(/\s+/).filter(Boolean));
