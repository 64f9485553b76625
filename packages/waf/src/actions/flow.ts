import type { ActionHandler } from './types';

export const chain: ActionHandler = (rule) => {
  rule.chainStarter = true;
};
export const skip: ActionHandler = (rule, value) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`invalid skip count "${value}"`);
  rule.skip = n;
};
export const skipAfter: ActionHandler = (rule, value) => {
  if (!value) throw new Error('skipAfter needs a marker');
  rule.skipAfter = value;
};
