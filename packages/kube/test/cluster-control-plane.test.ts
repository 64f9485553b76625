/** @jest-environment ./packages/kube/test/kube-environment.js */
// `trellis control-plane --source kubernetes --webhook …` as a real process (the built CLI)
// against the API server stand-in: its CA root lands in a Secret, the injector's caBundle
// is that root, a proxy with a pod-bound ServiceAccount token gets its identity over gRPC,
// and the injector points pods at the control plane's Service.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import { CertificateServiceClient } from '@trellis/identity';
import { installObjects } from '../src/install';
import { FAKE_KINDS, FakeApiServer, type StoredObject } from './fake-apiserver';

const CLI = path.resolve(__dirname, '../../cli/dist/main.js');
const SERVICE_NAME = 'trellis-control-plane.trellis-system.svc';
let api: FakeApiServer;
let child: ChildProcess | undefined;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-cluster-cp-'));
const events: Record<string, unknown>[] = [];

/** Resolves with the first JSON log line of the process for which `match` holds. */
function logged(match: (event: Record<string, unknown>) => boolean, timeoutMs = 20_000): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const timer = setInterval(() => {
      const found = events.find(match);
      if (found) {
        clearInterval(timer);
        clearTimeout(deadline);
        resolve(found);
      }
    }, 20);
    const deadline = setTimeout(() => {
      clearInterval(timer);
      reject(new Error(`not logged in time; log so far:\n${events.map((e) => JSON.stringify(e)).join('\n')}`));
    }, timeoutMs);
  });
}

beforeAll(async () => {
  api = await FakeApiServer.start([
    FAKE_KINDS.service, FAKE_KINDS.pod, FAKE_KINDS.serviceAccount, FAKE_KINDS.namespace, FAKE_KINDS.endpointSlice, FAKE_KINDS.workloadEntry,
    FAKE_KINDS.wafPolicy, FAKE_KINDS.configMap, FAKE_KINDS.authorizationPolicy, FAKE_KINDS.peerAuthentication, FAKE_KINDS.secret, FAKE_KINDS.mutatingWebhookConfiguration,
  ]);
  api.create(installObjects().find((o) => o.kind === 'MutatingWebhookConfiguration') as unknown as StoredObject);
  api.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { 'trellis-injection': 'enabled' } } });
  api.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'reviews', namespace: 'shop' } });
  const kubeconfig = path.join(dir, 'kubeconfig');
  fs.writeFileSync(kubeconfig, api.kubeConfigYaml());
  child = spawn(process.execPath, [
    CLI, 'control-plane', '--source', 'kubernetes', '--kubeconfig', kubeconfig, '--state-dir', path.join(dir, 'state'),
    '--xds', '127.0.5.3:0', '--ca', '127.0.5.3:0', '--admin', '127.0.5.3:0', '--webhook', '127.0.5.3:0',
  ], { env: { ...process.env, POD_NAMESPACE: 'trellis-system', TRELLIS_PROXY_IMAGE: 'registry.example/trellis/proxy:test' }, stdio: ['ignore', 'ignore', 'pipe'] });
  let buffered = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) {
      try { events.push(JSON.parse(line) as Record<string, unknown>); } catch { events.push({ raw: line }); }
    }
  });
  await logged((e) => e['event'] === 'injection webhook ready');
});

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  await api.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const secretRoot = () => Buffer.from((api.get(FAKE_KINDS.secret, 'trellis-system', 'trellis-ca')!['data'] as Record<string, string>)['root-cert.pem'], 'base64').toString();

describe('control plane in a cluster (stand-in API server, real process)', () => {
  it('keeps its root in the trellis-ca Secret and writes it into the injector\'s caBundle', () => {
    const root = secretRoot();
    expect(root).toContain('BEGIN CERTIFICATE');
    const webhooks = api.get(FAKE_KINDS.mutatingWebhookConfiguration, undefined, 'trellis-sidecar-injector')!['webhooks'] as { clientConfig: { caBundle: string } }[];
    for (const webhook of webhooks) expect(Buffer.from(webhook.clientConfig.caBundle, 'base64').toString()).toBe(root);
    expect(events.map((e) => JSON.stringify(e)).join('\n')).not.toContain('PRIVATE KEY');
  });

  it('issues a proxy holding a pod-bound token its ServiceAccount\'s identity', async () => {
    const pod = api.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'reviews-1', namespace: 'shop', labels: { app: 'reviews' } }, spec: { serviceAccountName: 'reviews', containers: [{ name: 'app' }] }, status: { phase: 'Running', podIP: '10.0.0.11' } });
    const token = api.serviceAccountToken({ namespace: 'shop', serviceAccount: 'reviews', audiences: ['trellis-ca'], expiresAt: new Date(Date.now() + 3600_000), pod: { name: 'reviews-1', uid: pod.metadata.uid! } });
    const ready = await logged((e) => e['event'] === 'control plane ready');
    const client = new CertificateServiceClient({
      address: ready['ca'] as string, caRootsPem: [secretRoot()], serverIdentity: { expectedIds: ['spiffe://cluster.local/ns/trellis-system/sa/trellis-control-plane'] }, token, callTimeoutMs: 5000,
    });
    try {
      const issued = await client.requestCertificate({ identity: { trustDomain: 'cluster.local', namespace: 'shop', serviceAccount: 'reviews' } });
      expect(issued.spiffeId).toBe('spiffe://cluster.local/ns/shop/sa/reviews');
      expect(issued.bundlePem).toEqual([secretRoot()]);
    } finally {
      client.close();
    }
  });

  it('injects pods with the proxy image and the control plane\'s Service addresses', async () => {
    const ready = await logged((e) => e['event'] === 'injection webhook ready');
    const cpReady = await logged((e) => e['event'] === 'control plane ready');
    const [host, port] = (ready['address'] as string).split(':');
    const review = {
      apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview',
      request: { uid: 'u1', kind: { group: '', version: 'v1', kind: 'Pod' }, namespace: 'shop', operation: 'CREATE', object: { metadata: { generateName: 'reviews-' }, spec: { containers: [{ name: 'app' }] } } },
    };
    const answer = await new Promise<{ response: { allowed: boolean; patch: string } }>((resolve, reject) => {
      const request = https.request({ host, port: Number(port), method: 'POST', path: '/inject', servername: SERVICE_NAME, ca: secretRoot(), agent: false }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (c: Buffer) => chunks.push(c));
        response.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString())));
      });
      request.on('error', reject);
      request.end(JSON.stringify(review));
    });
    expect(answer.response.allowed).toBe(true);
    const patch = JSON.parse(Buffer.from(answer.response.patch, 'base64').toString()) as { path: string; value: Record<string, string> & { image?: string }[] }[];
    const annotations = patch.find((op) => op.path === '/metadata/annotations')!.value as unknown as Record<string, string>;
    const caPort = (cpReady['ca'] as string).split(':')[1];
    expect(JSON.parse(annotations['sidecar.trellis.dev/bootstrap'])).toMatchObject({ caAddress: `${SERVICE_NAME}:${caPort}`, trustDomain: 'cluster.local' });
    expect(annotations['sidecar.trellis.dev/ca-roots']).toBe(secretRoot());
    const initContainers = patch.find((op) => op.path === '/spec/initContainers')!.value as unknown as { image: string }[];
    expect(initContainers.map((c) => c.image)).toEqual(['registry.example/trellis/proxy:test', 'registry.example/trellis/proxy:test']);
  });
});
