import type { HttpFilter, HttpFilterContext, HttpFilterFactory, FilterResult } from '@trellis/proxy';
import { compileRbac, type RbacContext } from '@trellis/rbac';
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

function contextOf(ctx: HttpFilterContext): RbacContext {
  const headers: Record<string, string | string[]> = { ':method': ctx.method, ':path': ctx.path, ':authority': ctx.authority };
  ctx.headers.forEach((name, value) => {
    const existing = headers[name];
    headers[name] = existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
  });
  return {
    sourceAddress: ctx.peer.address,
    destinationAddress: ctx.local.address,
    destinationPort: ctx.local.port,
    ...(ctx.sni ? { requestedServerName: ctx.sni } : {}),
    ...(ctx.peer.spiffeId ? { peerCertificate: { uriSans: [ctx.peer.spiffeId] } } : {}),
    headers,
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
        const result = rbac.evaluate(contextOf(ctx));
        // No match allows under a DENY config and denies under an ALLOW one.
        const policy = result.matchedPolicy ?? (result.allowed ? 'no policy matched' : 'no ALLOW policy matched');
        const record: RbacDecisionRecord = {
          allowed: result.allowed,
          policy,
          ...(result.shadow ? { shadow: { allowed: result.shadow.allowed, ...(result.shadow.matchedPolicy ? { policy: result.shadow.matchedPolicy } : {}) } } : {}),
        };
        ctx.metadata.set(RBAC_METADATA_KEY, record);
        countDecision(policy, result.allowed ? 'allow' : 'deny');
        if (result.shadow) countShadow(result.shadow.matchedPolicy ?? 'no policy matched', result.shadow.allowed ? 'allow' : 'deny');
        if (result.allowed) return 'continue';
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
