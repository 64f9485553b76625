/** @jest-environment ./packages/kube/test/kube-environment.js */
jest.mock('@kubernetes/client-node', () => (globalThis as { __clientNode?: unknown }).__clientNode);

import * as https from 'node:https';
import * as tls from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { CertificateAuthority, createSelfSignedRoot, joinPem } from '@trellis/pki';
import { installObjects } from '../src/install';
import { type InjectionSettings } from '../src/injection/inject';
import { InjectionWebhook, WEBHOOK_CONFIGURATION, type AdmissionResponse } from '../src/injection/webhook-server';
import { k8s } from '../src/source/client-node';
import { applyJsonPatch, FAKE_KINDS, FakeApiServer, type StoredObject } from './fake-apiserver';

const SERVICE_NAME = 'trellis-control-plane.trellis-system.svc';
let api: FakeApiServer;
let ca: CertificateAuthority;
let webhook: InjectionWebhook | undefined;

const settings: Omit<InjectionSettings, 'caRootsPem'> = {
  proxyImage: 'ghcr.io/trellis-mesh/proxy:test', trustDomain: 'cluster.local',
  xdsAddress: `${SERVICE_NAME}:15010`, caAddress: `${SERVICE_NAME}:15012`,
  controlPlaneId: 'spiffe://cluster.local/ns/trellis-system/sa/trellis-control-plane', tokenAudience: 'trellis-ca',
};

function webhookConfiguration(): StoredObject {
  return api.get(FAKE_KINDS.mutatingWebhookConfiguration, undefined, WEBHOOK_CONFIGURATION)!;
}

async function startWebhook(certificateTtlSeconds?: number): Promise<InjectionWebhook> {
  const kubeConfig = new k8s.KubeConfig();
  kubeConfig.loadFromString(api.kubeConfigYaml());
  webhook = new InjectionWebhook({
    kubeConfig, ca, settings, dnsNames: [SERVICE_NAME], address: '127.0.5.1:0',
    ...(certificateTtlSeconds ? { certificateTtlSeconds } : {}),
  });
  await webhook.start();
  return webhook;
}

/** What the API server does: POST the review over TLS, trusting only the webhook's caBundle and checking the service's DNS name. */
function callWebhook(address: string, caBundle: string, body: unknown): Promise<{ response: AdmissionResponse; peer: X509Certificate }> {
  const [host, port] = address.split(':');
  return new Promise((resolve, reject) => {
    const request = https.request({ host, port: Number(port), method: 'POST', path: '/inject', servername: SERVICE_NAME, ca: caBundle, headers: { 'content-type': 'application/json' }, agent: false }, (response) => {
      const peer = new X509Certificate((response.socket as tls.TLSSocket).getPeerCertificate().raw);
      const chunks: Buffer[] = [];
      response.on('data', (c: Buffer) => chunks.push(c));
      response.on('end', () => resolve({ response: JSON.parse(Buffer.concat(chunks).toString()) as AdmissionResponse, peer }));
    });
    request.on('error', reject);
    request.end(JSON.stringify(body));
  });
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const podReview = (uid: string, object: StoredObject, namespace = 'shop') => ({
  apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview',
  request: { uid, kind: { group: '', version: 'v1', kind: 'Pod' }, resource: { group: '', version: 'v1', resource: 'pods' }, namespace, operation: 'CREATE', object },
});

const pod = (annotations: Record<string, string> = {}): StoredObject => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name: '', generateName: 'reviews-7d9f-', namespace: 'shop', labels: { app: 'reviews' }, annotations },
  spec: { serviceAccountName: 'reviews', containers: [{ name: 'app', image: 'reviews:1' }] },
});

beforeEach(async () => {
  api = await FakeApiServer.start([FAKE_KINDS.namespace, FAKE_KINDS.mutatingWebhookConfiguration]);
  // The configuration as installed: from deploy/kubernetes, without a caBundle.
  api.create(installObjects().find((o) => o.kind === 'MutatingWebhookConfiguration') as unknown as StoredObject);
  api.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { 'trellis-injection': 'enabled' } } });
  ca = await CertificateAuthority.create(await createSelfSignedRoot({ trustDomain: 'cluster.local' }), { trustDomain: 'cluster.local' });
});

afterEach(async () => {
  await webhook?.stop();
  webhook = undefined;
  await api.close();
});

describe('injection webhook over HTTPS', () => {
  it('patches every webhook\'s caBundle with the mesh roots through the API on start', async () => {
    const before = webhookConfiguration()['webhooks'] as { clientConfig: { caBundle?: string } }[];
    expect(before.map((w) => w.clientConfig.caBundle)).toEqual([undefined, undefined]);
    await startWebhook();
    const patch = api.requests.filter((r) => r.method === 'PATCH');
    expect(patch.map((r) => r.path)).toEqual([`/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/${WEBHOOK_CONFIGURATION}`]);
    const after = webhookConfiguration()['webhooks'] as { name: string; clientConfig: { caBundle?: string; service: unknown } }[];
    for (const entry of after) {
      expect(Buffer.from(entry.clientConfig.caBundle!, 'base64').toString()).toBe(joinPem(ca.trustBundlePem()));
      expect(entry.clientConfig.service).toMatchObject({ name: 'trellis-control-plane', path: '/inject' });
    }
  });

  it('answers a Pod AdmissionReview with the injection patch, verified against the patched caBundle', async () => {
    const { address } = await startWebhook();
    const caBundle = Buffer.from((webhookConfiguration()['webhooks'] as { clientConfig: { caBundle: string } }[])[0].clientConfig.caBundle, 'base64').toString();
    const object = pod();
    const { response, peer } = await callWebhook(address, caBundle, podReview('705ab4f5-6393-11e8-b7cc-42010a800002', object));
    expect(peer.subjectAltName).toBe(`DNS:${SERVICE_NAME}`);
    expect(response).toMatchObject({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: '705ab4f5-6393-11e8-b7cc-42010a800002', allowed: true, patchType: 'JSONPatch' } });
    const patched = applyJsonPatch(object, JSON.parse(Buffer.from(response.response.patch!, 'base64').toString()) as []) as StoredObject & { spec: { initContainers: { name: string }[] } };
    expect(patched.spec.initContainers.map((c) => c.name)).toEqual(['trellis-capture', 'trellis-proxy']);
    expect(patched.metadata['annotations']).toMatchObject({ 'sidecar.trellis.dev/ca-roots': caBundle });

    // Reinvoked on the injected pod, or a pod opting out: allowed, nothing to patch.
    for (const [uid, again] of [['reinvoked', patched], ['opted-out', pod({ 'sidecar.trellis.dev/inject': 'false' })]] as const) {
      const answer = (await callWebhook(address, caBundle, podReview(uid, again))).response;
      expect(answer.response).toEqual({ uid, allowed: true });
    }
    // A namespace outside the mesh (the pod-label webhook entry called us): the namespace's labels are read from the API.
    api.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'batch' } });
    expect((await callWebhook(address, caBundle, podReview('other-ns', pod(), 'batch'))).response.response).toEqual({ uid: 'other-ns', allowed: true });
  });

  it('reads namespace labels from its watch of Namespaces, not with a GET per admission', async () => {
    const { address } = await startWebhook();
    const caBundle = joinPem(ca.trustBundlePem());
    const injected = async (uid: string, namespace = 'shop') => (await callWebhook(address, caBundle, podReview(uid, pod(), namespace))).response.response.patch !== undefined;
    await until(() => api.requestCount('/api/v1/namespaces', true) > 0);
    for (let i = 0; i < 5; i++) expect(await injected(`pod-${i}`)).toBe(true);
    expect(api.requestCount('/api/v1/namespaces/shop', false)).toBe(0);
    // A namespace switched off reaches the cache through the watch.
    api.update({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { 'trellis-injection': 'disabled' } } });
    await until(async () => !(await injected('after-update')));
    expect(api.requestCount('/api/v1/namespaces/shop', false)).toBe(0);
  });

  it('refuses a malformed review, and a pod with a malformed exclusion, with the reason', async () => {
    const { address } = await startWebhook();
    const caBundle = joinPem(ca.trustBundlePem());
    expect((await callWebhook(address, caBundle, { kind: 'AdmissionReview' })).response.response).toEqual({
      uid: '', allowed: false, status: { code: 400, message: 'expected an admission.k8s.io/v1 AdmissionReview with request.uid' },
    });
    const bad = pod({ 'traffic.sidecar.trellis.dev/excludeInboundPorts': '80,http' });
    expect((await callWebhook(address, caBundle, podReview('bad', bad))).response.response).toEqual({
      uid: 'bad', allowed: false, status: { code: 400, message: 'trellis sidecar injection: annotation traffic.sidecar.trellis.dev/excludeInboundPorts: "http" is not a port number' },
    });
  });

  it('renews its serving certificate before it expires, without a restart, publishing the roots of a root rotation', async () => {
    const { address } = await startWebhook(3);
    const caBundle = joinPem(ca.trustBundlePem());
    const first = (await callWebhook(address, caBundle, podReview('a', pod()))).peer;
    await ca.beginRootRotation();
    await new Promise((resolve) => setTimeout(resolve, 2600));
    const second = (await callWebhook(address, caBundle, podReview('b', pod()))).peer;
    expect(second.serialNumber).not.toBe(first.serialNumber);
    expect(new Date(second.validTo).getTime()).toBeGreaterThan(new Date(first.validTo).getTime());
    const published = (webhookConfiguration()['webhooks'] as { clientConfig: { caBundle: string } }[]).map((w) => Buffer.from(w.clientConfig.caBundle, 'base64').toString());
    expect(published).toEqual([joinPem(ca.trustBundlePem()), joinPem(ca.trustBundlePem())]);
    expect(ca.trustBundlePem()).toHaveLength(2);
  });
});
