/** @jest-environment ./packages/kube/test/kube-environment.js */
// `trellis control-plane --source kubernetes --webhook …` as a real process (the built CLI)
// against the API server stand-in: its CA root lands in a Secret, the injector's caBundle
// is that root, a proxy with a pod-bound ServiceAccount token gets its identity over gRPC,
// and the injector points pods at the control plane's Service.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { CertificateServiceClient } from '@trellis/identity';
import { installObjects } from '../src/install';
import { startupProbeScript } from '../src/injection/inject';
import { applyJsonPatch, FAKE_KINDS, FakeApiServer, type StoredObject } from './fake-apiserver';

const CLI = path.resolve(__dirname, '../../cli/dist/main.js');
const SERVICE_NAME = 'trellis-control-plane.trellis-system.svc';
let api: FakeApiServer;
let child: ChildProcess | undefined;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-cluster-cp-'));
const events: Record<string, unknown>[] = [];

/** Collects a process's JSON log lines (stderr) into `into`. */
function collectLog(process: ChildProcess, into: Record<string, unknown>[]): void {
  let buffered = '';
  process.stderr!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) {
      try { into.push(JSON.parse(line) as Record<string, unknown>); } catch { into.push({ raw: line }); }
    }
  });
}

/** Resolves with the first JSON log line of the process for which `match` holds. */
function logged(match: (event: Record<string, unknown>) => boolean, timeoutMs = 20_000, log = events): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const timer = setInterval(() => {
      const found = log.find(match);
      if (found) {
        clearInterval(timer);
        clearTimeout(deadline);
        resolve(found);
      }
    }, 20);
    const deadline = setTimeout(() => {
      clearInterval(timer);
      reject(new Error(`not logged in time; log so far:\n${log.map((e) => JSON.stringify(e)).join('\n')}`));
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
  collectLog(child, events);
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

  /** The admission the API server asks for: the webhook's answer for `object` in namespace shop. */
  async function admit(object: object): Promise<{ response: { allowed: boolean; patch: string } }> {
    const ready = await logged((e) => e['event'] === 'injection webhook ready');
    const [host, port] = (ready['address'] as string).split(':');
    const review = { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'u1', kind: { group: '', version: 'v1', kind: 'Pod' }, namespace: 'shop', operation: 'CREATE', object } };
    return new Promise((resolve, reject) => {
      const request = https.request({ host, port: Number(port), method: 'POST', path: '/inject', servername: SERVICE_NAME, ca: secretRoot(), agent: false }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (c: Buffer) => chunks.push(c));
        response.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString())));
      });
      request.on('error', reject);
      request.end(JSON.stringify(review));
    });
  }

  it('injects pods with the proxy image and the control plane\'s Service addresses', async () => {
    const cpReady = await logged((e) => e['event'] === 'control plane ready');
    const answer = await admit({ metadata: { generateName: 'reviews-' }, spec: { containers: [{ name: 'app' }] } });
    expect(answer.response.allowed).toBe(true);
    const patch = JSON.parse(Buffer.from(answer.response.patch, 'base64').toString()) as { path: string; value: Record<string, string> & { image?: string }[] }[];
    const annotations = patch.find((op) => op.path === '/metadata/annotations')!.value as unknown as Record<string, string>;
    const caPort = (cpReady['ca'] as string).split(':')[1];
    expect(JSON.parse(annotations['sidecar.trellis.dev/bootstrap'])).toMatchObject({ caAddress: `${SERVICE_NAME}:${caPort}`, trustDomain: 'cluster.local' });
    expect(annotations['sidecar.trellis.dev/ca-roots']).toBe(secretRoot());
    const initContainers = patch.find((op) => op.path === '/spec/initContainers')!.value as unknown as { image: string }[];
    expect(initContainers.map((c) => c.image)).toEqual(['registry.example/trellis/proxy:test', 'registry.example/trellis/proxy:test']);
  });

  it('runs the injected proxy command as the kubelet would: it gets its identity from its token, the probe holds the app back until it has config, and it answers the app\'s rewritten probe', async () => {
    // The app, at the "pod IP" 127.0.7.4; its readiness probe was on its own port before injection.
    const app = http.createServer((request, response) => response.writeHead(request.url === '/ready' ? 200 : 404).end());
    await new Promise<void>((resolve) => app.listen(0, '127.0.7.4', resolve));
    const appContainer = { name: 'app', ports: [{ name: 'http', containerPort: (app.address() as AddressInfo).port }], readinessProbe: { httpGet: { path: '/ready', port: 'http' } } };
    // Pending, so not yet a workload in the mesh model: xDS is refused, as for a pod the control plane has not seen yet.
    const created = api.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'reviews-2', namespace: 'shop', labels: { app: 'reviews' } }, spec: { serviceAccountName: 'reviews', containers: [appContainer] }, status: { phase: 'Pending' } });
    const answer = await admit({ metadata: { name: 'reviews-2', namespace: 'shop' }, spec: { serviceAccountName: 'reviews', containers: [appContainer] } });
    type Container = { name: string; args: string[]; startupProbe: { exec: { command: string[] } }; env: { name: string; value?: string }[] };
    const pod = applyJsonPatch({ metadata: { name: 'reviews-2', namespace: 'shop' }, spec: { serviceAccountName: 'reviews', containers: [appContainer] } }, JSON.parse(Buffer.from(answer.response.patch, 'base64').toString()) as []) as unknown as {
      metadata: { annotations: Record<string, string> }; spec: { initContainers: Container[]; containers: { readinessProbe: { httpGet: { path: string; port: number } } }[]; volumes: { projected?: { sources: { serviceAccountToken: { audience: string } }[] } }[] };
    };
    const proxy = pod.spec.initContainers.find((c) => c.name === 'trellis-proxy')!;

    // What the kubelet provides: the downward-API files, the projected token, $(VAR) expansion; cluster DNS resolves the Service to our address.
    const mounts = path.join(dir, 'pod');
    fs.mkdirSync(path.join(mounts, 'etc-trellis'), { recursive: true });
    fs.mkdirSync(path.join(mounts, 'tokens'), { recursive: true });
    const cpReady = await logged((e) => e['event'] === 'control plane ready');
    const host = (cpReady['ca'] as string).split(':')[0];
    fs.writeFileSync(path.join(mounts, 'etc-trellis', 'bootstrap.json'), pod.metadata.annotations['sidecar.trellis.dev/bootstrap'].replaceAll(SERVICE_NAME, host));
    fs.writeFileSync(path.join(mounts, 'etc-trellis', 'root-cert.pem'), pod.metadata.annotations['sidecar.trellis.dev/ca-roots']);
    const audience = pod.spec.volumes.find((v) => v.projected)!.projected!.sources[0].serviceAccountToken.audience;
    fs.writeFileSync(path.join(mounts, 'tokens', 'trellis-ca-token'), api.serviceAccountToken({ namespace: 'shop', serviceAccount: 'reviews', audiences: [audience], expiresAt: new Date(Date.now() + 3600_000), pod: { name: 'reviews-2', uid: created.metadata.uid! } }));
    const ADMIN_PORT = 24510; // in place of 15000: this machine is shared
    const kubelet = (text: string) => text
      .replaceAll('$(POD_NAME)', 'reviews-2').replaceAll('$(POD_NAMESPACE)', 'shop').replaceAll('$(SERVICE_ACCOUNT)', 'reviews')
      .replaceAll('/etc/trellis/', `${mounts}/etc-trellis/`).replaceAll('/var/run/secrets/tokens/', `${mounts}/tokens/`).replaceAll('--admin-port=15000', `--admin-port=${ADMIN_PORT}`);
    const bootstrap = JSON.parse(fs.readFileSync(path.join(mounts, 'etc-trellis', 'bootstrap.json'), 'utf8')) as { rootCertFile: string };
    fs.writeFileSync(path.join(mounts, 'etc-trellis', 'bootstrap.json'), JSON.stringify({ ...bootstrap, rootCertFile: kubelet(bootstrap.rootCertFile) }));

    const proxyLog: Record<string, unknown>[] = [];
    // Its environment as the kubelet sets it, with the pod IP, and the health port on loopback in place of 0.0.0.0:15020.
    const env = { ...process.env, ...Object.fromEntries(proxy.env.map((e) => [e.name, e.value ?? ''])), TRELLIS_APP_HOST: '127.0.7.4', TRELLIS_APP_HEALTH_ADDRESS: '127.0.7.4:0' };
    const sidecar = spawn(process.execPath, [CLI, ...proxy.args.map(kubelet)], { stdio: ['ignore', 'ignore', 'pipe'], env });
    collectLog(sidecar, proxyLog);
    try {
      const certificate = await logged((e) => e['event'] === 'certificate', 20_000, proxyLog);
      expect(certificate['spiffeId']).toBe('spiffe://cluster.local/ns/shop/sa/reviews');
      await logged((e) => e['event'] === 'ready', 20_000, proxyLog);
      const [command, ...probeArgs] = proxy.startupProbe.exec.command;
      expect(command).toBe('node');
      expect(probeArgs[1]).toBe(startupProbeScript(15000));
      const probe = () => new Promise<number | null>((resolve) => spawn(process.execPath, [probeArgs[0], startupProbeScript(ADMIN_PORT)], { stdio: 'ignore' }).on('exit', resolve));
      expect(await probe()).toBe(1);

      // The kubelet's readiness probe, rewritten to the health port, answered by the proxy from the app.
      const health = await logged((e) => e['event'] === 'app health', 20_000, proxyLog);
      const { path: probePath, port: probePort } = pod.spec.containers[0].readinessProbe.httpGet;
      expect(probePort).toBe(15020);
      expect((await fetch(`http://${health['address'] as string}${probePath}`)).status).toBe(200);
      await new Promise((resolve) => app.close(resolve));
      expect((await fetch(`http://${health['address'] as string}${probePath}`)).status).toBe(503);
    } finally {
      const exited = new Promise((resolve) => sidecar.once('exit', resolve));
      sidecar.kill('SIGTERM');
      await exited;
      if (app.listening) app.close();
    }
  });
});
