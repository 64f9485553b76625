import { Snapshot, TypeUrl } from '@trellis/xds';
import { proxyListenerType } from '../src';

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
