import type { Collection, Entry } from '../collections/collection';
import type { Transaction } from '../engine/transaction';

/**
 * How a variable is read from a transaction: a collection (ARGS, TX …), the keys of a
 * collection as values (ARGS_NAMES …) or a single value (REQUEST_URI …).
 */
export type VariableDef =
  | { readonly kind: 'collection'; readonly get: (tx: Transaction) => Collection }
  | { readonly kind: 'names'; readonly get: (tx: Transaction) => Collection }
  | {
      readonly kind: 'single';
      readonly get: (tx: Transaction) => string | undefined;
      /** The value with the engine's cache of its transformations. */
      readonly entry: (tx: Transaction) => Entry | undefined;
    };

const collection = (name: string): VariableDef => ({ kind: 'collection', get: (tx) => tx.collection(name) });
const names = (name: string): VariableDef => ({ kind: 'names', get: (tx) => tx.collection(name) });
const single = (name: string): VariableDef => ({ kind: 'single', get: (tx) => tx.single(name), entry: (tx) => tx.singleEntry(name) });

const COLLECTIONS = [
  'ARGS', 'ARGS_GET', 'ARGS_POST', 'REQUEST_HEADERS', 'REQUEST_COOKIES', 'RESPONSE_HEADERS', 'TX', 'ENV',
  'FILES', 'FILES_SIZES', 'FILES_TMPNAMES', 'FILES_TMP_CONTENT', 'MULTIPART_PART_HEADERS', 'XML', 'MATCHED_VARS',
  'IP', 'GLOBAL', 'SESSION', 'USER', 'RESOURCE', 'GEO', 'RULE',
];
const NAMES: Record<string, string> = {
  ARGS_NAMES: 'ARGS', ARGS_GET_NAMES: 'ARGS_GET', ARGS_POST_NAMES: 'ARGS_POST',
  REQUEST_HEADERS_NAMES: 'REQUEST_HEADERS', REQUEST_COOKIES_NAMES: 'REQUEST_COOKIES',
  RESPONSE_HEADERS_NAMES: 'RESPONSE_HEADERS', FILES_NAMES: 'FILES', MATCHED_VARS_NAMES: 'MATCHED_VARS',
};
export const SINGLES = [
  'REQUEST_URI', 'REQUEST_URI_RAW', 'REQUEST_FILENAME', 'REQUEST_BASENAME', 'REQUEST_LINE', 'REQUEST_METHOD',
  'REQUEST_PROTOCOL', 'QUERY_STRING', 'REQUEST_BODY', 'REQUEST_BODY_LENGTH', 'FULL_REQUEST', 'FULL_REQUEST_LENGTH',
  'ARGS_COMBINED_SIZE', 'FILES_COMBINED_SIZE', 'REMOTE_ADDR', 'REMOTE_HOST', 'REMOTE_PORT', 'REMOTE_USER',
  'SERVER_ADDR', 'SERVER_NAME', 'SERVER_PORT', 'UNIQUE_ID', 'AUTH_TYPE', 'PATH_INFO',
  'REQBODY_ERROR', 'REQBODY_ERROR_MSG', 'REQBODY_PROCESSOR', 'REQBODY_PROCESSOR_ERROR', 'INBOUND_DATA_ERROR',
  'MATCHED_VAR', 'MATCHED_VAR_NAME', 'RESPONSE_STATUS', 'RESPONSE_PROTOCOL', 'RESPONSE_BODY',
  'RESPONSE_CONTENT_TYPE', 'RESPONSE_CONTENT_LENGTH', 'OUTBOUND_DATA_ERROR', 'STATUS_LINE', 'HIGHEST_SEVERITY',
  'DURATION', 'TIME', 'TIME_EPOCH', 'TIME_DAY', 'TIME_HOUR', 'TIME_MIN', 'TIME_MON', 'TIME_SEC', 'TIME_WDAY', 'TIME_YEAR',
  'URLENCODED_ERROR', 'WEBAPPID', 'SESSIONID', 'USERID', 'MULTIPART_BOUNDARY_QUOTED', 'MULTIPART_BOUNDARY_WHITESPACE',
  'MULTIPART_CRLF_LF_LINES', 'MULTIPART_DATA_AFTER', 'MULTIPART_DATA_BEFORE', 'MULTIPART_FILE_LIMIT_EXCEEDED',
  'MULTIPART_HEADER_FOLDING', 'MULTIPART_INVALID_HEADER_FOLDING', 'MULTIPART_INVALID_PART', 'MULTIPART_INVALID_QUOTING',
  'MULTIPART_LF_LINE', 'MULTIPART_MISSING_SEMICOLON', 'MULTIPART_SEMICOLON_MISSING', 'MULTIPART_STRICT_ERROR',
  'MULTIPART_UNMATCHED_BOUNDARY', 'MULTIPART_FILENAME', 'MULTIPART_NAME',
];

const VARIABLES = new Map<string, VariableDef>();
for (const name of COLLECTIONS) VARIABLES.set(name, collection(name));
for (const [name, of] of Object.entries(NAMES)) VARIABLES.set(name, names(of));
for (const name of SINGLES) VARIABLES.set(name, single(name));

/** Macros and targets hold names upper-cased at load time: those are found without a copy. */
export function getVariable(name: string): VariableDef | undefined {
  return VARIABLES.get(name) ?? VARIABLES.get(name.toUpperCase());
}
