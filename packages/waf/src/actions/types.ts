import type { Rule } from '../engine/rule';

/**
 * An action applies itself to the rule being built: metadata and flow actions set fields,
 * runtime actions (setvar, ctl …) append to `rule.actions`. Errors are thrown as plain
 * Errors; the parser adds the file and line.
 */
export type ActionHandler = (rule: Rule, value: string | undefined) => void;
