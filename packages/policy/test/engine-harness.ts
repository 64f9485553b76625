// Replays a decision through the proxy path: translate to Envoy RBAC filters, compile
// them with @trellis/rbac, evaluate, and read the decision back from policy names.

import { compileRbacChain, type RbacContext, type RbacFilterConfig } from '@trellis/rbac';
import {
  type AuthorizationPolicy, type Decision, type DryRunResult, type MeshOptions, parseRbacPolicyName, type PolicyRuleRef,
  type RequestAttributes, toEnvoyHttpRbac, toEnvoyNetworkRbac, type Workload,
} from '@trellis/policy';

/** What the proxy knows about the request, in the engine's terms (Istio's istio_authn metadata for JWTs). */
export function toRbacContext(request: RequestAttributes): RbacContext {
  const ctx: RbacContext = {
    sourceAddress: request.sourceIp,
    destinationAddress: request.destinationIp,
    destinationPort: request.destinationPort,
  };
  if (request.remoteIp !== undefined) ctx.remoteAddress = request.remoteIp;
  if (request.sni !== undefined) ctx.requestedServerName = request.sni;
  if (request.principal !== undefined) ctx.peerCertificate = { uriSans: [request.principal] };
  const metadata: Record<string, Record<string, unknown>> = { ...request.filterMetadata };
  if (request.http) {
    const { method, path, host, headers, auth } = request.http;
    ctx.headers = { ...headers, ':method': method, ':path': path, ':authority': host };
    if (auth) {
      const authn: Record<string, unknown> = {};
      if (auth.principal !== undefined) authn['request.auth.principal'] = auth.principal;
      if (auth.audiences !== undefined) authn['request.auth.audiences'] = auth.audiences;
      if (auth.presenter !== undefined) authn['request.auth.presenter'] = auth.presenter;
      if (auth.claims !== undefined) authn['request.auth.claims'] = claimsAsLists(auth.claims);
      metadata['istio_authn'] = authn;
    }
  }
  if (Object.keys(metadata).length > 0) ctx.dynamicMetadata = metadata;
  return ctx;
}

/** Istio's authn filter stores every claim as a list of strings. */
function claimsAsLists(claims: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(claims).map(([k, v]) => [k, typeof v === 'string' ? [v] : Array.isArray(v) ? v : claimsAsLists(v as Record<string, unknown>)]),
  );
}

function ref(rbacName: string | undefined): PolicyRuleRef | undefined {
  if (rbacName === undefined) return undefined;
  const parsed = parseRbacPolicyName(rbacName);
  if (!parsed) throw new Error(`unexpected RBAC policy name ${rbacName}`);
  return parsed;
}

const FROM_RBAC_ACTION = { ALLOW: 'ALLOW', DENY: 'DENY', LOG: 'AUDIT' } as const;

/** The translated filters for the request's protocol. */
export function filtersFor(policies: AuthorizationPolicy[], workload: Workload, request: RequestAttributes, options: MeshOptions = {}): RbacFilterConfig[] {
  return request.http ? toEnvoyHttpRbac(policies, workload, options) : toEnvoyNetworkRbac(policies, workload, options);
}

/** The decision the proxy makes, in the evaluator's shape (audited: the first logged policy only, as Envoy reports). */
export function decideWithEngine(filters: RbacFilterConfig[], request: RequestAttributes): Decision {
  const result = compileRbacChain(filters).evaluate(toRbacContext(request));
  const audited = result.logged.map((name) => ref(name)!);
  const dryRun = result.shadow.map((s): DryRunResult => {
    const matched = ref(s.matchedPolicy);
    const entry: DryRunResult = { action: FROM_RBAC_ACTION[s.action], decision: s.allowed ? 'ALLOW' : 'DENY' };
    return matched ? { ...entry, matched } : entry;
  });
  const matched = ref(result.matchedPolicy);
  if (matched) return { decision: result.allowed ? 'ALLOW' : 'DENY', reason: matched, audited, dryRun };
  if (!result.allowed) return { decision: 'DENY', reason: 'no ALLOW policy matched', audited, dryRun };
  return { decision: 'ALLOW', reason: filters.length === 0 ? 'no policies' : 'no ALLOW policy applies', audited, dryRun };
}
