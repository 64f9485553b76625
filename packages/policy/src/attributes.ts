import { parseCidr } from '@trellis/rbac';
import type { AuthorizationAction, Attribute, Operation, Rule, Source } from './model';
import { checkWildcards } from './patterns';
import { expandPrincipal, type TrustDomainBundle } from './trust-domain';

// The attributes a rule can test, where each goes in Envoy's Policy (principal or
// permission side), and which only exist for HTTP. Shared by validation, evaluation
// and translation so the three cannot disagree.

/** One attribute test: any of `values` (if any) and none of `notValues`. */
export interface Clause {
  attribute: Attribute;
  values: string[];
  notValues: string[];
}

type SourceKey = keyof Source;
type OperationKey = keyof Operation;

export const SOURCE_FIELDS: ReadonlyArray<readonly [SourceKey, SourceKey, Attribute]> = [
  ['principals', 'notPrincipals', { kind: 'source.principal' }],
  ['requestPrincipals', 'notRequestPrincipals', { kind: 'request.auth.principal' }],
  ['namespaces', 'notNamespaces', { kind: 'source.namespace' }],
  ['remoteIpBlocks', 'notRemoteIpBlocks', { kind: 'remote.ip' }],
  ['ipBlocks', 'notIpBlocks', { kind: 'source.ip' }],
  ['serviceAccounts', 'notServiceAccounts', { kind: 'source.serviceAccount' }],
];

export const OPERATION_FIELDS: ReadonlyArray<readonly [OperationKey, OperationKey, Attribute]> = [
  ['hosts', 'notHosts', { kind: 'request.host' }],
  ['methods', 'notMethods', { kind: 'request.method' }],
  ['paths', 'notPaths', { kind: 'request.path' }],
  ['ports', 'notPorts', { kind: 'destination.port' }],
];

const SIMPLE_KEYS: Record<string, Attribute> = {
  'source.ip': { kind: 'source.ip' },
  'remote.ip': { kind: 'remote.ip' },
  'source.namespace': { kind: 'source.namespace' },
  'source.principal': { kind: 'source.principal' },
  'request.auth.principal': { kind: 'request.auth.principal' },
  'request.auth.audiences': { kind: 'request.auth.audiences' },
  'request.auth.presenter': { kind: 'request.auth.presenter' },
  'destination.ip': { kind: 'destination.ip' },
  'destination.port': { kind: 'destination.port' },
  'connection.sni': { kind: 'connection.sni' },
};

export const SUPPORTED_CONDITION_KEYS =
  'request.headers[<name>], source.ip, remote.ip, source.namespace, source.principal, request.auth.principal, ' +
  'request.auth.audiences, request.auth.presenter, request.auth.claims[<name>]..., destination.ip, destination.port, ' +
  'connection.sni, experimental.envoy.filters.<filter>[<key>]';

/** The attribute a `when` key names, or a message saying why the key is not allowed. */
export function parseConditionKey(key: string): Attribute | string {
  const simple = SIMPLE_KEYS[key];
  if (simple) return simple;
  const header = /^request\.headers\[([^[\]]+)\]$/.exec(key);
  if (header) return { kind: 'request.headers', header: header[1]! };
  const claims = /^request\.auth\.claims((?:\[[^[\]]+\])+)$/.exec(key);
  if (claims) return { kind: 'request.auth.claims', claim: claims[1]!.slice(1, -1).split('][') };
  const filter = /^experimental\.(envoy\.filters\.[^[\]]+)\[([^[\]]+)\]$/.exec(key);
  if (filter) return { kind: 'experimental.envoy.filters', filter: filter[1]!, key: filter[2]! };
  return `"${key}" is not a supported key (supported: ${SUPPORTED_CONDITION_KEYS})`;
}

const HTTP_ONLY: ReadonlySet<Attribute['kind']> = new Set([
  'request.auth.principal', 'request.auth.audiences', 'request.auth.presenter', 'request.auth.claims', 'request.headers',
  'request.host', 'request.method', 'request.path',
]);

export function isHttpOnly(attribute: Attribute): boolean {
  return HTTP_ONLY.has(attribute.kind);
}

const PERMISSION_SIDE: ReadonlySet<Attribute['kind']> = new Set([
  'request.host', 'request.method', 'request.path', 'destination.ip', 'destination.port', 'connection.sni',
  'experimental.envoy.filters',
]);

/** Envoy's Policy splits tests into permissions (what is accessed) and principals (who asks). */
export function isPermissionSide(attribute: Attribute): boolean {
  return PERMISSION_SIDE.has(attribute.kind);
}

/** What is wrong with one value for this attribute, or undefined. */
export function checkValue(attribute: Attribute, value: string): string | undefined {
  switch (attribute.kind) {
    case 'source.ip':
    case 'remote.ip':
    case 'destination.ip':
      return parseCidr(value) ? undefined : `"${value}" is not an IP address or CIDR`;
    case 'destination.port':
      return /^\d{1,5}$/.test(value) && Number(value) <= 65535 ? undefined : `"${value}" is not a port (0-65535)`;
    case 'source.principal':
      if (value.startsWith('spiffe://')) {
        return `"${value}" must not include the "spiffe://" prefix (write "${value.slice('spiffe://'.length)}")`;
      }
      return /\s/.test(value) ? `"${value}" is not a principal (contains whitespace)` : checkWildcards(value);
    case 'request.path':
      if (/\{\*\*?\}/.test(value)) return `"${value}": path templates ({*}, {**}) are not supported`;
      return checkWildcards(value);
    case 'source.serviceAccount':
      return /^([a-z0-9]([-a-z0-9]*[a-z0-9])?\/)?[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(value)
        ? undefined
        : `"${value}" is not a service account ("<name>" or "<namespace>/<name>", no wildcards)`;
    case 'source.namespace':
      return /^\*?[a-z0-9-]*\*?$/.test(value) ? checkWildcards(value) : `"${value}" is not a namespace name or pattern`;
    case 'experimental.envoy.filters':
      // `[v]` asks for a list match on v.
      return checkWildcards(/^\[(.*)\]$/s.exec(value)?.[1] ?? value);
    default:
      return checkWildcards(value);
  }
}

export function sourceClauses(source: Source): Clause[] {
  return fieldClauses(SOURCE_FIELDS, source);
}

export function operationClauses(operation: Operation): Clause[] {
  return fieldClauses(OPERATION_FIELDS, operation);
}

function fieldClauses<T>(fields: ReadonlyArray<readonly [keyof T, keyof T, Attribute]>, object: T): Clause[] {
  const out: Clause[] = [];
  for (const [valuesKey, notValuesKey, attribute] of fields) {
    const values = object[valuesKey] as string[];
    const notValues = object[notValuesKey] as string[];
    if (values.length > 0 || notValues.length > 0) out.push({ attribute, values, notValues });
  }
  return out;
}

/**
 * A rule as Envoy sees it: it matches when any principal set and any permission set
 * fully match. `when` conditions are folded into every set of their side.
 */
export interface RuleClauses {
  principalSets: Clause[][];
  permissionSets: Clause[][];
}

export function ruleClauses(rule: Rule, trust?: TrustDomainBundle): RuleClauses {
  const when = rule.when.map((c): Clause => ({ attribute: c.attribute, values: c.values, notValues: c.notValues }));
  const whenPrincipal = when.filter((c) => !isPermissionSide(c.attribute));
  const whenPermission = when.filter((c) => isPermissionSide(c.attribute));
  const principalSets = rule.from.length === 0 ? [whenPrincipal] : rule.from.map((s) => [...sourceClauses(s), ...whenPrincipal]);
  const permissionSets = rule.to.length === 0 ? [whenPermission] : rule.to.map((o) => [...operationClauses(o), ...whenPermission]);
  return { principalSets: trust ? principalSets.map((set) => set.map((c) => withTrustDomains(c, trust))) : principalSets, permissionSets };
}

function withTrustDomains(clause: Clause, trust: TrustDomainBundle): Clause {
  if (clause.attribute.kind !== 'source.principal') return clause;
  const expand = (values: string[]) => values.flatMap((v) => expandPrincipal(v, trust));
  return { attribute: clause.attribute, values: expand(clause.values), notValues: expand(clause.notValues) };
}

/**
 * The rule Istio installs on a TCP filter chain: an ALLOW rule using any HTTP-only
 * attribute is dropped entirely (undefined: allows less); a DENY or AUDIT rule just
 * loses its HTTP-only clauses (matches more). HTTP chains keep the rule as is.
 */
export function clausesForProtocol(rule: Rule, action: AuthorizationAction, forTcp: boolean, trust?: TrustDomainBundle): RuleClauses | undefined {
  const clauses = ruleClauses(rule, trust);
  if (!forTcp) return clauses;
  const sets = [...clauses.principalSets, ...clauses.permissionSets];
  if (action === 'ALLOW') return sets.some((set) => set.some((c) => isHttpOnly(c.attribute))) ? undefined : clauses;
  const keepTcp = (set: Clause[]) => set.filter((c) => !isHttpOnly(c.attribute));
  return { principalSets: clauses.principalSets.map(keepTcp), permissionSets: clauses.permissionSets.map(keepTcp) };
}

/**
 * Istio's identity pattern for a `<ns>/<sa>` service account: any trust domain, the
 * namespace, optional extra path segments, the service account, optional suffix segments.
 */
export function serviceAccountRegex(serviceAccount: string): string {
  const [namespace, name] = serviceAccount.split('/') as [string, string];
  const quote = (text: string) => text.replace(/[.]/g, '\\.');
  return `spiffe://.+/ns/${quote(namespace)}/(.+/|)sa/${quote(name)}(/.+)?`;
}
