export { Waf, type WafLoadOptions } from './waf';
export { Transaction, type Interruption, type MatchedRule, type TransactionOptions, type HeaderList } from './engine/transaction';
export { SecLangError } from './seclang/errors';
export { pcreToRe2, UnsupportedPcreError } from './regex/pcre-to-re2';
export * as ftw from './ftw';
export { crsDirectives, CRS_REGRESSION_SETUP, DEBIAN_CRS, type CrsOptions } from './crs';
export { TRELLIS_DEFAULT_PROFILE } from './profiles/trellis-default';
export { WafWorkerPool, WorkerPoolError, type WorkerPoolOptions } from './isolation/pool';
export { evaluateBuffered, type BufferedRequest, type Verdict } from './isolation/buffered';
