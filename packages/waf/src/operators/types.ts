import type { OperatorFn } from '../engine/rule';

/** Where the rule was written, for operators that read data files relative to it. */
export interface OperatorLoadContext {
  readonly file: string;
  readonly readDataFile: (path: string) => string;
}

/** Builds the matching function once, when the rule is loaded. */
export type OperatorFactory = (argument: string, load: OperatorLoadContext) => OperatorFn;
