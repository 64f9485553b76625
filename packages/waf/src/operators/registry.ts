import type { OperatorFactory } from './types';
import { rx } from './rx';
import { pm } from './pm';
import { pmFromFile } from './pm-from-file';
import { beginsWith, contains, containsWord, endsWith, streq, strmatch, within } from './string-compare';
import { eq, ge, gt, le, lt } from './numeric-compare';
import { ipMatch, ipMatchFromFile } from './ip-match';
import { validateByteRange } from './validate-byte-range';
import { validateUrlEncoding } from './validate-url-encoding';
import { validateUtf8Encoding } from './validate-utf8-encoding';
import { detectSQLi, detectXSS } from './libinjection';

const never: OperatorFactory = () => () => false;
const always: OperatorFactory = () => () => true;

/**
 * Operators by lower-cased name. Look-ups that need the network or databases this library
 * does not have (rbl, geoLookup, inspectFile, schema validation) never match.
 */
const OPERATORS: Record<string, OperatorFactory> = {
  beginswith: beginsWith,
  contains,
  containsword: containsWord,
  detectsqli: detectSQLi,
  detectxss: detectXSS,
  endswith: endsWith,
  eq,
  ge,
  geolookup: never,
  gt,
  inspectfile: never,
  ipmatch: ipMatch,
  ipmatchf: ipMatchFromFile,
  ipmatchfromfile: ipMatchFromFile,
  le,
  lt,
  nomatch: never,
  pm,
  pmf: pmFromFile,
  pmfromfile: pmFromFile,
  rbl: never,
  rx,
  streq,
  strmatch,
  unconditionalmatch: always,
  validatebyterange: validateByteRange,
  validatedtd: never,
  validateschema: never,
  validateurlencoding: validateUrlEncoding,
  validateutf8encoding: validateUtf8Encoding,
  within,
};

export function getOperator(name: string): OperatorFactory | undefined {
  return OPERATORS[name.toLowerCase()];
}
