import { RbacConfigError } from './errors';
import { asBoolean, asObject, asString, checkFields, oneOf } from './fields';

export type StringPredicate = (value: string) => boolean;

// Constructs RE2 has but JS would treat differently (or RE2 rejects): refuse rather than guess.
const NON_RE2 = /\(\?[=!<]|\\[1-9]|\\k</;

/** Compiles an RE2 regex (Envoy safe_regex) to a full-string JS predicate. */
export function compileRegex(message: unknown, field: string): StringPredicate {
  const regexMessage = asObject(message, field);
  checkFields(regexMessage, field, ['regex', 'google_re2']);
  let pattern = asString(regexMessage['regex'], `${field}.regex`);
  let flags = '';
  if (pattern.startsWith('(?i)')) {
    pattern = pattern.slice(4);
    flags = 'i';
  }
  if (NON_RE2.test(pattern)) throw new RbacConfigError(`${field}.regex`, `"${pattern}" uses syntax RE2 does not support`);
  let regex: RegExp;
  try {
    regex = new RegExp(`^(?:${pattern})$`, flags);
  } catch (err) {
    throw new RbacConfigError(`${field}.regex`, `"${pattern}" is not a valid regex (${(err as Error).message})`);
  }
  return (value) => regex.test(value);
}

const PATTERNS = ['exact', 'prefix', 'suffix', 'contains', 'safe_regex'] as const;

/** Compiles envoy.type.matcher.v3.StringMatcher. */
export function compileStringMatcher(message: unknown, field: string): StringPredicate {
  const matcher = asObject(message, field);
  checkFields(matcher, field, [...PATTERNS, 'ignore_case']);
  const kind = oneOf(matcher, field, PATTERNS);
  if (kind === 'safe_regex') return compileRegex(matcher['safe_regex'], `${field}.safe_regex`);
  const ignoreCase = matcher['ignore_case'] === undefined ? false : asBoolean(matcher['ignore_case'], `${field}.ignore_case`);
  const raw = asString(matcher[kind], `${field}.${kind}`);
  if (kind !== 'exact' && raw === '') throw new RbacConfigError(`${field}.${kind}`, 'must not be empty');
  if (ignoreCase) {
    const expected = raw.toLowerCase();
    const test = plainTest(kind, expected);
    return (v) => test(v.toLowerCase());
  }
  return plainTest(kind, raw);
}

function plainTest(kind: 'exact' | 'prefix' | 'suffix' | 'contains', expected: string): StringPredicate {
  switch (kind) {
    case 'exact':
      return (v) => v === expected;
    case 'prefix':
      return (v) => v.startsWith(expected);
    case 'suffix':
      return (v) => v.endsWith(expected);
    case 'contains':
      return (v) => v.includes(expected);
  }
}
