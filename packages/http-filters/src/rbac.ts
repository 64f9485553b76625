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
  return {
    sourceAddress: peer.address,
    destinationAddress: local.address,
    destinationPort: local.port,
    ...(sni ? { requestedServerName: sni } : {}),
    ...(peer.spiffeId ? { peerCertificate: { uriSans: [peer.spiffeId] } } : {}),
  };
}

function contextOf(ctx: HttpFilterContext): RbacContext {
  const headers: Record<string, string | string[]> = { ':method': ctx.method, ':path': ctx.path, ':authority': ctx.authority };
  ctx.headers.forEach((name, value) => {
    const existing = headers[name];
    headers[name] = existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
  });
  return { ...connectionContext(ctx.peer, ctx.local, ctx.sni), headers };
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
