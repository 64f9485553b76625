import { createPrivateKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import {
  CertificateAuthority,
  CLOCK_SKEW_MS,
  createCsr,
  createIntermediateCa,
  createSelfSignedRoot,
  CsrError,
  generateKeyPair,
  IdentityMismatchError,
  InvalidRequestError,
  IssuerNotValidError,
  KeyAlgorithm,
  verifySpiffePeer,
} from '../src';
import { toWebSigningKey } from '../src/keys';
import { credentialsFor, makeCa, TRUST_DOMAIN, workload } from './helpers';

const HOUR = 3600;
const EXT = { basicConstraints: '2.5.29.19', keyUsage: '2.5.29.15', extKeyUsage: '2.5.29.37', san: '2.5.29.17', ski: '2.5.29.14', aki: '2.5.29.35' };

/** Asserts every X.509-SVID rule we promise on one issued leaf. */
function expectSvid(leafPem: string, issuerPem: string, spiffeId: string, keyAlgorithm: KeyAlgorithm): void {
  const leaf = new X509Certificate(leafPem);
  const issuer = new X509Certificate(issuerPem);
  expect(leaf.verify(issuer.publicKey)).toBe(true);
  expect(leaf.checkIssued(issuer)).toBe(true);
  expect(leaf.subjectAltName).toBe(`URI:${spiffeId}`); // exactly one SAN, a URI
  expect(leaf.ca).toBe(false);
  expect(leaf.keyUsage?.sort()).toEqual(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']); // serverAuth + clientAuth
  expect(BigInt('0x' + leaf.serialNumber) >= 2n ** 63n).toBe(true); // ≥ 64 random bits, positive
  if (keyAlgorithm === 'ecdsa-p256') expect(leaf.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
  else expect(leaf.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);

  const parsed = new x509.X509Certificate(leafPem);
  const ext = (oid: string) => {
    const found = parsed.extensions.filter((e) => e.type === oid);
    expect(found).toHaveLength(1);
    return found[0];
  };
  const basic = new x509.BasicConstraintsExtension(ext(EXT.basicConstraints).rawData);
  expect([basic.ca, basic.critical]).toEqual([false, true]);
  const keyUsage = new x509.KeyUsagesExtension(ext(EXT.keyUsage).rawData);
  const expectedUsage = x509.KeyUsageFlags.digitalSignature | (keyAlgorithm === 'rsa-2048' ? x509.KeyUsageFlags.keyEncipherment : 0);
  expect([keyUsage.usages, keyUsage.critical]).toEqual([expectedUsage, true]);
  expect(new x509.SubjectAlternativeNameExtension(ext(EXT.san).rawData).critical).toBe(true); // subject is empty
  expect(parsed.subject).toBe('');
  const ski = new x509.SubjectKeyIdentifierExtension(ext(EXT.ski).rawData).keyId;
  const aki = new x509.AuthorityKeyIdentifierExtension(ext(EXT.aki).rawData).keyId;
  const issuerSki = new x509.X509Certificate(issuerPem).getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
  expect(ski).toMatch(/^[0-9a-f]{40}$/);
  expect(aki).toBe(issuerSki);
}

describe('X.509-SVID issuance', () => {
  let root: Awaited<ReturnType<typeof createSelfSignedRoot>>;
  let ca: CertificateAuthority;
  beforeAll(async () => {
    root = await createSelfSignedRoot({ trustDomain: TRUST_DOMAIN });
    ca = await CertificateAuthority.create(root, { trustDomain: TRUST_DOMAIN });
  });

  it.each<KeyAlgorithm>(['ecdsa-p256', 'rsa-2048'])('issues a valid X.509-SVID from a %s CSR', async (keyAlgorithm) => {
    const key = await generateKeyPair(keyAlgorithm);
    const before = Date.now();
    const issued = await ca.signCsr(await createCsr(key.privateKeyPem, workload('web')), workload('web'), { ttlSeconds: 2 * HOUR });
    expect(issued.spiffeId).toBe('spiffe://cluster.local/ns/default/sa/web');
    expect(issued.chainPem).toEqual([issued.certPem]); // signed by the root itself: no intermediates to send
    expect(issued.trustBundlePem).toEqual([root.certPem]);
    expectSvid(issued.certPem, root.certPem, issued.spiffeId, keyAlgorithm);
    const leaf = new X509Certificate(issued.certPem);
    expect(leaf.checkPrivateKey(createPrivateKey(key.privateKeyPem))).toBe(true);
    // notBefore = now − 2 min (clock skew), notAfter = now + TTL; X.509 keeps whole seconds.
    expect(Math.abs(Date.parse(leaf.validFrom) - (before - CLOCK_SKEW_MS))).toBeLessThan(2000);
    expect(Math.abs(Date.parse(leaf.validTo) - (before + 2 * HOUR * 1000))).toBeLessThan(2000);
  });

  it('defaults to a 24 h TTL and gives every certificate its own serial', async () => {
    const key = await generateKeyPair();
    const a = await ca.issue(key.publicKeyPem, { identity: workload('a') });
    const b = await ca.issue(key.publicKeyPem, { identity: workload('a') });
    expect(a.notAfter.getTime() - a.notBefore.getTime()).toBe(24 * HOUR * 1000 + CLOCK_SKEW_MS);
    expect(new X509Certificate(a.certPem).serialNumber).not.toBe(new X509Certificate(b.certPem).serialNumber);
  });

  it('takes the SAN from the authenticated identity and ignores the CSR subject and other names', async () => {
    const key = await generateKeyPair();
    const signer = await toWebSigningKey(createPrivateKey(key.privateKeyPem), 'test key');
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({
      name: 'CN=admin, O=evil',
      keys: { privateKey: signer.key, publicKey: signer.publicKey },
      signingAlgorithm: signer.signingAlgorithm,
      extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: 'kubernetes.default' }])],
    });
    const issued = await ca.signCsr(csr.toString('pem'), workload('web'));
    const leaf = new X509Certificate(issued.certPem);
    expect(leaf.subject).toBeUndefined(); // Node's view of an empty subject
    expect(leaf.subjectAltName).toBe('URI:spiffe://cluster.local/ns/default/sa/web');
  });

  it('refuses a CSR asking for another identity, naming both', async () => {
    const key = await generateKeyPair();
    const csr = await createCsr(key.privateKeyPem, workload('admin', 'kube-system'));
    await expect(ca.signCsr(csr, workload('web'))).rejects.toThrow(IdentityMismatchError);
    await expect(ca.signCsr(csr, workload('web'))).rejects.toThrow(
      'CSR requests identity spiffe://cluster.local/ns/kube-system/sa/admin but the caller is authenticated as spiffe://cluster.local/ns/default/sa/web',
    );
  });

  it('refuses an identity from another trust domain', async () => {
    const key = await generateKeyPair();
    await expect(ca.issue(key.publicKeyPem, { identity: workload('web', 'default', 'other.org') })).rejects.toThrow(/not in this CA's trust domain "cluster.local"/);
  });

  it('refuses malformed CSRs, bad signatures and weak keys with CsrError', async () => {
    await expect(ca.signCsr('hello', workload('web'))).rejects.toThrow(CsrError);
    await expect(ca.signCsr('-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n', workload('web'))).rejects.toThrow(/cannot be parsed/);

    const key = await generateKeyPair();
    const der = Buffer.from((await createCsr(key.privateKeyPem)).replace(/-----[^-]+-----|\s/g, ''), 'base64');
    der[der.length - 1] ^= 0x01; // corrupt the signature: no proof of possession
    const tampered = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
    await expect(ca.signCsr(tampered, workload('web'))).rejects.toThrow(/signature does not verify|signature cannot be checked/);

    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    await expect(ca.signCsr(await createCsr(weak), workload('web'))).rejects.toThrow(/rsa \(1024 bits\) is not accepted/);
  });

  it('refuses weak or unreadable public keys given directly', async () => {
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey;
    await expect(ca.issue(weak, { identity: workload('web') })).rejects.toThrow(InvalidRequestError);
    await expect(ca.issue(weak, { identity: workload('web') })).rejects.toThrow('public key rsa (1024 bits) is not accepted');
    await expect(ca.issue('not a key', { identity: workload('web') })).rejects.toThrow(/^workload public key: not a valid PEM public key/);
  });

  it('rejects a negative TTL and shortens one above the maximum', async () => {
    const key = await generateKeyPair();
    await expect(ca.issue(key.publicKeyPem, { identity: workload('a'), ttlSeconds: -5 })).rejects.toThrow(/ttlSeconds: must be a positive/);
    const issued = await ca.issue(key.publicKeyPem, { identity: workload('a'), ttlSeconds: 365 * 24 * HOUR });
    expect(issued.notAfter.getTime() - issued.notBefore.getTime()).toBe(7 * 24 * HOUR * 1000 + CLOCK_SKEW_MS);
  });
});

describe('issuer validity', () => {
  it('never lets a leaf outlive its issuer', async () => {
    const root = await createSelfSignedRoot({ trustDomain: TRUST_DOMAIN, ttlSeconds: HOUR });
    const ca = await CertificateAuthority.create(root, { trustDomain: TRUST_DOMAIN });
    const key = await generateKeyPair();
    const issued = await ca.issue(key.publicKeyPem, { identity: workload('web'), ttlSeconds: 24 * HOUR });
    expect(issued.notAfter.toISOString()).toBe(new Date(new X509Certificate(root.certPem).validTo).toISOString());
  });

  it('clamps to the shortest-lived certificate above the leaf, intermediate included', async () => {
    const root = await createSelfSignedRoot({ trustDomain: TRUST_DOMAIN });
    const intermediate = await createIntermediateCa(root, { trustDomain: TRUST_DOMAIN, ttlSeconds: 2 * HOUR });
    const ca = await CertificateAuthority.create(intermediate, { trustDomain: TRUST_DOMAIN });
    const key = await generateKeyPair();
    const issued = await ca.issue(key.publicKeyPem, { identity: workload('web'), ttlSeconds: 24 * HOUR });
    expect(issued.notAfter.toISOString()).toBe(new Date(new X509Certificate(intermediate.certPem).validTo).toISOString());
    expect(issued.chainPem).toEqual([issued.certPem, intermediate.certPem]);
    expect(ca.trustBundlePem()).toEqual([root.certPem]);
    expectSvid(issued.certPem, intermediate.certPem, issued.spiffeId, 'ecdsa-p256');
  });

  it('refuses to sign with an expired issuer', async () => {
    const twoDaysAgo = new Date(Date.now() - 48 * HOUR * 1000);
    const root = await createSelfSignedRoot({ trustDomain: TRUST_DOMAIN, ttlSeconds: 24 * HOUR, now: twoDaysAgo });
    const ca = await CertificateAuthority.create(root, { trustDomain: TRUST_DOMAIN });
    const key = await generateKeyPair();
    await expect(ca.issue(key.publicKeyPem, { identity: workload('web') })).rejects.toThrow(IssuerNotValidError);
    await expect(ca.issue(key.publicKeyPem, { identity: workload('web') })).rejects.toThrow(/expired at .*refusing to sign/);
  });

  it('refuses to sign with a not-yet-valid issuer', async () => {
    const tomorrow = new Date(Date.now() + 24 * HOUR * 1000);
    const root = await createSelfSignedRoot({ trustDomain: TRUST_DOMAIN, now: tomorrow });
    const ca = await CertificateAuthority.create(root, { trustDomain: TRUST_DOMAIN });
    const key = await generateKeyPair();
    await expect(ca.issue(key.publicKeyPem, { identity: workload('web') })).rejects.toThrow(/is not valid before .*refusing to sign/);
  });

  it('refuses a key that does not match the CA certificate', async () => {
    const a = await createSelfSignedRoot({ trustDomain: TRUST_DOMAIN });
    const b = await createSelfSignedRoot({ trustDomain: TRUST_DOMAIN });
    await expect(CertificateAuthority.create({ ...a, keyPem: b.keyPem }, { trustDomain: TRUST_DOMAIN })).rejects.toThrow(
      'signing CA keyPem: does not match the public key of certPem',
    );
  });
});

describe('root rotation', () => {
  it('trusts old + new, then issues from new, then retires old', async () => {
    const ca = await makeCa();
    const key = await generateKeyPair();
    const [oldRoot] = ca.trustBundlePem();
    const issuerOf = async () => (await ca.issue(key.publicKeyPem, { identity: workload('a') })).certPem;

    await ca.beginRootRotation();
    expect(ca.rootRotationPhase()).toBe('trusting-new-root');
    const [, newRoot] = ca.trustBundlePem();
    expect(ca.trustBundlePem()).toHaveLength(2);
    expect(new X509Certificate(await issuerOf()).verify(new X509Certificate(oldRoot).publicKey)).toBe(true);

    ca.switchToNewRoot();
    expect(ca.trustBundlePem()).toEqual([oldRoot, newRoot]);
    expect(new X509Certificate(await issuerOf()).verify(new X509Certificate(newRoot).publicKey)).toBe(true);

    ca.retireOldRoot();
    expect(ca.rootRotationPhase()).toBe('steady');
    expect(ca.trustBundlePem()).toEqual([newRoot]);
    expect(() => ca.retireOldRoot()).toThrow('retireOldRoot: root rotation is in phase "steady", expected "issuing-from-new-root"');
  });
});

describe('a leaf whose path the TLS handshake verified out of our sight', () => {
  it('is accepted only when the handshake vouches for the path, and still gets every SPIFFE check', async () => {
    const root = await createSelfSignedRoot({ trustDomain: TRUST_DOMAIN });
    const ica = await CertificateAuthority.create(await createIntermediateCa(root, { trustDomain: TRUST_DOMAIN }), { trustDomain: TRUST_DOMAIN });
    const leafOnly = [(await credentialsFor(ica, workload('web'))).chainPem[0]!];
    expect(verifySpiffePeer(leafOnly, [root.certPem])).toMatchObject({ ok: false, code: 'untrusted' });
    expect(verifySpiffePeer(leafOnly, [root.certPem], { pathVerifiedByHandshake: true })).toMatchObject({ ok: true, spiffeId: 'spiffe://cluster.local/ns/default/sa/web' });
    expect(verifySpiffePeer(leafOnly, [root.certPem], { pathVerifiedByHandshake: true, expectedIds: ['spiffe://cluster.local/ns/default/sa/db'] })).toMatchObject({ ok: false, code: 'unexpected-identity' });
  });
});
