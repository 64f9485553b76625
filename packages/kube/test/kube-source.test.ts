/** @jest-environment ./packages/kube/test/kube-environment.js */
jest.mock('@kubernetes/client-node', () => (globalThis as { __clientNode?: unknown }).__clientNode);

import type { LoadResult } from '@trellis/control-plane';
import { k8s } from '../src/source/client-node';
import { KubeSource } from '../src/source/kube-source';
import { FAKE_KINDS, FakeApiServer, type FakeKind, type StoredObject } from './fake-apiserver';
import { makeServingTls } from './serving-tls';

const OUR_KINDS: FakeKind[] = [
  FAKE_KINDS.service, FAKE_KINDS.pod, FAKE_KINDS.serviceAccount, FAKE_KINDS.namespace, FAKE_KINDS.endpointSlice,
  FAKE_KINDS.workloadEntry, FAKE_KINDS.wafPolicy, FAKE_KINDS.configMap, FAKE_KINDS.authorizationPolicy, FAKE_KINDS.peerAuthentication,
];

const namespace = (name: string, inMesh = true): StoredObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: inMesh ? { 'trellis-injection': 'enabled' } : {} } });
const serviceAccount = (name: string): StoredObject => ({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: 'shop' } });
const service = (name: string, ports: { name: string; port: number; targetPort?: number | string }[] = [{ name: 'http', port: 9080 }]): StoredObject => ({
  apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'shop' }, spec: { selector: { app: name }, ports },
});
const pod = (name: string, app: string, ip: string, sa = app): StoredObject => ({
  apiVersion: 'v1', kind: 'Pod',
  metadata: { name, namespace: 'shop', labels: { app } },
  spec: { serviceAccountName: sa, containers: [{ name: 'app', ports: [{ name: 'web', containerPort: 8080 }] }] },
  status: { phase: 'Running', podIP: ip },
});
const allowPolicy = (name: string, kind: FakeKind = FAKE_KINDS.authorizationPolicy, methods = ['GET']): StoredObject => ({
  apiVersion: kind.apiVersion, kind: 'AuthorizationPolicy', metadata: { name, namespace: 'shop' },
  spec: { selector: { matchLabels: { app: 'reviews' } }, action: 'ALLOW', rules: [{ to: [{ operation: { methods } }] }] },
});

let server: FakeApiServer;
let source: KubeSource;

async function startSource(): Promise<LoadResult> {
  const kubeConfig = new k8s.KubeConfig();
  kubeConfig.loadFromString(server.kubeConfigYaml());
  source = new KubeSource({ kubeConfig, debounceMs: 10, backoff: { initialMs: 20, maxMs: 200 } });
  return source.start();
}

/** The first model (current, or a later `change`) for which `check` holds. */
function until(check: (result: LoadResult) => boolean, what: string, timeoutMs = 5000): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const current = source.current();
    if (current && check(current)) return resolve(current);
    const timer = setTimeout(() => {
      source.off('change', listener);
      reject(new Error(`timed out waiting for ${what}; last model: ${JSON.stringify(source.current(), null, 1)}`));
    }, timeoutMs);
    const listener = (result: LoadResult) => {
      if (!check(result)) return;
      clearTimeout(timer);
      source.off('change', listener);
      resolve(result);
    };
    source.on('change', listener);
  });
}

const workload = (result: LoadResult, name: string) => result.model.workloads.find((w) => w.name === name);
const serviceNamed = (result: LoadResult, name: string) => result.model.services.find((s) => s.name === name);

async function startServer(tls?: Parameters<typeof FakeApiServer.start>[1]): Promise<void> {
  server = await FakeApiServer.start(OUR_KINDS, tls);
  server.create(namespace('shop'));
  server.create(serviceAccount('reviews'));
  server.create(service('reviews'));
  server.create(pod('reviews-1', 'reviews', '10.0.0.11'));
}

beforeEach(() => startServer());

afterEach(async () => {
  source?.close();
  await server.close();
});

describe('KubeSource', () => {
  test('the first model: services, and their pods as workloads (pod IP, target ports, service account)', async () => {
    const first = await startSource();
    expect(first.model.services).toEqual([{ namespace: 'shop', name: 'reviews', selector: { app: 'reviews' }, ports: [{ name: 'http', port: 9080, targetPort: 9080, protocol: 'http' }] }]);
    expect(first.model.workloads).toEqual([{
      namespace: 'shop', name: 'reviews-1', labels: { app: 'reviews' }, address: '10.0.0.11', serviceAccount: 'reviews',
      ports: { web: 8080, http: 9080 }, sidecar: { appPorts: {}, outboundPort: 15001, egressNamespaces: ['*'] },
    }]);
    expect(first.diagnostics).toEqual([]);
  });

  test('over HTTPS, trusting the cluster CA the kubeconfig names', async () => {
    const tls = makeServingTls();
    if (!tls) return; // no openssl to make a certificate with
    await server.close();
    await startServer(tls);
    expect(server.url).toMatch(/^https:/);
    const first = await startSource();
    expect(first.model.workloads.map((w) => w.address)).toEqual(['10.0.0.11']);
    server.create(pod('reviews-2', 'reviews', '10.0.0.12'));
    await until((r) => workload(r, 'reviews-2') !== undefined, 'a watched pod over TLS');
  });

  test('lists with a resourceVersion, then watches from it asking for bookmarks', async () => {
    await startSource();
    const watches = server.requests.filter((r) => r.path === '/api/v1/pods' && r.watch);
    expect(watches).toHaveLength(1);
    expect(watches[0]!.query).toMatchObject({ allowWatchBookmarks: 'true', resourceVersion: expect.stringMatching(/^\d+$/) });
  });

  test('Services: a new target port, a new service, a deletion', async () => {
    await startSource();
    server.update(service('reviews', [{ name: 'http', port: 9080, targetPort: 'web' }]));
    let result = await until((r) => serviceNamed(r, 'reviews')?.ports[0]?.targetPort === 'web', 'the named target port');
    expect(workload(result, 'reviews-1')!.ports).toEqual({ web: 8080 });
    server.create(service('ratings'));
    server.create(pod('ratings-1', 'ratings', '10.0.0.21', 'reviews'));
    result = await until((r) => workload(r, 'ratings-1') !== undefined, 'the ratings pod');
    server.remove(service('reviews'));
    result = await until((r) => serviceNamed(r, 'reviews') === undefined, 'reviews deleted');
    expect(workload(result, 'reviews-1')!.ports).toEqual({ web: 8080 });
  });

  test('Pods: added, readdressed, deleted; pending, opted-out and host-network pods are not workloads', async () => {
    await startSource();
    server.create(pod('reviews-2', 'reviews', '10.0.0.12'));
    await until((r) => workload(r, 'reviews-2')?.address === '10.0.0.12', 'the second pod');
    server.update({ ...pod('reviews-2', 'reviews', '10.0.0.13') });
    await until((r) => workload(r, 'reviews-2')?.address === '10.0.0.13', 'the new pod IP');
    server.remove(pod('reviews-2', 'reviews', ''));
    await until((r) => workload(r, 'reviews-2') === undefined, 'the pod deleted');
    const pending = pod('reviews-3', 'reviews', '');
    server.create({ ...pending, status: { phase: 'Pending' } });
    const optedOut = pod('reviews-4', 'reviews', '10.0.0.14');
    server.create({ ...optedOut, metadata: { ...optedOut.metadata, annotations: { 'sidecar.trellis.dev/inject': 'false' } } });
    const hostNetwork = pod('reviews-5', 'reviews', '192.168.0.2');
    server.create({ ...hostNetwork, spec: { ...(hostNetwork['spec'] as object), hostNetwork: true } });
    server.create(pod('client-1', 'client', '10.0.0.16', 'reviews'));
    const result = await until((r) => workload(r, 'client-1') !== undefined, 'the client pod');
    expect(result.model.workloads.map((w) => w.name)).toEqual(['client-1', 'reviews-1']);
    // Selected by no Service: only its named container ports.
    expect(workload(result, 'client-1')!.ports).toEqual({ web: 8080 });
  });

  test('ServiceAccounts: a pod whose account is deleted is reported', async () => {
    await startSource();
    server.remove(serviceAccount('reviews'));
    const result = await until((r) => r.diagnostics.length > 0, 'a diagnostic');
    expect(result.diagnostics).toEqual([expect.objectContaining({
      file: '/api/v1/namespaces/shop/pods/reviews-1', severity: 'warning', object: 'Pod shop/reviews-1', field: 'spec.serviceAccountName',
    })]);
    server.create(serviceAccount('reviews'));
    await until((r) => r.diagnostics.length === 0, 'the account back');
  });

  test('a pod scopes its proxy\'s egress with the egress-namespaces annotation; a bad one is reported and mesh-wide kept', async () => {
    await startSource();
    const scoped = pod('reviews-1', 'reviews', '10.0.0.11');
    const annotate = (value: string): StoredObject => ({ ...scoped, metadata: { ...scoped.metadata, annotations: { 'sidecar.trellis.dev/egress-namespaces': value } } });
    server.update(annotate('., payments'));
    const result = await until((r) => workload(r, 'reviews-1')?.sidecar.egressNamespaces.join() === '.,payments', 'the scoped pod');
    expect(result.diagnostics).toEqual([]);

    server.update(annotate('payments, Not_A_Namespace'));
    const reported = await until((r) => r.diagnostics.length > 0, 'the bad annotation reported');
    expect(reported.diagnostics).toEqual([expect.objectContaining({
      object: 'Pod shop/reviews-1', severity: 'warning', field: 'metadata.annotations["sidecar.trellis.dev/egress-namespaces"]',
      message: '"Not_A_Namespace" is not a namespace, "." or "*"; using "*" (every namespace)',
    })]);
    expect(workload(reported, 'reviews-1')!.sidecar.egressNamespaces).toEqual(['*']);
  });

  test('Namespaces: taking a namespace out of the mesh removes its workloads, except pods asking for it themselves', async () => {
    await startSource();
    server.update(namespace('shop', false));
    await until((r) => r.model.workloads.length === 0, 'no workloads');
    const asking = pod('batch-1', 'batch', '10.0.0.21', 'reviews');
    server.create({ ...asking, metadata: { ...asking.metadata, labels: { app: 'batch', 'sidecar.trellis.dev/inject': 'true' } } });
    await until((r) => r.model.workloads.map((w) => w.name).join() === 'batch-1', 'the pod that asked');
    server.remove(asking);
    server.update(namespace('shop'));
    await until((r) => workload(r, 'reviews-1') !== undefined, 'the workload back');
  });

  test('EndpointSlices: a pod listed as not ready is left out until ready again', async () => {
    await startSource();
    const slice = (ready: boolean): StoredObject => ({
      apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
      metadata: { name: 'reviews-abc', namespace: 'shop', labels: { 'kubernetes.io/service-name': 'reviews' } },
      addressType: 'IPv4', endpoints: [{ addresses: ['10.0.0.11'], conditions: { ready }, targetRef: { kind: 'Pod', name: 'reviews-1', namespace: 'shop' } }],
    });
    server.create(slice(false));
    await until((r) => r.model.workloads.length === 0, 'the not-ready pod left out');
    server.update(slice(true));
    await until((r) => workload(r, 'reviews-1') !== undefined, 'the pod ready again');
    server.update(slice(false));
    await until((r) => r.model.workloads.length === 0, 'not ready again');
    server.remove(slice(false));
    await until((r) => workload(r, 'reviews-1') !== undefined, 'the slice deleted');
  });

  test('WorkloadEntries: added, moved, deleted', async () => {
    await startSource();
    const entry = (address: string): StoredObject => ({
      apiVersion: 'networking.trellis.dev/v1alpha1', kind: 'WorkloadEntry', metadata: { name: 'vm-1', namespace: 'shop' },
      spec: { address, serviceAccount: 'reviews', labels: { app: 'reviews' }, ports: { http: 9080 } },
    });
    server.create(entry('192.168.1.5'));
    await until((r) => workload(r, 'vm-1')?.address === '192.168.1.5', 'the entry');
    server.update(entry('192.168.1.6'));
    await until((r) => workload(r, 'vm-1')?.address === '192.168.1.6', 'the entry moved');
    server.remove(entry(''));
    await until((r) => workload(r, 'vm-1') === undefined, 'the entry deleted');
  });

  test('AuthorizationPolicies: added, changed, a broken edit keeps the last good version, deleted', async () => {
    await startSource();
    server.create(allowPolicy('readers'));
    await until((r) => r.model.authorizationPolicies[0]?.rules[0]?.to[0]?.methods[0] === 'GET', 'the policy');
    server.update(allowPolicy('readers', FAKE_KINDS.authorizationPolicy, ['POST']));
    await until((r) => r.model.authorizationPolicies[0]?.rules[0]?.to[0]?.methods[0] === 'POST', 'the policy changed');
    const broken = allowPolicy('readers');
    server.update({ ...broken, spec: { ...(broken['spec'] as object), action: 'PERMIT' } });
    const result = await until((r) => r.diagnostics.some((d) => d.severity === 'error'), 'the broken edit reported');
    expect(result.model.authorizationPolicies[0]?.rules[0]?.to[0]?.methods).toEqual(['POST']);
    expect(result.diagnostics.map((d) => `${d.file} ${d.severity} ${d.field}`)).toEqual(expect.arrayContaining([
      '/apis/security.trellis.dev/v1/namespaces/shop/authorizationpolicies/readers error spec.action',
      '/apis/security.trellis.dev/v1/namespaces/shop/authorizationpolicies/readers warning (object)',
    ]));
    server.remove(broken);
    await until((r) => r.model.authorizationPolicies.length === 0 && r.diagnostics.length === 0, 'the policy deleted');
  });

  test('PeerAuthentications: added, changed, deleted', async () => {
    await startSource();
    const strict = (mode: string): StoredObject => ({ apiVersion: 'security.trellis.dev/v1', kind: 'PeerAuthentication', metadata: { name: 'default', namespace: 'shop' }, spec: { mtls: { mode } } });
    server.create(strict('STRICT'));
    await until((r) => r.model.peerAuthentications[0]?.mtlsMode === 'STRICT', 'STRICT');
    server.update(strict('PERMISSIVE'));
    await until((r) => r.model.peerAuthentications[0]?.mtlsMode === 'PERMISSIVE', 'PERMISSIVE');
    server.remove(strict(''));
    await until((r) => r.model.peerAuthentications.length === 0, 'deleted');
  });

  test('WafPolicies: added, changed, deleted', async () => {
    await startSource();
    const waf = (mode: string): StoredObject => ({
      apiVersion: 'security.trellis.dev/v1alpha1', kind: 'WafPolicy', metadata: { name: 'reviews-waf', namespace: 'shop' },
      spec: { selector: { matchLabels: { app: 'reviews' } }, mode, ruleSet: 'trellis-default' },
    });
    server.create(waf('detect'));
    await until((r) => r.model.wafPolicies[0]?.mode === 'detect', 'detect');
    server.update(waf('block'));
    await until((r) => r.model.wafPolicies[0]?.mode === 'block', 'block');
    server.remove(waf(''));
    await until((r) => r.model.wafPolicies.length === 0, 'deleted');
  });

  test("WafPolicies' OpenAPI documents come from ConfigMaps; a missing one is an error at the policy", async () => {
    await startSource();
    server.create({
      apiVersion: 'security.trellis.dev/v1alpha1', kind: 'WafPolicy', metadata: { name: 'reviews-waf', namespace: 'shop' },
      spec: { mode: 'block', openapi: { configMapRef: { name: 'reviews-api', key: 'openapi.yaml' } } },
    });
    const missing = await until((r) => r.model.wafPolicies.length === 1, 'the policy');
    expect(missing.diagnostics.map((d) => `${d.file}: ${d.field}: ${d.message}`)).toEqual([
      '/apis/security.trellis.dev/v1alpha1/namespaces/shop/wafpolicies/reviews-waf: spec.openapi.configMapRef.name: ConfigMap shop/reviews-api does not exist; OpenAPI enforcement is off for the workloads it selects until this is fixed',
    ]);
    server.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'reviews-api', namespace: 'shop' }, data: { 'openapi.yaml': 'openapi: 3.1.0\ninfo: { title: r, version: "1" }\npaths: {}\n' } });
    const found = await until((r) => r.model.configMaps.length === 1, 'the ConfigMap');
    expect(found.diagnostics).toEqual([]);
  });

  test('HTTPRoutes are read once the Gateway API CRDs are installed', async () => {
    await startSource();
    server.serve(FAKE_KINDS.httpRoute);
    server.create({
      apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: 'reviews-split', namespace: 'shop' },
      spec: { parentRefs: [{ group: '', kind: 'Service', name: 'reviews' }], rules: [{ backendRefs: [{ name: 'reviews', port: 9080 }] }] },
    });
    const result = await until((r) => r.model.httpRoutes.length === 1, 'the route');
    expect(result.model.httpRoutes[0]!.parents).toEqual([expect.objectContaining({ namespace: 'shop', service: 'reviews' })]);
  });

  test("Istio's security kinds are read once their CRDs are installed", async () => {
    const first = await startSource();
    expect(first.model.authorizationPolicies).toEqual([]);
    server.serve(FAKE_KINDS.istioAuthorizationPolicy);
    server.create(allowPolicy('istio-readers', FAKE_KINDS.istioAuthorizationPolicy));
    const result = await until((r) => r.model.authorizationPolicies.length === 1, "Istio's policy");
    expect(result.model.authorizationPolicies[0]!.metadata.name).toBe('istio-readers');
  });
});

describe('KubeSource through API server trouble', () => {
  /** Takes the API server away (503s, watches cut), lets `change` happen meanwhile, brings it back. */
  async function outage(change: () => void): Promise<LoadResult> {
    server.setAvailable(false);
    server.dropWatches();
    const during = await until((r) => r.diagnostics.some((d) => d.object === '(apiserver)'), 'the outage reported');
    change();
    server.setAvailable(true);
    await until((r) => !r.diagnostics.some((d) => d.object === '(apiserver)'), 'recovery');
    return during;
  }

  test('a dropped watch resumes from its resourceVersion: no event lost, no relist', async () => {
    await startSource();
    const lists = server.requestCount('/api/v1/pods', false);
    const during = await outage(() => {
      server.create(pod('reviews-2', 'reviews', '10.0.0.12'));
      server.remove(pod('reviews-1', 'reviews', ''));
      server.update(service('reviews', [{ name: 'http', port: 9080, targetPort: 'web' }]));
    });
    expect(during.model.workloads.map((w) => w.name)).toEqual(['reviews-1']);
    expect(during.diagnostics.find((d) => d.field === 'Pod')?.message).toMatch(/keeping the last known objects/);
    const result = await until((r) => workload(r, 'reviews-2') !== undefined && workload(r, 'reviews-1') === undefined, 'the changes made during the outage');
    expect(serviceNamed(result, 'reviews')!.ports[0]!.targetPort).toBe('web');
    expect(server.requestCount('/api/v1/pods', false)).toBe(lists);
  });

  test('410 Gone after compaction: relists, and sees deletions made meanwhile', async () => {
    await startSource();
    const lists = server.requestCount('/api/v1/pods', false);
    await outage(() => {
      server.create(pod('reviews-2', 'reviews', '10.0.0.12'));
      server.remove(pod('reviews-1', 'reviews', ''));
      server.create(allowPolicy('readers'));
      server.compact();
    });
    const result = await until((r) => workload(r, 'reviews-2') !== undefined && workload(r, 'reviews-1') === undefined && r.model.authorizationPolicies.length === 1, 'the relisted state');
    expect(result.model.workloads.map((w) => w.name)).toEqual(['reviews-2']);
    expect(server.requestCount('/api/v1/pods', false)).toBe(lists + 1);
  });

  test('bookmarks keep a quiet watch recent: after compaction it resumes without a relist', async () => {
    await startSource();
    server.create(service('ratings'));
    await until((r) => serviceNamed(r, 'ratings') !== undefined, 'ratings');
    // Pods saw no event since the list; the bookmark tells the pod watch how far it is.
    server.bookmark();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const lists = server.requestCount('/api/v1/pods', false);
    server.compact();
    server.dropWatches();
    server.create(pod('reviews-2', 'reviews', '10.0.0.12'));
    await until((r) => workload(r, 'reviews-2') !== undefined, 'the new pod');
    expect(server.requestCount('/api/v1/pods', false)).toBe(lists);
  });
});
