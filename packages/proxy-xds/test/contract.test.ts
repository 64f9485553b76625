/**
 * The contract between our control plane and our proxy: every resource the
 * control plane emits for the demo mesh translates into the proxy's config, and
 * the assembled config passes the proxy's own validation.
 */
import * as path from 'node:path';
import { FileSource, sidecarSnapshot } from '@trellis/control-plane';
import { parseSnapshot } from '@trellis/proxy';
import { Snapshot, TypeUrl, type ResourceType } from '@trellis/xds';
import { PROXY_RESOURCE_TYPES, proxyClusterType, proxyListenerType } from '../src';

const DEMO = path.resolve(__dirname, '../../../deploy/local/demo');
const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n';
const model = new FileSource(DEMO).load().model;
const settings = { trustDomain: 'cluster.local', rootNamespace: 'trellis-system', defaultMtls: 'STRICT' as const, trustBundlePem: PEM, outboundTrafficPolicy: 'ALLOW_ANY' as const };

function translateAll(snapshot: Snapshot) {
  const byType = (type: ResourceType<unknown>) => [...(snapshot.get(type.typeUrl)?.resources.values() ?? [])].map((r) => type.decode(r.any).value);
  const unwrapClusters = (items: unknown[]) => items.map((c) => (c as { config: unknown }).config);
  const [secrets, clusters, endpoints, listeners, routes] = PROXY_RESOURCE_TYPES.map(byType);
  // The workload certificate is the proxy's own (its key never leaves the pod), not pushed over xDS.
  return { listeners, routes, clusters: unwrapClusters(clusters!), endpoints, secrets: [...secrets!, { name: 'default', tlsCertificate: { certChainPem: PEM, privateKeyPem: KEY } }] };
}

test.each(['frontend-1', 'reviews-v1', 'reviews-v2', 'ratings-1'])('%s: the control plane\'s snapshot becomes a valid proxy config', (name) => {
  const workload = model.workloads.find((w) => w.name === name)!;
  const config = parseSnapshot(translateAll(sidecarSnapshot(model, workload, settings)));
  expect(config.listeners.map((l) => `${l.name}@${l.address}:${l.port}`).sort()).toEqual([
    `inbound|${Object.values(workload.ports)[0]}@${workload.address}:${Object.values(workload.ports)[0]}`,
    `outbound|http@${workload.address}:15001`,
  ]);
  const inbound = config.listeners.find((l) => l.name.startsWith('inbound'))!;
  expect(inbound.filterChains[0]!.tls).toMatchObject({ certificateSecret: 'default', validationSecret: 'ROOTCA', requireClientCert: true });
  const outbound = config.clusters.filter((c) => c.name.startsWith('outbound'));
  expect(outbound.every((c) => c.http2 && c.tls && c.tls.matchSubjectAltNames.length > 0)).toBe(true);
});

test('a field the proxy cannot honour is NACKed by name, never ignored', () => {
  const snapshot = Snapshot.create({
    [TypeUrl.Cluster]: { resources: [{ name: 'c', message: { name: 'c', type: 'STATIC', lb_policy: 'MAGLEV', load_assignment: { cluster_name: 'c' } } }] },
  });
  expect(() => proxyClusterType.decode(snapshot.get(TypeUrl.Cluster)!.resources.get('c')!.any)).toThrow('Cluster "c": lb_policy: MAGLEV is not supported');
  const withDns = Snapshot.create({
    [TypeUrl.Cluster]: { resources: [{ name: 'd', message: { name: 'd', type: 'STATIC', dns_lookup_family: 'V4_ONLY', load_assignment: { cluster_name: 'd' } } }] },
  });
  expect(() => proxyClusterType.decode(withDns.get(TypeUrl.Cluster)!.resources.get('d')!.any)).toThrow('Cluster "d": dns_lookup_family: is not supported by this proxy');
  const listener = Snapshot.create({
    [TypeUrl.Listener]: { resources: [{ name: 'l', message: { name: 'l', address: { socket_address: { address: '127.0.0.1', port_value: 1 } }, filter_chains: [{ filters: [{ name: 'x', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy', stat_prefix: 's', cluster: 'c', max_connect_attempts: { value: 3 } } }] }] } }] },
  });
  expect(() => proxyListenerType.decode(listener.get(TypeUrl.Listener)!.resources.get('l')!.any)).toThrow('Listener "l": filter_chains[0].filters[0].typed_config.max_connect_attempts: is not supported by this proxy');
});
