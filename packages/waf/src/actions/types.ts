import type { Rule } from '../engine/rule';

export interface ActionParseContext {
  /** Compiles a `t:` name; throws for unknown ones. */
  readonly file: string;
  readonly line: number;
}

/**
 * An action applies itself to the rule being built: metadata and flow actions set fields,
 * runtime actions (setvar, ctl …) append to `rule.actions`.
 */
export type ActionHandler = (rule: Rule, value: string | undefined, ctx: ActionParseContext) => void;
