import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { X509Certificate } from 'node:crypto';
import {
  CA_FILES,
  caDirectoryOf,
  CaDirectory,
  CertificateAuthority,
  createIntermediateCa,
  createSelfSignedRoot,
  generateKeyPair,
  initCaDir,
  joinPem,
  loadCaFromDir,
  saveCaToDir,
} from '../src';
import { TRUST_DOMAIN, workload } from './helpers';

describe('CA directory', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'trellis-ca-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('creates a self-signed root once, with a 0600 key, and loads it back', async () => {
    const first = await initCaDir(dir, { trustDomain: TRUST_DOMAIN });
    expect(first.created).toBe(true);
    expect((await fs.stat(path.join(dir, CA_FILES.key))).mode & 0o777).toBe(0o600);
    expect(new X509Certificate(first.signing.certPem).ca).toBe(true);

    const second = await initCaDir(dir, { trustDomain: TRUST_DOMAIN });
    expect(second.created).toBe(false);
    expect(second.signing.certPem).toBe(first.signing.certPem);
    expect(second.rootsPem).toEqual([first.signing.certPem]);
    expect(second.signing.chainPem).toEqual([]);
  });

  it('loads a plugged-in intermediate (Istio cacerts layout) and issues chains to the operator root', async () => {
    const operatorRoot = await createSelfSignedRoot({ trustDomain: TRUST_DOMAIN });
    const otherRoot = await createSelfSignedRoot({ trustDomain: TRUST_DOMAIN });
    const intermediate = await createIntermediateCa(operatorRoot, { trustDomain: TRUST_DOMAIN });
    await fs.writeFile(path.join(dir, CA_FILES.cert), intermediate.certPem);
    await fs.writeFile(path.join(dir, CA_FILES.key), intermediate.keyPem, { mode: 0o600 });
    await fs.writeFile(path.join(dir, CA_FILES.chain), joinPem([intermediate.certPem, operatorRoot.certPem]));
    await fs.writeFile(path.join(dir, CA_FILES.roots), joinPem([operatorRoot.certPem, otherRoot.certPem]));

    const loaded = await loadCaFromDir(dir);
    expect(loaded.signing.chainPem).toEqual([operatorRoot.certPem]);
    const ca = await CertificateAuthority.create(loaded.signing, { trustDomain: TRUST_DOMAIN, additionalRootsPem: loaded.rootsPem });
    expect(ca.trustBundlePem()).toEqual([operatorRoot.certPem, otherRoot.certPem]);
    const issued = await ca.issue((await generateKeyPair()).publicKeyPem, { identity: workload('web') });
    expect(issued.chainPem).toEqual([issued.certPem, intermediate.certPem]);
  });

  it('finds the issuing root in root-cert.pem when cert-chain.pem is absent', async () => {
    const root = await createSelfSignedRoot({ trustDomain: TRUST_DOMAIN });
    const intermediate = await createIntermediateCa(root, { trustDomain: TRUST_DOMAIN });
    await fs.writeFile(path.join(dir, CA_FILES.cert), intermediate.certPem);
    await fs.writeFile(path.join(dir, CA_FILES.key), intermediate.keyPem);
    await fs.writeFile(path.join(dir, CA_FILES.roots), root.certPem);
    expect((await loadCaFromDir(dir)).signing.chainPem).toEqual([root.certPem]);
  });

  it('names the file at fault', async () => {
    const a = await createSelfSignedRoot({ trustDomain: TRUST_DOMAIN });
    const b = await createSelfSignedRoot({ trustDomain: TRUST_DOMAIN });
    await expect(loadCaFromDir(dir)).rejects.toThrow(`${path.join(dir, CA_FILES.cert)}: cannot be read (ENOENT)`);
    await fs.writeFile(path.join(dir, CA_FILES.cert), a.certPem);
    await fs.writeFile(path.join(dir, CA_FILES.key), b.keyPem);
    await fs.writeFile(path.join(dir, CA_FILES.roots), a.certPem);
    await expect(loadCaFromDir(dir)).rejects.toThrow(`${path.join(dir, CA_FILES.key)}: does not match the public key of ca-cert.pem`);
    await fs.writeFile(path.join(dir, CA_FILES.key), a.keyPem);
    await fs.writeFile(path.join(dir, CA_FILES.roots), b.certPem);
    await expect(loadCaFromDir(dir)).rejects.toThrow(`${path.join(dir, CA_FILES.roots)}: does not contain the root`);
    await fs.writeFile(path.join(dir, CA_FILES.roots), 'not pem');
    await expect(loadCaFromDir(dir)).rejects.toThrow(`${path.join(dir, CA_FILES.roots)}: holds no PEM certificate`);
  });

  it('keeps a root rotation in progress across restarts', async () => {
    const open = (d: CaDirectory) => CertificateAuthority.create(d.signing, { trustDomain: TRUST_DOMAIN, additionalRootsPem: d.rootsPem, rootRotation: d.rootRotation });
    let ca = await open(await initCaDir(dir, { trustDomain: TRUST_DOMAIN }));
    const restart = async () => {
      await saveCaToDir(dir, caDirectoryOf(ca));
      ca = await open(await loadCaFromDir(dir));
    };
    const issuedBy = async (rootPem: string) => {
      const issued = await ca.issue((await generateKeyPair()).publicKeyPem, { identity: workload('web') });
      return new X509Certificate(issued.certPem).verify(new X509Certificate(rootPem).publicKey);
    };
    const [oldRoot] = ca.trustBundlePem();

    await ca.beginRootRotation();
    const newRoot = ca.trustBundlePem()[1];
    await restart();
    expect(ca.rootRotationPhase()).toBe('trusting-new-root');
    expect(ca.trustBundlePem()).toEqual([oldRoot, newRoot]);
    expect(await issuedBy(oldRoot)).toBe(true);
    expect((await fs.stat(path.join(dir, CA_FILES.nextDir, CA_FILES.key))).mode & 0o777).toBe(0o600);

    ca.switchToNewRoot();
    await restart();
    expect(ca.rootRotationPhase()).toBe('issuing-from-new-root');
    expect(ca.trustBundlePem()).toEqual([newRoot, oldRoot]);
    expect(await issuedBy(newRoot)).toBe(true);

    ca.retireOldRoot();
    await restart();
    expect(ca.rootRotationPhase()).toBe('steady');
    expect(ca.trustBundlePem()).toEqual([newRoot]);
    expect(await fs.readdir(dir)).toEqual([CA_FILES.cert, CA_FILES.key, CA_FILES.chain, CA_FILES.roots].sort());
  });

  it('refuses to overwrite a lone key', async () => {
    await fs.writeFile(path.join(dir, CA_FILES.key), 'secret');
    await expect(initCaDir(dir, { trustDomain: TRUST_DOMAIN })).rejects.toThrow(/refusing to overwrite a key/);
  });
});
