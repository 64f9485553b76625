import type { OperatorContext } from '../engine/rule';
import { parseMacro } from '../engine/macro';

/** An operator argument that may hold `%{...}` macros: expanded per call only when needed. */
export function macroArgument(argument: string): (ctx: OperatorContext) => string {
  const macro = parseMacro(argument);
  return macro.literal ? () => argument : (ctx) => ctx.expand(macro);
}
