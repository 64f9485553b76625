import type { OperatorFactory } from './types';
import { compilePcre, type Regex } from '../regex/compile';
import { parseMacro } from '../engine/macro';

/** @rx: PCRE-compatible regular expression, run on a linear-time engine. */
export const rx: OperatorFactory = (argument) => {
  const macro = parseMacro(argument);
  let fixed: Regex | undefined;
  const dynamic = new Map<string, Regex>();
  if (macro.literal) fixed = compilePcre(argument);
  return (input, ctx) => {
    let re = fixed;
    if (!re) {
      const source = ctx.expand(macro);
      re = dynamic.get(source);
      if (!re) dynamic.set(source, (re = compilePcre(source)));
    }
    if (!ctx.rule.capture) return re.test(input);
    const m = re.exec(input);
    if (!m) return false;
    ctx.capture(m);
    return true;
  };
};
