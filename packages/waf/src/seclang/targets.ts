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
    const def = getVariable(variable);
    if (!def) throw new Error(`unknown variable "${variable}"`);
    let selector = colon < 0 ? undefined : s.slice(colon + 1);
    if (selector !== undefined && selector.length >= 2 && selector.startsWith("'") && selector.endsWith("'")) selector = selector.slice(1, -1);
    let key: string | undefined;
    let keyRegex: ReturnType<typeof compilePlain> | undefined;
    if (selector !== undefined && selector !== '') {
      if (selector.length >= 2 && selector.startsWith('/') && selector.endsWith('/')) keyRegex = compilePlain(selector.slice(1, -1), true);
      else key = selector;
    }
    // Every spec gets all fields, in one order: one object shape keeps the engine's property reads monomorphic.
    if (exclude) exclusions.push({ variable, key, keyRegex });
    else targets.push({ variable, def, key, keyLower: key?.toLowerCase(), keyRegex, count });
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
