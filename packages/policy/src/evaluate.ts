import { cidrContains, parseCidr, parseIp } from '@trellis/rbac';
import { type Clause, clausesForProtocol, type RuleClauses, serviceAccountRegex } from './attributes';
import type { Attribute, AuthorizationAction, AuthorizationPolicy, Workload } from './model';
import { type PolicyRuleRef, rbacPolicyName } from './naming';
import { matchPattern, parsePattern } from './patterns';
import type { HttpAttributes, RequestAttributes } from './request';
import { compareStrings, type MeshOptions, policiesForWorkload } from './scope';
import type { TrustDomainBundle } from './trust-domain';

// The decision a Trellis (or Istio) sidecar makes, computed directly from the policies:
// AUDIT is logged, DENY is checked, then ALLOW — the order of the RBAC filters Istio
// installs — with dry-run policies evaluated alongside but never enforced.

export type DecisionReason = PolicyRuleRef | 'no policies' | 'no ALLOW policy applies' | 'no ALLOW policy matched';

export interface DryRunResult {
  /** The action of the dry-run policies evaluated. */
  action: AuthorizationAction;
  /** What they would have decided on their own (AUDIT always allows). */
  decision: 'ALLOW' | 'DENY';
  /** The dry-run rule that matched, if any. */
  matched?: PolicyRuleRef;
}

export interface Decision {
  decision: 'ALLOW' | 'DENY';
  reason: DecisionReason;
  /** Enforced AUDIT rules that matched, in the order the proxy reports them (first one logged). */
  audited: PolicyRuleRef[];
  /** Dry-run results of the filters the request reached (a DENY stops it before ALLOW). */
  dryRun: DryRunResult[];
}

/** Pure evaluation of all policies that apply to `workload` for one request. */
export function evaluate(policies: readonly AuthorizationPolicy[], workload: Workload, request: RequestAttributes, options: MeshOptions = {}): Decision {
  const applicable = policiesForWorkload(policies, workload, options);
  if (applicable.length === 0) return { decision: 'ALLOW', reason: 'no policies', audited: [], dryRun: [] };
  const forTcp = request.http === undefined;
  const dryRun: DryRunResult[] = [];
  const group = (action: AuthorizationAction, dry: boolean) => applicable.filter((p) => p.action === action && p.dryRun === dry);
  const matching = (ps: AuthorizationPolicy[]) => matchingRules(ps, request, forTcp, options.trustDomain);

  // A filter's shadow rules hold only its dry-run policies and are evaluated when the request reaches it.
  const recordDryRun = (action: AuthorizationAction, onMatch: 'ALLOW' | 'DENY', onMiss: 'ALLOW' | 'DENY') => {
    const dry = group(action, true);
    if (dry.length === 0) return;
    const matched = matching(dry)[0];
    dryRun.push(dryRunResult(action, matched ? onMatch : onMiss, matched));
  };

  const audited = matching(group('AUDIT', false));
  recordDryRun('AUDIT', 'ALLOW', 'ALLOW');
  recordDryRun('DENY', 'DENY', 'ALLOW');
  const denied = matching(group('DENY', false))[0];
  if (denied) return { decision: 'DENY', reason: denied, audited, dryRun };

  recordDryRun('ALLOW', 'ALLOW', 'DENY');
  const allowPolicies = group('ALLOW', false);
  if (allowPolicies.length === 0) return { decision: 'ALLOW', reason: 'no ALLOW policy applies', audited, dryRun };
  const allowed = matching(allowPolicies)[0];
  return allowed
    ? { decision: 'ALLOW', reason: allowed, audited, dryRun }
    : { decision: 'DENY', reason: 'no ALLOW policy matched', audited, dryRun };
}

function dryRunResult(action: AuthorizationAction, decision: 'ALLOW' | 'DENY', matched: PolicyRuleRef | undefined): DryRunResult {
  return matched ? { action, decision, matched } : { action, decision };
}

/** Matching rules in the proxy's reporting order (sorted RBAC policy names). */
function matchingRules(policies: AuthorizationPolicy[], request: RequestAttributes, forTcp: boolean, trust: TrustDomainBundle | undefined): PolicyRuleRef[] {
  const hits: Array<{ name: string; ref: PolicyRuleRef }> = [];
  for (const policy of policies) {
    const { namespace, name } = policy.metadata;
    policy.rules.forEach((rule, ruleIndex) => {
      const clauses = clausesForProtocol(rule, policy.action, forTcp, trust);
      if (clauses && ruleMatches(clauses, request)) {
        hits.push({ name: rbacPolicyName(namespace, name, ruleIndex), ref: { policy: `${namespace}/${name}`, ruleIndex } });
      }
    });
  }
  return hits.sort((a, b) => compareStrings(a.name, b.name)).map((h) => h.ref);
}

function ruleMatches(rule: RuleClauses, request: RequestAttributes): boolean {
  const setMatches = (set: Clause[]) => set.every((clause) => clauseMatches(clause, request));
  return rule.principalSets.some(setMatches) && rule.permissionSets.some(setMatches);
}

function clauseMatches(clause: Clause, request: RequestAttributes): boolean {
  const test = (value: string) => valueMatches(clause.attribute, value, request);
  return (clause.values.length === 0 || clause.values.some(test)) && !clause.notValues.some(test);
}

const SPIFFE = 'spiffe://';

/** The namespace in `spiffe://<td>/ns/<ns>/sa/<sa>`, which is what Istio's namespace match reads. */
function namespaceOf(principal: string | undefined): string | undefined {
  const m = principal === undefined ? null : /\/ns\/([^/]*)\//.exec(principal);
  return m ? m[1] : undefined;
}

function inCidr(value: string, address: string | undefined): boolean {
  const cidr = parseCidr(value);
  const ip = address === undefined ? undefined : parseIp(address);
  return cidr !== undefined && ip !== undefined && cidrContains(cidr, ip);
}

function headerValue(http: HttpAttributes | undefined, name: string): string | undefined {
  if (!http) return undefined;
  const lower = name.toLowerCase();
  // The proxy sees method, path and host as pseudo-headers.
  const pseudo: Record<string, string> = { ':method': http.method, ':path': http.path, ':authority': http.host };
  if (lower in pseudo) return pseudo[lower];
  for (const [key, value] of Object.entries(http.headers ?? {})) {
    if (key.toLowerCase() === lower) return typeof value === 'string' ? value : value.join(',');
  }
  return undefined;
}

/** Claim values as a list: Istio normalises every claim to a list of strings. */
function claimValues(claims: Record<string, unknown> | undefined, path: string[]): string[] {
  let value: unknown = claims;
  for (const key of path) value = typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>)[key] : undefined;
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function valueMatches(attribute: Attribute, value: string, request: RequestAttributes): boolean {
  const pattern = parsePattern(value);
  const http = request.http;
  switch (attribute.kind) {
    case 'source.principal': {
      const principal = request.principal;
      if (pattern.kind === 'presence') return matchPattern(pattern, principal);
      // Istio patterns name the SPIFFE ID without its scheme.
      return principal !== undefined && principal.startsWith(SPIFFE) && matchPattern(pattern, principal.slice(SPIFFE.length));
    }
    case 'source.serviceAccount':
      return request.principal !== undefined && new RegExp(`^(?:${serviceAccountRegex(value)})$`).test(request.principal);
    case 'source.namespace':
      return matchPattern(pattern, namespaceOf(request.principal), { presenceAllowsEmpty: true });
    case 'source.ip':
      return inCidr(value, request.sourceIp);
    case 'remote.ip':
      return inCidr(value, request.remoteIp ?? request.sourceIp);
    case 'destination.ip':
      return inCidr(value, request.destinationIp);
    case 'destination.port':
      return Number(value) === request.destinationPort;
    case 'connection.sni':
      return matchPattern(pattern, request.sni);
    case 'request.host':
      return matchPattern(pattern, http?.host, { ignoreCase: true, presenceAllowsEmpty: true });
    case 'request.method':
      return matchPattern(pattern, http?.method, { presenceAllowsEmpty: true });
    case 'request.path':
      return matchPattern(pattern, http?.path.replace(/[?#].*$/s, ''));
    case 'request.headers': {
      const header = headerValue(http, attribute.header);
      if (header === undefined) return false;
      // A repeated header matches when any of its values does.
      return pattern.kind === 'presence' || header.split(',').some((element) => matchPattern(pattern, element));
    }
    case 'request.auth.principal':
      return matchPattern(pattern, http?.auth?.principal);
    case 'request.auth.audiences':
      return matchPattern(pattern, http?.auth?.audiences);
    case 'request.auth.presenter':
      return matchPattern(pattern, http?.auth?.presenter);
    case 'request.auth.claims':
      return claimValues(http?.auth?.claims, attribute.claim).some((claim) => matchPattern(pattern, claim));
    case 'experimental.envoy.filters': {
      const metadata = request.filterMetadata?.[attribute.filter]?.[attribute.key];
      const list = /^\[(.*)\]$/s.exec(value);
      if (!list) return typeof metadata === 'string' && matchPattern(pattern, metadata);
      const element = parsePattern(list[1]!);
      return Array.isArray(metadata) && metadata.some((m) => typeof m === 'string' && matchPattern(element, m));
    }
  }
}
