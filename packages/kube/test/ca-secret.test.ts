/** @jest-environment ./packages/kube/test/kube-environment.js */
jest.mock('@kubernetes/client-node', () => (globalThis as { __clientNode?: unknown }).__clientNode);

import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ControlPlane } from '@trellis/control-plane';
import { CertificateAuthority, createIntermediateCa, createSelfSignedRoot, generateKeyPair, joinPem } from '@trellis/pki';
import { SecretCaStore } from '../src/identity/ca-secret';
import { k8s } from '../src/source/client-node';
import { FAKE_KINDS, FakeApiServer, type StoredObject } from './fake-apiserver';

const TRUST_DOMAIN = 'cluster.local';
let api: FakeApiServer;
const logged: string[] = [];

function store(): SecretCaStore {
  const kubeConfig = new k8s.KubeConfig();
  kubeConfig.loadFromString(api.kubeConfigYaml());
  return new SecretCaStore({
    kubeConfig, namespace: 'trellis-system', trustDomain: TRUST_DOMAIN, backoff: { initialMs: 20, maxMs: 200 }, log: (event, fields) => logged.push(`${event} ${JSON.stringify(fields)}`),
  });
}

const secretData = (object: StoredObject | undefined) => Object.fromEntries(Object.entries((object?.data ?? {}) as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
const secret = (name: string) => api.get(FAKE_KINDS.secret, 'trellis-system', name);

beforeEach(async () => {
  api = await FakeApiServer.start([FAKE_KINDS.secret]);
  logged.length = 0;
});
afterEach(() => api.close());

describe('CA root kept in a Secret', () => {
  it('creates the self-signed root once and reuses it on the next start', async () => {
    const first = await store().load();
    const created = secret('trellis-ca');
    expect(created?.type).toBe('trellis.dev/ca-root');
    expect(Object.keys(secretData(created)).sort()).toEqual(['ca-cert.pem', 'ca-key.pem', 'cert-chain.pem', 'root-cert.pem']);
    expect(new X509Certificate(first.signing.certPem).ca).toBe(true);

    const again = await store().load();
    expect(again.signing.certPem).toBe(first.signing.certPem);
    expect(api.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
    // The key is in the Secret and nowhere in what was logged.
    expect(logged.join('\n')).not.toContain('PRIVATE KEY');
    expect(logged).toEqual([
      'CA created {"secret":"trellis-system/trellis-ca"}',
    ]);
  });

  it('two replicas starting together agree on one root (the create conflict is handled)', async () => {
    const [a, b] = await Promise.all([store().load(), store().load()]);
    expect(a.signing.certPem).toBe(b.signing.certPem);
    expect(a.rootsPem).toEqual(b.rootsPem);
    expect(logged.sort()).toEqual(['CA created {"secret":"trellis-system/trellis-ca"}', 'CA loaded {"secret":"trellis-system/trellis-ca","createdBy":"another replica"}']);
  });

  it('prefers a plugged-in cacerts Secret (an intermediate under the operator\'s root) and signs with it', async () => {
    const root = await createSelfSignedRoot({ trustDomain: TRUST_DOMAIN });
    const intermediate = await createIntermediateCa(root, { trustDomain: TRUST_DOMAIN });
    const data = {
      'ca-cert.pem': intermediate.certPem, 'ca-key.pem': intermediate.keyPem,
      'cert-chain.pem': joinPem([intermediate.certPem, root.certPem]), 'root-cert.pem': root.certPem,
    };
    api.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'cacerts', namespace: 'trellis-system' }, data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])) });
    const cacerts = store();
    const loaded = await cacerts.load();
    expect(loaded.signing.certPem).toBe(intermediate.certPem);
    expect(loaded.rootsPem).toEqual([root.certPem]);
    expect(secret('trellis-ca')).toBeUndefined();

    const ca = await CertificateAuthority.create(loaded.signing, { trustDomain: TRUST_DOMAIN, additionalRootsPem: loaded.rootsPem });
    const issued = await ca.issue((await generateKeyPair()).publicKeyPem, { identity: { trustDomain: TRUST_DOMAIN, namespace: 'shop', serviceAccount: 'reviews' } });
    expect(new X509Certificate(issued.certPem).verify(new X509Certificate(intermediate.certPem).publicKey)).toBe(true);
    await expect(cacerts.save(loaded)).rejects.toThrow('the CA is plugged in through Secret trellis-system/cacerts: rotate it by replacing that Secret');
  });

  it('names the Secret and key of a broken plugged-in CA, never the key itself', async () => {
    const root = await createSelfSignedRoot({ trustDomain: TRUST_DOMAIN });
    const other = await createSelfSignedRoot({ trustDomain: TRUST_DOMAIN });
    const data = { 'ca-cert.pem': root.certPem, 'ca-key.pem': other.keyPem, 'root-cert.pem': root.certPem };
    api.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'cacerts', namespace: 'trellis-system' }, data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])) });
    const error = await store().load().then(() => undefined, (e: Error) => e);
    expect(error?.message).toBe('Secret trellis-system/cacerts key ca-key.pem: does not match the public key of ca-cert.pem');
  });

  it('keeps a root rotation step in the Secret, so a restart resumes it', async () => {
    const ours = store();
    const loaded = await ours.load();
    const ca = await CertificateAuthority.create(loaded.signing, { trustDomain: TRUST_DOMAIN, additionalRootsPem: loaded.rootsPem });
    await ca.beginRootRotation();
    await ours.save({ signing: ca.signingCa(), rootsPem: ca.trustBundlePem(), rootRotation: ca.rootRotationState() });
    expect(Object.keys(secretData(secret('trellis-ca')))).toContain('next-ca-cert.pem');

    const resumed = await store().load();
    expect(resumed.rootRotation?.next?.certPem).toBe(ca.rootRotationState().next?.certPem);
    expect(resumed.rootsPem).toHaveLength(2);
  });
});

describe('control-plane replicas sharing the CA Secret', () => {
  const dirs: string[] = [];
  const replicas: ControlPlane[] = [];
  afterEach(async () => {
    for (const replica of replicas.splice(0)) await replica.stop();
    for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });

  async function replica(): Promise<ControlPlane> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-ca-replica-'));
    dirs.push(dir);
    fs.mkdirSync(path.join(dir, 'config'));
    const cp = new ControlPlane({
      configDir: path.join(dir, 'config'), stateDir: path.join(dir, 'state'), caStore: store(), trustDomain: TRUST_DOMAIN,
      xdsAddress: '127.0.7.3:0', caAddress: '127.0.7.3:0', adminAddress: '127.0.7.3:0',
    });
    replicas.push(cp);
    await cp.start();
    return cp;
  }

  async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) throw new Error('timed out');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256;
  const rootsOf = (cp: ControlPlane) => cp.certificateAuthority.trustBundlePem().map(fingerprint).sort();
  const signerOf = (cp: ControlPlane) => fingerprint(cp.certificateAuthority.signingCa().certPem);
  const inStep = (a: ControlPlane, b: ControlPlane) => signerOf(a) === signerOf(b) && rootsOf(a).join() === rootsOf(b).join()
    && a.certificateAuthority.rootRotationPhase() === b.certificateAuthority.rootRotationPhase();

  it('a root rotation one replica saves is followed by the other through its watch, without a restart', async () => {
    const [a, b] = [await replica(), await replica()];
    const oldRoot = signerOf(a);
    expect(signerOf(b)).toBe(oldRoot);

    await a.rotateRoot('begin');
    await until(() => inStep(a, b));
    expect(b.certificateAuthority.rootRotationPhase()).toBe('trusting-new-root');
    expect(rootsOf(b)).toHaveLength(2);
    // Its proxies' bootstrap roots follow too.
    expect(fs.readFileSync(path.join(path.dirname(b.bootstrapFile), 'root-cert.pem'), 'utf8')).toBe(b.trustBundlePem());

    await a.rotateRoot('switch');
    await until(() => inStep(a, b));
    expect(signerOf(b)).not.toBe(oldRoot);
    // B now signs from the new root.
    const issued = await b.certificateAuthority.issue((await generateKeyPair()).publicKeyPem, { identity: { trustDomain: TRUST_DOMAIN, namespace: 'shop', serviceAccount: 'reviews' } });
    expect(new X509Certificate(issued.certPem).verify(new X509Certificate(a.certificateAuthority.signingCa().certPem).publicKey)).toBe(true);

    await a.rotateRoot('retire');
    await until(() => inStep(a, b));
    expect(rootsOf(b)).toEqual([signerOf(a)]);

    // B took the latest version along: its own next step saves without a conflict, and A follows it.
    await b.rotateRoot('begin');
    await until(() => inStep(a, b));
    expect(a.certificateAuthority.rootRotationPhase()).toBe('trusting-new-root');
  });

  it('a replica that missed steps (several saved while its watch was down) catches up in one go', async () => {
    const b = await replica();
    // The whole rotation lands as one new version of the Secret.
    const writer = store();
    const loaded = await writer.load();
    const ca = await CertificateAuthority.create(loaded.signing, { trustDomain: TRUST_DOMAIN, additionalRootsPem: loaded.rootsPem });
    await ca.beginRootRotation();
    ca.switchToNewRoot();
    ca.retireOldRoot();
    await writer.save({ signing: ca.signingCa(), rootsPem: ca.trustBundlePem(), rootRotation: ca.rootRotationState() });
    await until(() => signerOf(b) === fingerprint(ca.signingCa().certPem));
    expect(b.certificateAuthority.rootRotationPhase()).toBe('steady');
    expect(rootsOf(b)).toEqual([fingerprint(ca.signingCa().certPem)]);
  });
});
