/** @jest-environment ./packages/kube/test/kube-environment.js */
jest.mock('@kubernetes/client-node', () => (globalThis as { __clientNode?: unknown }).__clientNode);

// The control plane fed by the cluster source: the same server, pusher and CA as in
// local mode, with the mesh model coming from list/watch against an API server
// (here the protocol-level stand-in, tests only).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ControlPlane } from '@trellis/control-plane';
import { k8s } from '../src/source/client-node';
import { TokenReviewAuthenticator } from '../src/identity/token-review';
import { KubeSource } from '../src/source/kube-source';
import { FAKE_KINDS, FakeApiServer } from './fake-apiserver';

let server: FakeApiServer;
let cp: ControlPlane;
const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-kube-cp-'));

beforeAll(async () => {
  server = await FakeApiServer.start([FAKE_KINDS.service, FAKE_KINDS.pod, FAKE_KINDS.serviceAccount, FAKE_KINDS.namespace, FAKE_KINDS.endpointSlice,
    FAKE_KINDS.workloadEntry, FAKE_KINDS.wafPolicy, FAKE_KINDS.configMap, FAKE_KINDS.authorizationPolicy, FAKE_KINDS.peerAuthentication]);
  server.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { 'trellis-injection': 'enabled' } } });
  server.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'reviews', namespace: 'shop' } });
  server.create({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'reviews', namespace: 'shop' }, spec: { selector: { app: 'reviews' }, ports: [{ name: 'http', port: 9080 }] } });
  server.create({
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'reviews-1', namespace: 'shop', labels: { app: 'reviews' } },
    spec: { serviceAccountName: 'reviews', containers: [{ name: 'app', ports: [{ name: 'http', containerPort: 9080 }] }] },
    status: { phase: 'Running', podIP: '10.0.0.11' },
  });
  const kubeConfig = new k8s.KubeConfig();
  kubeConfig.loadFromString(server.kubeConfigYaml());
  const source = new KubeSource({ kubeConfig, debounceMs: 10, backoff: { initialMs: 20, maxMs: 200 } });
  cp = new ControlPlane({ source, stateDir, xdsAddress: '127.0.0.1:0', caAddress: '127.0.0.1:0', adminAddress: '127.0.0.1:0' });
  await cp.start();
});

afterAll(async () => {
  await cp?.stop();
  await server?.close();
  fs.rmSync(stateDir, { recursive: true, force: true });
});

async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('the cluster\'s services and pods become the control plane\'s mesh, and follow watch events', async () => {
  expect(cp.meshModel.services.map((s) => `${s.namespace}/${s.name}`)).toEqual(['shop/reviews']);
  expect(cp.meshModel.workloads.map((w) => `${w.name}@${w.address}`)).toEqual(['reviews-1@10.0.0.11']);
  // A bootstrap token is ready for the pod's proxy, as for a WorkloadEntry in local mode.
  expect(fs.existsSync(cp.tokenFile({ name: 'reviews-1', namespace: 'shop' }))).toBe(true);
  server.create({
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'reviews-2', namespace: 'shop', labels: { app: 'reviews' } },
    spec: { serviceAccountName: 'reviews', containers: [{ name: 'app', ports: [{ name: 'http', containerPort: 9080 }] }] },
    status: { phase: 'Running', podIP: '10.0.0.12' },
  });
  await until(() => cp.meshModel.workloads.length === 2);
  expect(cp.meshModel.workloads.map((w) => w.address).sort()).toEqual(['10.0.0.11', '10.0.0.12']);
});

test('with the cluster\'s TokenReview authenticating proxies, no bootstrap token files are written', async () => {
  const kubeConfig = new k8s.KubeConfig();
  kubeConfig.loadFromString(server.kubeConfigYaml());
  const clusterStateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-kube-cp-'));
  const clusterCp = new ControlPlane({
    source: new KubeSource({ kubeConfig, debounceMs: 10 }), authenticator: new TokenReviewAuthenticator({ kubeConfig, trustDomain: 'cluster.local' }),
    stateDir: clusterStateDir, xdsAddress: '127.0.0.1:0', caAddress: '127.0.0.1:0', adminAddress: '127.0.0.1:0',
  });
  try {
    await clusterCp.start();
    expect(clusterCp.meshModel.workloads.length).toBeGreaterThan(0);
    expect(fs.existsSync(path.join(clusterStateDir, 'tokens'))).toBe(false);
    expect(() => clusterCp.tokenFile({ name: 'reviews-1', namespace: 'shop' })).toThrow('writes no bootstrap tokens');
  } finally {
    await clusterCp.stop();
    fs.rmSync(clusterStateDir, { recursive: true, force: true });
  }
});
