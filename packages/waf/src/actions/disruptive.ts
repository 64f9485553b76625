import type { ActionHandler } from './types';
import { parseMacro } from '../engine/macro';

export const pass: ActionHandler = (rule) => {
  rule.disruptive = { kind: 'pass' };
};
export const block: ActionHandler = (rule) => {
  rule.disruptive = { kind: 'block' };
};
export const deny: ActionHandler = (rule) => {
  rule.disruptive = { kind: 'deny' };
};
export const drop: ActionHandler = (rule) => {
  rule.disruptive = { kind: 'drop' };
};
export const allow: ActionHandler = (rule, value) => {
  const scope = value?.toLowerCase();
  if (scope !== undefined && scope !== 'phase' && scope !== 'request') throw new Error(`invalid allow scope "${value}"`);
  rule.disruptive = scope ? { kind: 'allow', allowScope: scope } : { kind: 'allow' };
};
export const redirect: ActionHandler = (rule, value) => {
  rule.disruptive = { kind: 'redirect' };
  rule.redirect = parseMacro(value ?? '');
};
export const status: ActionHandler = (rule, value) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 100 || n > 999) throw new Error(`invalid status "${value}"`);
  rule.status = n;
};
