import type { ActionHandler } from './types';

export const log: ActionHandler = (rule) => {
  rule.log = true;
};
export const nolog: ActionHandler = (rule) => {
  rule.log = false;
  rule.auditlog ??= false;
};
export const auditlog: ActionHandler = (rule) => {
  rule.auditlog = true;
};
export const noauditlog: ActionHandler = (rule) => {
  rule.auditlog = false;
};
export const capture: ActionHandler = (rule) => {
  rule.capture = true;
};
export const multiMatch: ActionHandler = (rule) => {
  rule.multiMatch = true;
};
/** Accepted and ignored: these change logging/sanitising output this library does not produce. */
export const ignored: ActionHandler = () => {};
