import { asArray, asObject } from './fields';

// Necessary conditions of a policy, read off its config once it has compiled (so its shape
// is valid): "this can only match if the request's <attribute> equals one of `exact` or starts
// with one of `prefixes`". Anything the reading does not understand is unconstrained, which
// only costs speed, never a decision.

/** A request attribute a condition is on: `principal`, `namespace`, `path`, `port` or `header:<lower-case name>`. */
export type Attribute = string;

export interface Keys {
  readonly exact: ReadonlySet<string>;
  readonly prefixes: ReadonlySet<string>;
}

/** Attribute → the keys one of which the request must hit; attributes absent are unconstrained. */
export type Conditions = ReadonlyMap<Attribute, Keys>;

const UNCONSTRAINED: Conditions = new Map();

function keyCount(keys: Keys): number {
  return keys.exact.size + keys.prefixes.size;
}

/** AND: each part's conditions hold, so any one per attribute does; keep the narrowest. */
function allOf(parts: Conditions[]): Conditions {
  const merged = new Map<Attribute, Keys>();
  for (const part of parts) {
    for (const [attribute, keys] of part) {
      const kept = merged.get(attribute);
      if (kept === undefined || keyCount(keys) < keyCount(kept)) merged.set(attribute, keys);
    }
  }
  return merged;
}

/** OR: an attribute stays constrained only if every alternative constrains it. */
function anyOf(alternatives: Conditions[]): Conditions {
  const [first, ...rest] = alternatives;
  const merged = new Map<Attribute, Keys>();
  if (first === undefined) return merged;
  for (const attribute of first.keys()) {
    if (!rest.every((alternative) => alternative.has(attribute))) continue;
    const exact = new Set<string>();
    const prefixes = new Set<string>();
    for (const alternative of alternatives) {
      const keys = alternative.get(attribute)!;
      for (const key of keys.exact) exact.add(key);
      for (const key of keys.prefixes) prefixes.add(key);
    }
    merged.set(attribute, { exact, prefixes });
  }
  return merged;
}

function only(attribute: Attribute, keys: Keys | undefined): Conditions {
  return keys === undefined ? UNCONSTRAINED : new Map([[attribute, keys]]);
}

function exactKey(key: string): Keys {
  return { exact: new Set([key]), prefixes: new Set() };
}

function prefixKey(prefix: string): Keys {
  return { exact: new Set(), prefixes: new Set([prefix]) };
}

/** A case-sensitive exact or prefix StringMatcher; the others (regex, suffix, ignore_case…) are not indexable. */
function stringKeys(message: unknown): Keys | undefined {
  const matcher = asObject(message, '');
  if (matcher['ignore_case'] === true) return undefined;
  if (typeof matcher['exact'] === 'string') return exactKey(matcher['exact']);
  if (typeof matcher['prefix'] === 'string') return prefixKey(matcher['prefix']);
  return undefined;
}

// Istio's translation of a `namespaces` source; a namespace name has no regex metacharacters.
const ISTIO_NAMESPACE_REGEX = /^\.\*\/ns\/([A-Za-z0-9_-]+)\/\.\*$/;

/**
 * The namespace of a principal_name regex `.*\/ns/<namespace>/.*`: it can only match a name
 * containing `/ns/<namespace>/`, i.e. one whose principalNamespaces() include it.
 */
function istioNamespace(message: unknown): string | undefined {
  const regex = asObject(message, '')['safe_regex'];
  if (regex === undefined) return undefined;
  return ISTIO_NAMESPACE_REGEX.exec(asObject(regex, '')['regex'] as string)?.[1];
}

function headerConditions(message: unknown): Conditions {
  const header = asObject(message, '');
  // Inverted matches and missing-as-empty can match without the header's value hitting a key.
  if (header['invert_match'] === true || header['treat_missing_header_as_empty'] === true) return UNCONSTRAINED;
  const attribute = `header:${(header['name'] as string).toLowerCase()}`;
  if (typeof header['exact_match'] === 'string') return only(attribute, exactKey(header['exact_match']));
  if (typeof header['prefix_match'] === 'string') return only(attribute, prefixKey(header['prefix_match']));
  if (header['string_match'] !== undefined) return only(attribute, stringKeys(header['string_match']));
  return UNCONSTRAINED;
}

function urlPathConditions(message: unknown): Conditions {
  return only('path', stringKeys(asObject(message, '')['path']));
}

interface ListFields {
  readonly and: string;
  readonly or: string;
  readonly items: string;
}

const PERMISSION_LISTS: ListFields = { and: 'and_rules', or: 'or_rules', items: 'rules' };
const PRINCIPAL_LISTS: ListFields = { and: 'and_ids', or: 'or_ids', items: 'ids' };

/** What permissions and principals share: AND and OR lists, header, url_path. */
function sharedConditions(rule: Record<string, unknown>, lists: ListFields, itemConditions: (item: unknown) => Conditions): Conditions {
  const items = (field: string): Conditions[] => asArray(asObject(rule[field], '')[lists.items], '').map(itemConditions);
  if (rule[lists.and] !== undefined) return allOf(items(lists.and));
  if (rule[lists.or] !== undefined) return anyOf(items(lists.or));
  if (rule['header'] !== undefined) return headerConditions(rule['header']);
  if (rule['url_path'] !== undefined) return urlPathConditions(rule['url_path']);
  return UNCONSTRAINED;
}

function permissionConditions(message: unknown): Conditions {
  const permission = asObject(message, '');
  if (permission['destination_port'] !== undefined) return only('port', exactKey(String(permission['destination_port'])));
  return sharedConditions(permission, PERMISSION_LISTS, permissionConditions);
}

function principalConditions(message: unknown): Conditions {
  const principal = asObject(message, '');
  if (principal['authenticated'] !== undefined) {
    const name = asObject(principal['authenticated'], '')['principal_name'];
    if (name === undefined) return UNCONSTRAINED;
    const namespace = istioNamespace(name);
    return namespace === undefined ? only('principal', stringKeys(name)) : only('namespace', exactKey(namespace));
  }
  return sharedConditions(principal, PRINCIPAL_LISTS, principalConditions);
}

/** The necessary conditions of an envoy.config.rbac.v3.Policy that compilePolicy accepted. */
export function policyConditions(message: unknown): Conditions {
  const policy = asObject(message, '');
  return allOf([
    anyOf(asArray(policy['permissions'], '').map(permissionConditions)),
    anyOf(asArray(policy['principals'], '').map(principalConditions)),
  ]);
}
