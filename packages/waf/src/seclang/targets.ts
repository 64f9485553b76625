import { compilePlain } from '../regex/compile';
import { getVariable } from '../variables/registry';
import type { TargetExclusion, TargetSpec } from '../engine/rule';

export interface ParsedTargets {
  readonly targets: TargetSpec[];
  readonly exclusions: TargetExclusion[];
}

/**
 * Parses `ARGS|!ARGS:foo|&TX:bar|REQUEST_COOKIES:/^__utm/` (a `|` inside a `/regex/` or
 * quotes does not split). Throws on unknown variables.
 */
export function parseTargets(text: string): ParsedTargets {
  const targets: TargetSpec[] = [];
  const exclusions: TargetExclusion[] = [];
  for (const item of splitTargets(text)) {
    let s = item.trim();
    if (!s) continue;
    const exclude = s.startsWith('!');
    const count = s.startsWith('&');
    if (exclude || count) s = s.slice(1);
    const colon = s.indexOf(':');
    const variable = (colon < 0 ? s : s.slice(0, colon)).toUpperCase();
    if (!getVariable(variable)) throw new Error(`unknown variable "${variable}"`);
    let selector = colon < 0 ? undefined : s.slice(colon + 1);
    if (selector !== undefined && selector.length >= 2 && selector.startsWith("'") && selector.endsWith("'")) selector = selector.slice(1, -1);
    const spec: { variable: string; key?: string; keyRegex?: ReturnType<typeof compilePlain> } = { variable };
    if (selector !== undefined && selector !== '') {
      if (selector.length >= 2 && selector.startsWith('/') && selector.endsWith('/')) {
        spec.keyRegex = compilePlain(selector.slice(1, -1), true);
      } else spec.key = selector;
    }
    if (exclude) exclusions.push(spec);
    else targets.push({ ...spec, count });
  }
  return { targets, exclusions };
}

function splitTargets(text: string): string[] {
  const out: string[] = [];
  let current = '';
  let inRegex = false;
  let inQuote = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && inRegex) {
      current += c + (text[i + 1] ?? '');
      i++;
      continue;
    }
    if (c === "'") inQuote = !inQuote;
    else if (c === '/' && !inQuote && (inRegex || text[i - 1] === ':' || text[i - 1] === "'")) inRegex = !inRegex;
    if (c === '|' && !inRegex && !inQuote) {
      out.push(current);
      current = '';
      continue;
    }
    current += c;
  }
  out.push(current);
  return out;
}
