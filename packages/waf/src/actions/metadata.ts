import type { ActionHandler } from './types';
import { parseMacro } from '../engine/macro';
import { SEVERITIES, type Phase } from '../engine/rule';

function required(name: string, value: string | undefined): string {
  if (value === undefined || value === '') throw new Error(`action "${name}" needs a value`);
  return value;
}

export const id: ActionHandler = (rule, value) => {
  const n = Number(required('id', value));
  if (!Number.isInteger(n) || n <= 0) throw new Error(`invalid rule id "${value}"`);
  rule.id = n;
};

const PHASE_NAMES: Record<string, Phase> = { request: 2, response: 4, logging: 5 };
export const phase: ActionHandler = (rule, value) => {
  const v = required('phase', value).toLowerCase();
  const p = PHASE_NAMES[v] ?? Number(v);
  if (![1, 2, 3, 4, 5].includes(p)) throw new Error(`invalid phase "${value}"`);
  rule.phase = p as Phase;
  rule.explicitPhase = true;
};

export const msg: ActionHandler = (rule, value) => {
  rule.msg = parseMacro(value ?? '');
};
export const logdata: ActionHandler = (rule, value) => {
  rule.logdata = parseMacro(value ?? '');
};
export const severity: ActionHandler = (rule, value) => {
  const v = required('severity', value);
  const n = /^\d+$/.test(v) ? Number(v) : SEVERITIES.indexOf(v.toUpperCase());
  if (n < 0 || n > 7) throw new Error(`invalid severity "${value}"`);
  rule.severity = n;
};
export const tag: ActionHandler = (rule, value) => {
  rule.tags.push(value ?? '');
};
export const ver: ActionHandler = (rule, value) => {
  rule.ver = value;
};
export const rev: ActionHandler = (rule, value) => {
  rule.rev = value;
};
export const maturity: ActionHandler = (rule, value) => {
  rule.maturity = Number(value);
};
export const accuracy: ActionHandler = (rule, value) => {
  rule.accuracy = Number(value);
};
