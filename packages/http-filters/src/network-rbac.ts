import type { NetworkFilter, NetworkFilterFactory } from '@trellis/proxy';
import { compileRbac } from '@trellis/rbac';
import { counterFamily } from './counters';
import { connectionContext, decisionRecord } from './rbac';

export const NETWORK_RBAC_TYPE_URL = 'type.googleapis.com/envoy.extensions.filters.network.rbac.v3.RBAC';

function statPrefixOf(typedConfig: unknown): string {
  const prefix = (typedConfig as { stat_prefix?: unknown } | null)?.stat_prefix;
  if (typeof prefix !== 'string' || prefix === '') throw new Error('stat_prefix: required for network RBAC (as in Envoy)');
  return prefix;
}

/**
 * envoy.filters.network.rbac: judges each connection once, when it starts (after the TLS
 * handshake), on the verified peer identity, source, original destination and SNI — there
 * are no headers, so the Istio translation has already dropped or widened HTTP-only rules.
 * Envoy waits for the first byte (ONE_TIME_ON_FIRST_BYTE); deciding at once is the same
 * decision, made before the upstream is dialled, and server-first protocols are covered too.
 *
 * Counted in their own families, `rbac_connection_decisions_total{stat_prefix,policy,decision}`
 * and `rbac_connection_shadow_decisions_total`: a connection and a request are different
 * units, so they are not summed with the HTTP filter's `rbac_decisions_total`. Envoy's
 * stat_prefix (and shadow_rules_stat_prefix for shadow decisions) becomes a label.
 */
export const networkRbacFilterFactory: NetworkFilterFactory = {
  create(typedConfig, env): NetworkFilter {
    const rbac = compileRbac(typedConfig);
    const statPrefix = statPrefixOf(typedConfig);
    const shadowPrefix = statPrefix + ((typedConfig as { shadow_rules_stat_prefix?: string }).shadow_rules_stat_prefix ?? '');
    const countDecision = counterFamily(env, 'rbac_connection_decisions_total', ['stat_prefix', 'policy', 'decision']);
    const countShadow = counterFamily(env, 'rbac_connection_shadow_decisions_total', ['stat_prefix', 'policy', 'decision']);
    return {
      onNewConnection(connection) {
        const record = decisionRecord(rbac.evaluate(connectionContext(connection.peer, connection.local, connection.sni)));
        countDecision(statPrefix, record.policy, record.allowed ? 'allow' : 'deny');
        if (record.shadow) countShadow(shadowPrefix, record.shadow.policy ?? 'no policy matched', record.shadow.allowed ? 'allow' : 'deny');
        return { allowed: record.allowed, reason: `RBAC: access denied (${record.policy})`, record };
      },
    };
  },
};
