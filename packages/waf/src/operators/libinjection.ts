import * as libinjection from '@trellis/libinjection';
import type { OperatorFactory } from './types';

/** The part of @trellis/libinjection's API the operators use (typed here while it is written). */
interface LibInjection {
  detectSQLi?: (input: string | Buffer) => { isSqli: boolean; fingerprint: string };
  detectXSS?: (input: string | Buffer) => boolean;
}

const lib = libinjection as unknown as LibInjection;

/** Whether @trellis/libinjection provides the detectors yet (until then they never match). */
export const libinjectionAvailable = {
  sqli: typeof lib.detectSQLi === 'function',
  xss: typeof lib.detectXSS === 'function',
};

/** @detectSQLi: libinjection's SQL injection detector; the fingerprint is captured as TX:0. */
export const detectSQLi: OperatorFactory = () => (input, ctx) => {
  if (!lib.detectSQLi) return false;
  const result = lib.detectSQLi(Buffer.from(input, 'latin1'));
  if (result.isSqli && ctx.rule.capture) ctx.capture([result.fingerprint]);
  return result.isSqli;
};

/** @detectXSS: libinjection's XSS detector. */
export const detectXSS: OperatorFactory = () => (input) => (lib.detectXSS ? lib.detectXSS(Buffer.from(input, 'latin1')) : false);
