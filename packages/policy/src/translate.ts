import { parseCidr, type Permission, type Policy, type Principal, type RbacFilterConfig, type RbacRules, type StringMatcher } from '@trellis/rbac';
import { type Clause, clausesForProtocol, serviceAccountRegex } from './attributes';
import type { Attribute, AuthorizationAction, AuthorizationPolicy, Workload } from './model';
import { rbacPolicyName } from './naming';
import { parsePattern } from './patterns';
import { type MeshOptions, policiesForWorkload } from './scope';
import type { TrustDomainBundle } from './trust-domain';

// AuthorizationPolicies → Envoy RBAC filter configs, the way Istio's authz builder does it:
// one filter per action in the order AUDIT (LOG), DENY, ALLOW; dry-run policies go to
// shadow_rules; one RBAC policy per rule, named ns[<ns>]-policy[<name>]-rule[<i>].
// Output objects use proto field names (snake_case) and protobufjs's shapes.

const RBAC_ACTION: Record<AuthorizationAction, 'ALLOW' | 'DENY' | 'LOG'> = { ALLOW: 'ALLOW', DENY: 'DENY', AUDIT: 'LOG' };
const FILTER_ORDER: readonly AuthorizationAction[] = ['AUDIT', 'DENY', 'ALLOW'];
const SHADOW_STAT_PREFIX: Partial<Record<AuthorizationAction, string>> = { ALLOW: 'istio_dry_run_allow_', DENY: 'istio_dry_run_deny_' };
/** Type URLs for wrapping the configs in a filter's typed_config (Any). */
export const HTTP_RBAC_TYPE_URL = 'type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC';
export const NETWORK_RBAC_TYPE_URL = 'type.googleapis.com/envoy.extensions.filters.network.rbac.v3.RBAC';
/** Istio's stat prefix for the network RBAC filter (a required field there). */
export const TCP_RBAC_STAT_PREFIX = 'tcp.';

/** The envoy.extensions.filters.http.rbac.v3.RBAC configs for a workload, in filter-chain order. */
export function toEnvoyHttpRbac(policies: readonly AuthorizationPolicy[], workload: Workload, options: MeshOptions = {}): RbacFilterConfig[] {
  return buildFilters(policiesForWorkload(policies, workload, options), false, options.trustDomain);
}

/** The envoy.extensions.filters.network.rbac.v3.RBAC configs for a workload's TCP filter chains, in order. */
export function toEnvoyNetworkRbac(policies: readonly AuthorizationPolicy[], workload: Workload, options: MeshOptions = {}): RbacFilterConfig[] {
  return buildFilters(policiesForWorkload(policies, workload, options), true, options.trustDomain).map((f) => ({ ...f, stat_prefix: TCP_RBAC_STAT_PREFIX }));
}

function buildFilters(applicable: AuthorizationPolicy[], forTcp: boolean, trust: TrustDomainBundle | undefined): RbacFilterConfig[] {
  const filters: RbacFilterConfig[] = [];
  for (const action of FILTER_ORDER) {
    const enforced = applicable.filter((p) => p.action === action && !p.dryRun);
    const dryRun = applicable.filter((p) => p.action === action && p.dryRun);
    if (enforced.length === 0 && dryRun.length === 0) continue;
    const filter: RbacFilterConfig = {};
    if (enforced.length > 0) filter.rules = buildRules(enforced, action, forTcp, trust);
    if (dryRun.length > 0) {
      filter.shadow_rules = buildRules(dryRun, action, forTcp, trust);
      const prefix = SHADOW_STAT_PREFIX[action];
      if (prefix) filter.shadow_rules_stat_prefix = prefix;
    }
    filters.push(filter);
  }
  return filters;
}

/** Istio's stand-in for a policy without rules: a policy that matches nothing. */
const MATCH_NEVER: Policy = { permissions: [{ not_rule: { any: true } }], principals: [{ not_id: { any: true } }] };

function buildRules(policies: AuthorizationPolicy[], action: AuthorizationAction, forTcp: boolean, trust: TrustDomainBundle | undefined): RbacRules {
  const out: Record<string, Policy> = {};
  for (const policy of policies) {
    const { namespace, name } = policy.metadata;
    if (policy.rules.length === 0) out[rbacPolicyName(namespace, name, 0)] = MATCH_NEVER;
    policy.rules.forEach((rule, i) => {
      const clauses = clausesForProtocol(rule, action, forTcp, trust);
      if (!clauses) return;
      out[rbacPolicyName(namespace, name, i)] = {
        permissions: clauses.permissionSets.map((set) => ({ and_rules: { rules: set.length > 0 ? set.flatMap(permissionsFor) : [{ any: true }] } })),
        principals: clauses.principalSets.map((set) => ({ and_ids: { ids: set.length > 0 ? set.flatMap(principalsFor) : [{ any: true }] } })),
      };
    });
  }
  // An empty map is absent on the wire; leaving it out keeps the object equal to its decoding.
  return Object.keys(out).length > 0 ? { action: RBAC_ACTION[action], policies: out } : { action: RBAC_ACTION[action] };
}

function permissionsFor(clause: Clause): Permission[] {
  const out: Permission[] = [];
  const one = (v: string) => permission(clause.attribute, v);
  if (clause.values.length > 0) out.push({ or_rules: { rules: clause.values.map(one) } });
  if (clause.notValues.length > 0) out.push({ not_rule: { or_rules: { rules: clause.notValues.map(one) } } });
  return out;
}

function principalsFor(clause: Clause): Principal[] {
  const out: Principal[] = [];
  const one = (v: string) => principal(clause.attribute, v);
  if (clause.values.length > 0) out.push({ or_ids: { ids: clause.values.map(one) } });
  if (clause.notValues.length > 0) out.push({ not_id: { or_ids: { ids: clause.notValues.map(one) } } });
  return out;
}

function quoteRegex(text: string): string {
  return text.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}

const MATCH_NON_EMPTY: StringMatcher = { safe_regex: { regex: '.+' } };

/** Istio's StringMatcher for `abc`, `abc*`, `*abc`, `*`, optionally under a fixed prefix (spiffe://). */
function stringMatcher(value: string, fixedPrefix = ''): StringMatcher {
  const p = parsePattern(value);
  switch (p.kind) {
    case 'presence':
      return MATCH_NON_EMPTY;
    case 'exact':
      return { exact: fixedPrefix + p.text };
    case 'prefix':
      return { prefix: fixedPrefix + p.text };
    case 'suffix':
      return fixedPrefix === '' ? { suffix: p.text } : { safe_regex: { regex: `${quoteRegex(fixedPrefix)}.*${quoteRegex(p.text)}` } };
  }
}

/** A header test; `*` is presence, and ignoreCase applies to hosts. */
function headerMatcher(name: string, value: string, ignoreCase = false): Permission & Principal {
  const p = parsePattern(value);
  if (p.kind === 'presence') return { header: { name, present_match: true } };
  const matcher = stringMatcher(value);
  return { header: { name, string_match: ignoreCase ? { ...matcher, ignore_case: true } : matcher } };
}

/** Istio matches each element of a comma-joined (repeated) header, hence the regex. */
function requestHeaderMatcher(name: string, value: string): Principal {
  const p = parsePattern(value);
  if (p.kind === 'presence') return { header: { name, present_match: true } };
  const element = p.kind === 'exact' ? quoteRegex(p.text) : p.kind === 'prefix' ? `${quoteRegex(p.text)}.*` : `.*${quoteRegex(p.text)}`;
  return { header: { name, safe_regex_match: { regex: `^${element}$|^${element},.*|.*,${element},.*|.*,${element}$` } } };
}

function cidrRange(value: string): { address_prefix: string; prefix_len: { value: number } } {
  const cidr = parseCidr(value);
  if (!cidr) throw new Error(`unvalidated CIDR ${value}`);
  return { address_prefix: value.split('/')[0]!, prefix_len: { value: cidr.prefixLen } };
}

const ISTIO_AUTHN = 'istio_authn';

function authnMetadata(key: string, value: string): Principal {
  return { metadata: { filter: ISTIO_AUTHN, path: [{ key }], value: { string_match: stringMatcher(value) } } };
}

function permission(attribute: Attribute, value: string): Permission {
  switch (attribute.kind) {
    case 'request.host':
      return headerMatcher(':authority', value, true);
    case 'request.method':
      return headerMatcher(':method', value);
    case 'request.path':
      return { url_path: { path: stringMatcher(value) } };
    case 'destination.port':
      return { destination_port: Number(value) };
    case 'destination.ip':
      return { destination_ip: cidrRange(value) };
    case 'connection.sni':
      return { requested_server_name: stringMatcher(value) };
    case 'experimental.envoy.filters': {
      const list = /^\[(.*)\]$/s.exec(value);
      const path = [{ key: attribute.key }];
      return list
        ? { metadata: { filter: attribute.filter, path, value: { list_match: { one_of: { string_match: stringMatcher(list[1]!) } } } } }
        : { metadata: { filter: attribute.filter, path, value: { string_match: stringMatcher(value) } } };
    }
    default:
      throw new Error(`${attribute.kind} is not a permission attribute`);
  }
}

function principal(attribute: Attribute, value: string): Principal {
  switch (attribute.kind) {
    case 'source.principal':
      return { authenticated: { principal_name: stringMatcher(value, 'spiffe://') } };
    case 'source.serviceAccount':
      return { authenticated: { principal_name: { safe_regex: { regex: serviceAccountRegex(value) } } } };
    case 'source.namespace':
      return { authenticated: { principal_name: { safe_regex: { regex: `.*/ns/${value.split('*').map(quoteRegex).join('.*')}/.*` } } } };
    case 'source.ip':
      return { direct_remote_ip: cidrRange(value) };
    case 'remote.ip':
      return { remote_ip: cidrRange(value) };
    case 'request.auth.principal':
    case 'request.auth.audiences':
    case 'request.auth.presenter':
      return authnMetadata(attribute.kind, value);
    case 'request.auth.claims':
      return {
        metadata: {
          filter: ISTIO_AUTHN,
          path: [{ key: 'request.auth.claims' }, ...attribute.claim.map((key) => ({ key }))],
          value: { list_match: { one_of: { string_match: stringMatcher(value) } } },
        },
      };
    case 'request.headers':
      return requestHeaderMatcher(attribute.header, value);
    default:
      throw new Error(`${attribute.kind} is not a principal attribute`);
  }
}
