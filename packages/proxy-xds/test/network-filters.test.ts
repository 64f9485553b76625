// A chain's network filters over xDS: network RBAC ahead of tcp_proxy or the HTTP connection
// manager translates into the chain's networkFilters; anything else ahead of the terminal
// filter, or a chain that does not end in one, is NACKed naming the filter.
import { networkRbacFilterFactory, NETWORK_RBAC_TYPE_URL } from '@trellis/http-filters';
import { Proxy } from '@trellis/proxy';
import { Snapshot, TypeUrl } from '@trellis/xds';
import { proxyListenerType } from '../src';

const TCP_PROXY = { name: 'envoy.filters.network.tcp_proxy', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy', stat_prefix: 'in', cluster: 'app' } };
const RBAC = {
  name: 'envoy.filters.network.rbac.0',
  typed_config: {
    '@type': NETWORK_RBAC_TYPE_URL, stat_prefix: 'tcp.',
    rules: { action: 'DENY', policies: { 'ns[foo]-policy[d]-rule[0]': { permissions: [{ any: true }], principals: [{ authenticated: { principal_name: { exact: 'spiffe://cluster.local/ns/bar/sa/other' } } }] } } },
  },
};
const HCM = {
  name: 'envoy.filters.network.http_connection_manager',
  typed_config: {
    '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager', stat_prefix: 'in',
    route_config: { name: 'r', virtual_hosts: [] }, http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } }],
  },
};

function translate(filters: object[]) {
  const listener = { name: 'l', address: { socket_address: { address: '127.0.9.2', port_value: 29001 } }, filter_chains: [{ name: 'c', filters }] };
  const snapshot = Snapshot.create({ [TypeUrl.Listener]: { resources: [{ name: 'l', message: listener }] } });
  return proxyListenerType.decode(snapshot.get(TypeUrl.Listener)!.resources.get('l')!.any).value as { filterChains: { networkFilters?: { name: string; typeUrl: string; typedConfig: Record<string, unknown> }[]; network: { kind: string } }[] };
}

test('network RBAC ahead of tcp_proxy or the HTTP connection manager becomes the chain\'s network filters', () => {
  for (const terminal of [TCP_PROXY, HCM]) {
    const chain = translate([RBAC, terminal]).filterChains[0]!;
    expect(chain.network.kind).toBe(terminal === TCP_PROXY ? 'tcp' : 'http');
    expect(chain.networkFilters).toHaveLength(1);
    expect(chain.networkFilters![0]).toMatchObject({ name: 'envoy.filters.network.rbac.0', typeUrl: NETWORK_RBAC_TYPE_URL, typedConfig: { stat_prefix: 'tcp.', rules: { action: 'DENY' } } });
  }
  expect(translate([TCP_PROXY]).filterChains[0]!.networkFilters).toBeUndefined();
});

test('an unknown network filter, a terminal filter out of place, or no filter at all is NACKed by name', () => {
  const mongo = { name: 'envoy.filters.network.mongo_proxy', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC' } };
  expect(() => translate([mongo, TCP_PROXY])).toThrow('filter_chains[0].filters[0]: network filter envoy.filters.network.mongo_proxy (type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC) is not supported ahead of the terminal filter');
  expect(() => translate([TCP_PROXY, RBAC])).toThrow('filter_chains[0].filters[1]: envoy.filters.network.rbac.0: the last network filter must be http_connection_manager or tcp_proxy');
  expect(() => translate([HCM, TCP_PROXY])).toThrow('filter_chains[0].filters[0]: the HTTP connection manager must be the last network filter');
  expect(() => translate([])).toThrow('filter_chains[0].filters: a filter chain needs at least one network filter');
});

test('the proxy refuses a config whose network filter it has no factory for, or whose RBAC it cannot enforce', async () => {
  const config = (typedConfig: Record<string, unknown>) => ({
    listeners: [{ name: 'l', address: '127.0.9.2', port: 0, filterChains: [{ name: 'c', networkFilters: [{ name: 'rbac', typeUrl: NETWORK_RBAC_TYPE_URL, typedConfig }], network: { kind: 'tcp', cluster: 'app' } }] }],
    clusters: [{ name: 'app', type: 'STATIC', connectTimeoutMs: 100, loadAssignment: { clusterName: 'app', endpoints: [] } }],
  });
  const proxy = new Proxy({ accessLog: null });
  await expect(proxy.applyConfig(config({ stat_prefix: 'tcp.' }))).rejects.toThrow('listeners(l).filterChains(c): network filter "rbac": no factory registered for this name or type URL');
  proxy.registerNetworkFilter(NETWORK_RBAC_TYPE_URL, networkRbacFilterFactory, NETWORK_RBAC_TYPE_URL);
  await expect(proxy.applyConfig(config({}))).rejects.toThrow('network filter "rbac": stat_prefix: required for network RBAC');
  await expect(proxy.applyConfig(config({ stat_prefix: 'tcp.', rules: { action: 'MAYBE' } }))).rejects.toThrow('network filter "rbac": rules.action');
  await expect(proxy.applyConfig(config({ stat_prefix: 'tcp.' }))).resolves.toBeDefined();
  await proxy.close();
});
