import type { HttpFilter, HttpFilterContext, HttpFilterFactory, FilterResult, PeerInfo } from '@trellis/proxy';
import { compileRbac, type RbacContext, type RbacFilterResult } from '@trellis/rbac';
import { counterFamily } from './counters';

export const HTTP_RBAC_TYPE_URL = 'type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC';
/** Names the deciding RBAC policy on a 403, so a denied caller can tell which rule stopped it. */
export const DENIED_BY_HEADER = 'x-trellis-denied-by';
/** Per-request metadata key where the decision is left for the access log. */
export const RBAC_METADATA_KEY = 'rbac';

export interface RbacDecisionRecord {
  allowed: boolean;
  policy: string;
  shadow?: { allowed: boolean; policy?: string };
}

/** What RBAC sees of a connection; HTTP adds the request's headers. */
export function connectionContext(peer: PeerInfo, local: { address: string; port: number }, sni: string | undefined): RbacContext {
  // Assigned rather than spread: this runs per connection and per request, and spreads allocate.
  const context: RbacContext = { sourceAddress: peer.address, destinationAddress: local.address, destinationPort: local.port };
  if (sni) context.requestedServerName = sni;
  if (peer.spiffeId) context.peerCertificate = { uriSans: [peer.spiffeId] };
  return context;
}

/** The request as RBAC sees it: headers are looked up in the proxy's own list when a matcher asks, not copied per request. */
function contextOf(ctx: HttpFilterContext): RbacContext {
  const context = connectionContext(ctx.peer, ctx.local, ctx.sni);
  context.headers = (lowerName) => requestHeader(ctx, lowerName);
  return context;
}

function pseudoHeader(ctx: HttpFilterContext, name: string): string | undefined {
  if (name === ':method') return ctx.method;
  if (name === ':path') return ctx.path;
  if (name === ':authority') return ctx.authority;
  return undefined;
}

/**
 * One header's values: a pseudo-header's value first, then every entry of that name in order.
 * The list's names are lower-case; a filter may still have added another spelling, which is
 * found when no entry has the lower-case name (the one first seen last, as a record's keys gave).
 */
function requestHeader(ctx: HttpFilterContext, lowerName: string): string | string[] | undefined {
  let values: string | string[] | undefined = pseudoHeader(ctx, lowerName);
  const add = (value: string): void => {
    if (values === undefined) values = value;
    else if (typeof values === 'string') values = [values, value];
    else values.push(value);
  };
  ctx.headers.forEach((name, value) => {
    if (name === lowerName) add(value);
  });
  if (values !== undefined) return values;
  let spelling: string | undefined;
  const seen = new Set<string>();
  ctx.headers.forEach((name) => {
    if (name.length === lowerName.length && !seen.has(name) && name.toLowerCase() === lowerName) {
      seen.add(name);
      spelling = name;
    }
  });
  if (spelling !== undefined) ctx.headers.forEach((name, value) => {
    if (name === spelling) add(value);
  });
  return values;
}

/** The decision as the access log and the counters tell it. No match allows under a DENY config and denies under an ALLOW one. */
export function decisionRecord(result: RbacFilterResult): RbacDecisionRecord {
  return {
    allowed: result.allowed,
    policy: result.matchedPolicy ?? (result.allowed ? 'no policy matched' : 'no ALLOW policy matched'),
    ...(result.shadow ? { shadow: { allowed: result.shadow.allowed, ...(result.shadow.matchedPolicy ? { policy: result.shadow.matchedPolicy } : {}) } } : {}),
  };
}

/**
 * envoy.filters.http.rbac: the config is compiled once per listener (an unsupported
 * field throws, which the proxy turns into a rejected config); each request is
 * evaluated against the peer's verified SPIFFE identity, addresses and headers.
 */
export const rbacFilterFactory: HttpFilterFactory = {
  create(typedConfig: unknown, env): HttpFilter {
    const rbac = compileRbac(typedConfig);
    // The policy label is the RBAC policy name, which for ours carries policy and rule index.
    const countDecision = counterFamily(env, 'rbac_decisions_total', ['policy', 'decision']);
    const countShadow = counterFamily(env, 'rbac_shadow_decisions_total', ['policy', 'decision']);
    return {
      onRequestHeaders(ctx): FilterResult {
        const record = decisionRecord(rbac.evaluate(contextOf(ctx)));
        const policy = record.policy;
        ctx.metadata.set(RBAC_METADATA_KEY, record);
        countDecision(policy, record.allowed ? 'allow' : 'deny');
        if (record.shadow) countShadow(record.shadow.policy ?? 'no policy matched', record.shadow.allowed ? 'allow' : 'deny');
        if (record.allowed) return 'continue';
        return {
          localReply: {
            status: 403,
            headers: { [DENIED_BY_HEADER]: policy, 'content-type': 'text/plain' },
            body: `RBAC: access denied (${policy})\n`,
          },
        };
      },
    };
  },
};
