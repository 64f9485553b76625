import * as path from 'node:path';
import { parseAuthorizationPolicy, parsePeerAuthentication } from '@trellis/policy';
import { ENVOY_RESOURCE_TYPES, TypeUrl, unpackAny, type Cluster, type ValidatedListener } from '@trellis/xds';
import { FileSource, decodeHttpRoute, isProxylessNode, proxylessSnapshot, type MeshModel, type MeshSettings } from '../src';

const DEMO = path.resolve(__dirname, '../../../deploy/local/demo');
const SETTINGS: MeshSettings = { trustDomain: 'cluster.local', rootNamespace: 'trellis-system', defaultMtls: 'STRICT', trustBundlePem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n', outboundTrafficPolicy: 'ALLOW_ANY' };
const model = new FileSource(DEMO).load().model;
const reviews = model.workloads.find((w) => w.name === 'reviews-v1')!;
const SERVER_LISTENER = 'xds.istio.io/grpc/lds/inbound/127.0.0.12:9080';

function decoded(mesh: MeshModel, typeUrl: string, name: string): unknown {
  const type = ENVOY_RESOURCE_TYPES.find((t) => t.typeUrl === typeUrl)!;
  return type.decode(proxylessSnapshot(mesh, reviews, SETTINGS).get(typeUrl)!.resources.get(name)!.any).value;
}

const serverListener = (mesh: MeshModel) => decoded(mesh, TypeUrl.Listener, SERVER_LISTENER) as ValidatedListener;

test('a proxyless node is one whose metadata says GENERATOR: grpc (as Istio marks them)', () => {
  expect(isProxylessNode({ GENERATOR: 'grpc' })).toBe(true);
  expect(isProxylessNode({ namespace: 'shop' })).toBe(false);
});

test('client side: an api_listener per name a gRPC target may use, RDS per service port, no SDS', () => {
  const snapshot = proxylessSnapshot(model, reviews, SETTINGS);
  expect(snapshot.consistencyErrors()).toEqual([]);
  expect(snapshot.get(TypeUrl.Secret)).toBeUndefined();
  const names = [...snapshot.get(TypeUrl.Listener)!.resources.keys()];
  expect(names).toEqual(expect.arrayContaining(['ratings.shop.svc.cluster.local:9090', 'ratings.shop.svc:9090', 'ratings.shop:9090', 'ratings:9090', SERVER_LISTENER]));
  const { listener } = decoded(model, TypeUrl.Listener, 'ratings:9090') as ValidatedListener;
  expect(unpackAny<{ rds: { route_config_name: string } }>(listener.api_listener!.api_listener!).rds.route_config_name).toBe('ratings.shop.svc.cluster.local:9090');
});

test('client side: clusters take certificates from the certificate provider and check the server\'s SPIFFE ID', () => {
  const cluster = decoded(model, TypeUrl.Cluster, 'outbound|9090||ratings.shop.svc.cluster.local') as Cluster;
  const tls = unpackAny<{ common_tls_context: Record<string, { instance_name?: string; default_validation_context?: object }> }>(cluster.transport_socket!.typed_config!).common_tls_context;
  expect(tls.tls_certificate_provider_instance).toMatchObject({ instance_name: 'default' });
  expect(tls.combined_validation_context!.default_validation_context).toMatchObject({
    ca_certificate_provider_instance: { instance_name: 'default' },
    match_subject_alt_names: [{ exact: 'spiffe://cluster.local/ns/shop/sa/ratings' }],
  });
  expect(tls.tls_certificate_sds_secret_configs).toEqual([]);
});

test('server side: one mTLS chain, an HCM that admits calls (non_forwarding_action), RBAC then the router — no WAF', () => {
  const { listener, httpConnectionManagers } = serverListener(model);
  expect(listener.address!.socket_address).toMatchObject({ address: '127.0.0.12', port_value: 9080 });
  expect(listener.filter_chains).toHaveLength(1);
  expect(listener.filter_chains[0]!.filter_chain_match).toBeNull();
  const tls = unpackAny<{ require_client_certificate: { value: boolean } }>(listener.filter_chains[0]!.transport_socket!.typed_config!);
  expect(tls.require_client_certificate.value).toBe(true);
  const hcm = httpConnectionManagers.get(0)!;
  expect(hcm.http_filters.map((f) => f.typed_config!.type_url.split('.').pop())).toEqual(['RBAC', 'RBAC', 'Router']);
  expect(hcm.route_config!.virtual_hosts[0]!.routes[0]!.non_forwarding_action).toEqual({});
});

test('PERMISSIVE stays mTLS (a gRPC server cannot sniff TLS); DISABLE is plaintext', () => {
  const mode = (mtls: string) => ({ ...model, peerAuthentications: [parsePeerAuthentication({ apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'p', namespace: 'shop' }, spec: { mtls: { mode: mtls } } })] });
  expect(serverListener(mode('PERMISSIVE')).listener.filter_chains.map((c) => [c.name, !!c.transport_socket])).toEqual([['mtls', true]]);
  expect(serverListener(mode('DISABLE')).listener.filter_chains.map((c) => [c.name, !!c.transport_socket])).toEqual([['plaintext', false]]);
});

test('AUDIT and dry-run-only policies are left out: gRPC rejects the LOG action and has no shadow rules', () => {
  const policy = (name: string, action: string, annotations: Record<string, string> = {}) => parseAuthorizationPolicy({
    apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name, namespace: 'shop', annotations },
    spec: { selector: { matchLabels: { app: 'reviews' } }, action, rules: [{ to: [{ operation: { methods: ['DELETE'] } }] }] },
  });
  const mesh = { ...model, authorizationPolicies: [policy('audit', 'AUDIT'), policy('dry', 'DENY', { 'istio.io/dry-run': 'true' })] };
  expect(serverListener(mesh).httpConnectionManagers.get(0)!.http_filters.map((f) => f.name)).toEqual(['envoy.filters.http.router']);
});

test('client side: HTTPRoutes reach proxyless clients as the sidecars get them (matches, weights), restated for gRPC', () => {
  const { value: split } = decodeHttpRoute({
    apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: 'ratings-split', namespace: 'shop' },
    spec: {
      parentRefs: [{ group: '', kind: 'Service', name: 'ratings', port: 9090 }],
      rules: [
        { matches: [{ method: 'POST', headers: [{ name: 'x-canary', value: 'yes' }] }], backendRefs: [{ name: 'reviews', port: 9080 }], timeouts: { request: '2s' } },
        { matches: [{ path: { type: 'Exact', value: '/ratings.Ratings/Drop' } }], backendRefs: [{ name: 'ratings', port: 9090, weight: 0 }] },
        { backendRefs: [{ name: 'ratings', port: 9090, weight: 80 }, { name: 'reviews', port: 9080, weight: 20 }] },
      ],
    },
  });
  const mesh = { ...model, httpRoutes: [split!] };
  expect(proxylessSnapshot(mesh, reviews, SETTINGS).consistencyErrors()).toEqual([]);
  const table = decoded(mesh, TypeUrl.RouteConfiguration, 'ratings.shop.svc.cluster.local:9090') as { virtual_hosts: { routes: object[] }[] };
  const [drop, canary, weighted] = table.virtual_hosts[0]!.routes;
  // The POST match is gone (every gRPC call is POST); the header match stays; the timeout is gRPC's max_stream_duration.
  expect(canary).toMatchObject({
    match: { prefix: '/', headers: [{ name: 'x-canary', string_match: { exact: 'yes' } }] },
    route: { cluster: 'outbound|9080||reviews.shop.svc.cluster.local', max_stream_duration: { max_stream_duration: { seconds: '2' } }, retry_policy: null },
  });
  expect((canary as { match: { headers: unknown[] } }).match.headers).toHaveLength(1);
  expect(weighted).toMatchObject({
    route: { weighted_clusters: { clusters: [
      { name: 'outbound|9090||ratings.shop.svc.cluster.local', weight: { value: 80 } }, { name: 'outbound|9080||reviews.shop.svc.cluster.local', weight: { value: 20 } },
    ] } },
  });
  // No direct_response (gRPC would NACK the table): a route with no backend names a cluster with no endpoints.
  expect(drop).toMatchObject({ match: { path: '/ratings.Ratings/Drop' }, route: { cluster: 'proxyless|no-backend' } });
  expect(drop).not.toHaveProperty('direct_response');
  const empty = decoded(mesh, TypeUrl.ClusterLoadAssignment, 'proxyless|no-backend') as { endpoints: unknown[] };
  expect(empty.endpoints).toEqual([]);
});
