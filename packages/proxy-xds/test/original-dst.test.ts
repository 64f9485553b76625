import { Snapshot, TypeUrl } from '@trellis/xds';
import { proxyClusterType, proxyListenerType } from '../src';

const TCP_PROXY = 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy';
const ORIGINAL_DST = { name: 'envoy.filters.listener.original_dst', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.listener.original_dst.v3.OriginalDst' } };

function decode(listener: object) {
  const snapshot = Snapshot.create({ [TypeUrl.Listener]: { resources: [{ name: 'virtualOutbound', message: { name: 'virtualOutbound', address: { socket_address: { address: '0.0.0.0', port_value: 15001 } }, ...listener } }] } });
  return proxyListenerType.decode(snapshot.get(TypeUrl.Listener)!.resources.get('virtualOutbound')!.any).value;
}

const chain = (name: string, match: object) => ({ name, filter_chain_match: match, filters: [{ name: 'tcp', typed_config: { '@type': TCP_PROXY, stat_prefix: name, cluster: name } }] });

describe('a listener matched on the original destination', () => {
  it('takes the original_dst listener filter and prefix ranges (an unset prefix_len is 0, as in Envoy)', () => {
    const listener = decode({
      listener_filters: [ORIGINAL_DST, { name: 'envoy.filters.listener.tls_inspector' }],
      filter_chains: [
        chain('svc', { destination_port: { value: 8080 }, prefix_ranges: [{ address_prefix: '10.96.0.10', prefix_len: { value: 32 } }] }),
        chain('any', { prefix_ranges: [{ address_prefix: '0.0.0.0' }] }),
      ],
    });
    expect(listener.useOriginalDst).toBe(true);
    expect(listener.filterChains.map((c) => c.match)).toEqual([
      { destinationPort: 8080, prefixRanges: [{ addressPrefix: '10.96.0.10', prefixLen: 32 }] },
      { prefixRanges: [{ addressPrefix: '0.0.0.0', prefixLen: 0 }] },
    ]);
  });

  it('NACKs a listener hand-off (use_original_dst) and listener filters it does not run', () => {
    expect(() => decode({ use_original_dst: { value: true }, listener_filters: [ORIGINAL_DST], filter_chains: [chain('a', {})] }))
      .toThrow(/use_original_dst: hand-off to another listener is not supported/);
    expect(() => decode({ listener_filters: [{ name: 'envoy.filters.listener.proxy_protocol' }], filter_chains: [chain('a', {})] }))
      .toThrow('listener_filters[0]: envoy.filters.listener.proxy_protocol is not supported');
  });
});

function decodeCluster(cluster: object) {
  const message = { name: 'PassthroughCluster', type: 'ORIGINAL_DST', lb_policy: 'CLUSTER_PROVIDED', connect_timeout: { seconds: 10 }, ...cluster };
  const snapshot = Snapshot.create({ [TypeUrl.Cluster]: { resources: [{ name: 'PassthroughCluster', message }] } });
  return proxyClusterType.decode(snapshot.get(TypeUrl.Cluster)!.resources.get('PassthroughCluster')!.any).value.config;
}

describe('an ORIGINAL_DST (passthrough) cluster', () => {
  it('goes to each connection\'s original destination, with the connect timeout as sent', () => {
    expect(decodeCluster({})).toMatchObject({ name: 'PassthroughCluster', type: 'ORIGINAL_DST', lbPolicy: 'CLUSTER_PROVIDED', connectTimeoutMs: 10_000 });
    // Its hosts last one connection each: there is nothing to clean up, so the interval is taken as honoured.
    expect(decodeCluster({ cleanup_interval: { seconds: 5 } })).toMatchObject({ type: 'ORIGINAL_DST' });
  });

  it('NACKs what it cannot honour: another lb_policy, a header or port override, hosts to list or eject', () => {
    expect(() => decodeCluster({ lb_policy: 'ROUND_ROBIN' })).toThrow('lb_policy: ROUND_ROBIN is not valid for an ORIGINAL_DST cluster: only CLUSTER_PROVIDED is');
    expect(() => decodeCluster({ original_dst_lb_config: { use_http_header: true } })).toThrow(/original_dst_lb_config: is not supported: the upstream is always the connection's original destination/);
    expect(() => decodeCluster({ original_dst_lb_config: { upstream_port_override: { value: 8443 } } })).toThrow(/original_dst_lb_config: is not supported/);
    expect(() => decodeCluster({ outlier_detection: { consecutive_5xx: { value: 3 } } })).toThrow(/outlier_detection: is not supported on an ORIGINAL_DST cluster/);
    expect(() => decodeCluster({ load_assignment: { cluster_name: 'PassthroughCluster', endpoints: [] } })).toThrow(/load_assignment: an ORIGINAL_DST cluster takes its hosts from the connections/);
  });

  it('NACKs CLUSTER_PROVIDED and ORIGINAL_DST options on other cluster types', () => {
    const assignment = { cluster_name: 'PassthroughCluster', endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '10.0.0.1', port_value: 80 } } } }] }] };
    expect(() => decodeCluster({ type: 'STATIC', load_assignment: assignment })).toThrow('lb_policy: CLUSTER_PROVIDED is not supported');
    expect(() => decodeCluster({ type: 'STATIC', lb_policy: 'ROUND_ROBIN', load_assignment: assignment, cleanup_interval: { seconds: 5 } }))
      .toThrow('cleanup_interval: applies to ORIGINAL_DST clusters, not STATIC');
  });
});
