import type { Regex } from '../regex/compile';
import type { Macro } from './macro';
import type { Transaction } from './transaction';
import type { VariableDef } from '../variables/registry';

export type Phase = 1 | 2 | 3 | 4 | 5;

/** Which values of a variable a rule reads: `ARGS`, `ARGS:id`, `ARGS:/^id_/`, `&ARGS`. */
export interface TargetSpec {
  readonly variable: string;
  /** Resolved once at load time. */
  readonly def: VariableDef;
  readonly key?: string;
  /** `key` lower-cased once, for case-insensitive look-ups. */
  readonly keyLower?: string;
  readonly keyRegex?: Regex;
  readonly count: boolean;
}

/** `!ARGS:id` in a rule, or a removal made by SecRuleUpdateTarget* / ctl:ruleRemoveTarget*. */
export interface TargetExclusion {
  readonly variable: string;
  readonly key?: string;
  readonly keyRegex?: Regex;
}

/** Operator as run on one (transformed) value. */
export type OperatorFn = (input: string, ctx: OperatorContext) => boolean;

export interface OperatorContext {
  readonly tx: Transaction;
  readonly rule: Rule;
  /** Expands `%{...}` macros in an operator argument. */
  expand(macro: Macro): string;
  /** Records capture groups (TX:0..TX:9) when the rule has the `capture` action. */
  capture(groups: readonly (string | undefined)[]): void;
}

export interface OperatorSpec {
  readonly name: string;
  readonly negated: boolean;
  readonly argument: string;
  readonly run: OperatorFn;
}

export type Transformation = (input: string) => string;

/** Runs at match time: setvar, ctl, initcol … */
export type RuntimeAction = (tx: Transaction, rule: Rule) => void;

export type DisruptiveKind = 'pass' | 'deny' | 'drop' | 'allow' | 'redirect' | 'block';

export interface Disruptive {
  readonly kind: DisruptiveKind;
  /** `allow:phase` / `allow:request`; undefined means the whole transaction. */
  readonly allowScope?: 'phase' | 'request';
}

/** A compiled SecRule / SecAction / SecMarker (markers have `marker` set and nothing to match). */
export interface Rule {
  id: number;
  phase: Phase;
  file: string;
  line: number;
  marker?: string;
  targets: TargetSpec[];
  /** Some target reads MATCHED_VAR(S)(_NAMES), which evaluating this rule replaces. */
  readsMatchedVars: boolean;
  exclusions: TargetExclusion[];
  operator: OperatorSpec;
  transformations: Transformation[];
  transformationNames: string[];
  /**
   * For each transformation, a small integer naming the chain up to it (`urlDecodeUni,lowercase`);
   * rules sharing a chain or a prefix of one share its per-transaction cached results.
   */
  transformationSteps: number[];
  actions: RuntimeAction[];
  disruptive?: Disruptive;
  status?: number;
  redirect?: Macro;
  msg?: Macro;
  logdata?: Macro;
  severity?: number;
  tags: string[];
  ver?: string;
  rev?: string;
  maturity?: number;
  accuracy?: number;
  log?: boolean;
  auditlog?: boolean;
  capture: boolean;
  multiMatch: boolean;
  /** True for the first rule of a chain while it is being parsed (the `chain` action). */
  chainStarter: boolean;
  /** The next link of the chain, if any. */
  chained?: Rule;
  /** The first rule of the chain this link belongs to (itself for a starter). */
  parent?: Rule;
  skip: number;
  skipAfter?: string;
  /** Set when t:none appeared: default transformations are not inherited. */
  resetTransformations: boolean;
  /** Which explicit settings came from the rule (vs. SecDefaultAction). */
  explicitPhase: boolean;
}

export const SEVERITIES = ['EMERGENCY', 'ALERT', 'CRITICAL', 'ERROR', 'WARNING', 'NOTICE', 'INFO', 'DEBUG'];
