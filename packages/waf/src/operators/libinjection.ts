import { detectSQLi as sqli, detectXSS as xss } from '@trellis/libinjection';
import type { OperatorFactory } from './types';

/** @detectSQLi: libinjection's SQL injection detector; the fingerprint is captured as TX:0. */
export const detectSQLi: OperatorFactory = () => (input, ctx) => {
  const result = sqli(input);
  if (result.isSqli && ctx.rule.capture) ctx.capture([result.fingerprint]);
  return result.isSqli;
};

/** @detectXSS: libinjection's XSS detector. */
export const detectXSS: OperatorFactory = () => (input) => xss(input);
