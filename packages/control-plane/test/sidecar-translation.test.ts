import * as path from 'node:path';
import {
  ENVOY_RESOURCE_TYPES, TypeUrl, unpackAny, type Cluster, type ClusterLoadAssignment, type RouteConfiguration, type ValidatedListener,
} from '@trellis/xds';
import { FileSource, sidecarSnapshot, type MeshSettings } from '../src';
import { ResourceMemo } from '../src/translate/memo';

const DEMO = path.resolve(__dirname, '../../../deploy/local/demo');
const SETTINGS: MeshSettings = { trustDomain: 'cluster.local', rootNamespace: 'trellis-system', defaultMtls: 'STRICT', trustBundlePem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n', outboundTrafficPolicy: 'ALLOW_ANY' };
const model = new FileSource(DEMO).load().model;
const workload = (name: string) => model.workloads.find((w) => w.name === name)!;

function decodeAll(name: string) {
  const snapshot = sidecarSnapshot(model, workload(name), SETTINGS);
  const decoded = new Map<string, Map<string, unknown>>();
  for (const type of ENVOY_RESOURCE_TYPES) {
    const byName = new Map<string, unknown>();
    for (const resource of snapshot.get(type.typeUrl)?.resources.values() ?? []) byName.set(resource.name, type.decode(resource.any).value);
    decoded.set(type.typeUrl, byName);
  }
  return { snapshot, decoded };
}

test.each(['frontend-1', 'reviews-v1', 'ratings-1'])('%s: a consistent snapshot that our own xDS validators accept', (name) => {
  const { snapshot, decoded } = decodeAll(name);
  expect(snapshot.consistencyErrors()).toEqual([]);
  expect([...decoded.get(TypeUrl.Listener)!.keys()].sort()).toEqual([`inbound|${Object.values(workload(name).ports)[0]}`, 'outbound|http']);
});

test('outbound: a virtual host per service port, EDS to the workloads\' mesh ports, mTLS with secure naming', () => {
  const { decoded } = decodeAll('frontend-1');
  const route = decoded.get(TypeUrl.RouteConfiguration)!.get('outbound|http') as RouteConfiguration;
  const reviewsHost = route.virtual_hosts.find((v) => v.domains.includes('reviews'))!;
  expect(reviewsHost.domains).toEqual(expect.arrayContaining(['reviews', 'reviews:9080', 'reviews.shop.svc.cluster.local:9080']));
  expect(reviewsHost.routes[0]!.route!.cluster).toBe('outbound|9080||reviews.shop.svc.cluster.local');
  const eds = decoded.get(TypeUrl.ClusterLoadAssignment)!.get('outbound|9080||reviews.shop.svc.cluster.local') as ClusterLoadAssignment;
  expect(eds.endpoints[0]!.lb_endpoints.map((e) => `${e.endpoint!.address!.socket_address!.address}:${e.endpoint!.address!.socket_address!.port_value}`)).toEqual(['127.0.0.12:9080', '127.0.0.13:9080']);
  const cluster = decoded.get(TypeUrl.Cluster)!.get('outbound|9080||reviews.shop.svc.cluster.local') as Cluster;
  const tls = unpackAny<{ common_tls_context: { combined_validation_context: { default_validation_context: { match_typed_subject_alt_names: { matcher: { exact: string } }[] } } } }>(cluster.transport_socket!.typed_config!);
  expect(tls.common_tls_context.combined_validation_context.default_validation_context.match_typed_subject_alt_names.map((m) => m.matcher.exact)).toEqual(['spiffe://cluster.local/ns/shop/sa/reviews']);
});

test('inbound: STRICT mTLS only, RBAC filters then the WAF and OpenAPI before the router, app on 127.0.0.1', () => {
  const { decoded } = decodeAll('reviews-v1');
  const { listener, httpConnectionManagers } = decoded.get(TypeUrl.Listener)!.get('inbound|9080') as ValidatedListener;
  expect(listener.filter_chains.map((c) => c.filter_chain_match?.transport_protocol)).toEqual(['tls']);
  const hcm = httpConnectionManagers.get(0)!;
  expect(hcm.http_filters.map((f) => f.typed_config!.type_url.split('.').pop())).toEqual(['RBAC', 'RBAC', 'Waf', 'OpenApi', 'Router']);
  const app = decoded.get(TypeUrl.Cluster)!.get('inbound|9080') as Cluster;
  expect(app.load_assignment!.endpoints[0]!.lb_endpoints[0]!.endpoint!.address!.socket_address).toMatchObject({ address: '127.0.0.1', port_value: 19081 });
});

test('PERMISSIVE adds a plaintext chain beside the mTLS one', () => {
  const permissive = { ...model, peerAuthentications: [{ metadata: { name: 'p', namespace: 'shop', annotations: {} }, mtlsMode: 'PERMISSIVE' as const, portLevelMtls: {} }] };
  const snapshot = sidecarSnapshot(permissive as typeof model, workload('reviews-v1'), SETTINGS);
  const listener = ENVOY_RESOURCE_TYPES[3]!.decode(snapshot.get(TypeUrl.Listener)!.resources.get('inbound|9080')!.any).value as ValidatedListener;
  expect(listener.listener.filter_chains.map((c) => c.filter_chain_match?.transport_protocol)).toEqual(['tls', 'raw_buffer']);
});

test('egress scope (sidecar.trellis.dev/egress-namespaces) limits a proxy to the services it may call', () => {
  const other = { namespace: 'billing', name: 'invoices', selector: { app: 'invoices' }, ports: [{ name: 'http', port: 80, targetPort: 80, protocol: 'http' as const }] };
  const scoped = { ...workload('frontend-1'), sidecar: { ...workload('frontend-1').sidecar, egressNamespaces: ['.'] } };
  const wide = workload('frontend-1');
  const clustersOf = (w: typeof wide) => [...sidecarSnapshot({ ...model, services: [...model.services, other] }, w, SETTINGS).get(TypeUrl.Cluster)!.resources.keys()].filter((n) => n.startsWith('outbound'));
  expect(clustersOf(wide)).toContain('outbound|80||invoices.billing.svc.cluster.local');
  expect(clustersOf(scoped)).not.toContain('outbound|80||invoices.billing.svc.cluster.local');
  expect(clustersOf(scoped)).toContain('outbound|9080||reviews.shop.svc.cluster.local');
});

test('proxies that see the same services share their endpoint list, whatever their namespace; the route table stays per namespace', () => {
  const memo = new ResourceMemo();
  const frontend = workload('frontend-1');
  const elsewhere = { ...frontend, name: 'batch-1', namespace: 'jobs' };
  const inShop = { ...frontend, sidecar: { ...frontend.sidecar, egressNamespaces: ['.', 'shop'] } };
  const [wide, wideElsewhere, scoped] = [frontend, elsewhere, inShop].map((w) => sidecarSnapshot(model, w, SETTINGS, () => true, memo));
  expect(wideElsewhere!.get(TypeUrl.ClusterLoadAssignment)).toBe(wide!.get(TypeUrl.ClusterLoadAssignment));
  // "." and "shop" name one namespace for a shop workload: that scope sees only shop's services (here, all of them, in a new list).
  expect([...scoped!.get(TypeUrl.ClusterLoadAssignment)!.resources.keys()]).toEqual([...wide!.get(TypeUrl.ClusterLoadAssignment)!.resources.keys()]);
  // Short names resolve in the caller's namespace: "reviews" is a domain for a shop caller only.
  const domainsOf = (snapshot: typeof wide) => (unpackAny<RouteConfiguration>(snapshot!.get(TypeUrl.RouteConfiguration)!.resources.get('outbound|http')!.any)).virtual_hosts!.flatMap((v) => v.domains);
  expect(domainsOf(wide)).toContain('reviews');
  expect(domainsOf(wideElsewhere)).not.toContain('reviews');
});
