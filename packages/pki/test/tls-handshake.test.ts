import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { CertificateAuthority, createIntermediateCa, createSelfSignedRoot, generateKeyPair, verifySpiffePeer, WorkloadCredentials } from '../src';
import { toWebSigningKey } from '../src/keys';
import { credentialsFor, makeCa, TRUST_DOMAIN, workload } from './helpers';
import { exchange } from './tls-peer';

const HOUR_MS = 3600 * 1000;

describe('SPIFFE mTLS in a real handshake', () => {
  let ca: CertificateAuthority;
  let web: WorkloadCredentials;
  let db: WorkloadCredentials;
  beforeAll(async () => {
    ca = await makeCa();
    [web, db] = await Promise.all([credentialsFor(ca, workload('web')), credentialsFor(ca, workload('db'))]);
  });

  it('accepts a peer of the same mesh with the expected identity, both ways', async () => {
    const result = await exchange(db, web, {
      client: { expectedIds: ['spiffe://cluster.local/ns/default/sa/db'], trustDomain: TRUST_DOMAIN },
      server: { trustDomain: TRUST_DOMAIN },
    });
    expect(result.ok).toBe(true);
    expect(result.serverVerdict).toMatchObject({ ok: true, spiffeId: 'spiffe://cluster.local/ns/default/sa/web', workload: workload('web') });
  });

  it('accepts a chain through an intermediate when only the root is trusted', async () => {
    const root = await createSelfSignedRoot({ trustDomain: TRUST_DOMAIN });
    const intermediateCa = await CertificateAuthority.create(await createIntermediateCa(root, { trustDomain: TRUST_DOMAIN }), { trustDomain: TRUST_DOMAIN });
    const [server, client] = await Promise.all([credentialsFor(intermediateCa, workload('db')), credentialsFor(intermediateCa, workload('web'))]);
    expect(server.chainPem).toHaveLength(2);
    expect(server.bundlePem).toEqual([root.certPem]);
    expect((await exchange(server, client)).ok).toBe(true);
  });

  it('client rejects a server with an unexpected SPIFFE ID', async () => {
    const result = await exchange(web, db, { client: { expectedIds: ['spiffe://cluster.local/ns/default/sa/db'] } });
    expect(result.ok).toBe(false);
    expect(result.clientError?.message).toMatch(
      'server rejected: peer spiffe://cluster.local/ns/default/sa/web is not one of the expected identities: spiffe://cluster.local/ns/default/sa/db',
    );
  });

  it('server rejects a client with an unexpected SPIFFE ID', async () => {
    const result = await exchange(db, web, { server: { expectedIds: ['spiffe://cluster.local/ns/default/sa/api'] } });
    expect(result.ok).toBe(false);
    expect(result.serverVerdict).toMatchObject({ ok: false, code: 'unexpected-identity' });
  });

  it('rejects a peer from another trust domain even when its root is trusted (federated bundle)', async () => {
    const otherCa = await makeCa({ trustDomain: 'other.org' });
    const foreign = await credentialsFor(otherCa, workload('db', 'default', 'other.org'));
    const federated = [...web.bundlePem, ...foreign.bundlePem];
    const result = await exchange({ ...foreign, bundlePem: federated }, { ...web, bundlePem: federated }, { client: { trustDomain: TRUST_DOMAIN } });
    expect(result.ok).toBe(false);
    expect(result.clientError?.message).toMatch('peer spiffe://other.org/ns/default/sa/db is in trust domain "other.org", expected "cluster.local"');
  });

  it('rejects a server issued by another CA (root not in the bundle)', async () => {
    const impostor = await credentialsFor(await makeCa(), workload('db'));
    const result = await exchange(impostor, web);
    expect(result.ok).toBe(false);
    expect(result.clientError?.code).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT|SELF_SIGNED_CERT_IN_CHAIN/);
  });

  it('server rejects a client issued by another CA', async () => {
    const impostor = await credentialsFor(await makeCa(), workload('web'));
    const result = await exchange(db, { ...impostor, bundlePem: db.bundlePem });
    expect(result.ok).toBe(false);
    expect(result.serverVerdict).toBeUndefined(); // refused inside the handshake
  });

  it('rejects an expired server certificate', async () => {
    const past = new Date(Date.now() - 48 * HOUR_MS);
    const root = await createSelfSignedRoot({ trustDomain: TRUST_DOMAIN, now: past });
    const pastCa = await makeCa({ root, clock: () => past });
    const expired = await credentialsFor(pastCa, workload('db'), { ttlSeconds: 3600 });
    const result = await exchange(expired, { ...web, bundlePem: expired.bundlePem });
    expect(result.ok).toBe(false);
    expect(result.clientError?.code).toBe('CERT_HAS_EXPIRED');
    expect(verifySpiffePeer(expired.chainPem, expired.bundlePem)).toMatchObject({ ok: false, code: 'expired' });
  });

  it('rejects a not-yet-valid server certificate', async () => {
    const future = new Date(Date.now() + 24 * HOUR_MS);
    const futureCa = await makeCa({ root: await createSelfSignedRoot({ trustDomain: TRUST_DOMAIN }), clock: () => future });
    const early = await credentialsFor(futureCa, workload('db'));
    const result = await exchange(early, { ...web, bundlePem: early.bundlePem });
    expect(result.ok).toBe(false);
    expect(result.clientError?.code).toBe('CERT_NOT_YET_VALID');
    expect(verifySpiffePeer(early.chainPem, early.bundlePem)).toMatchObject({ ok: false, code: 'not-yet-valid' });
  });
});

describe('verifySpiffePeer', () => {
  let ca: CertificateAuthority;
  let web: WorkloadCredentials;
  beforeAll(async () => {
    ca = await makeCa();
    web = await credentialsFor(ca, workload('web'), { ttlSeconds: 3600 });
  });

  it('returns the identity and expiry of a good peer', () => {
    const result = verifySpiffePeer(web.chainPem, web.bundlePem, { trustDomain: TRUST_DOMAIN });
    expect(result).toEqual({
      ok: true,
      spiffeId: 'spiffe://cluster.local/ns/default/sa/web',
      trustDomain: TRUST_DOMAIN,
      workload: workload('web'),
      notAfter: new Date(new X509Certificate(web.chainPem[0]).validTo),
    });
  });

  it('checks validity windows at the given instant', () => {
    const leaf = new X509Certificate(web.chainPem[0]);
    expect(verifySpiffePeer(web.chainPem, web.bundlePem, { now: new Date(Date.parse(leaf.validTo) + 1000) })).toMatchObject({ code: 'expired' });
    expect(verifySpiffePeer(web.chainPem, web.bundlePem, { now: new Date(Date.parse(leaf.validFrom) - 1000) })).toMatchObject({ code: 'not-yet-valid' });
  });

  it('rejects a CA certificate presented as a peer, an empty chain, and garbage', () => {
    expect(verifySpiffePeer(web.bundlePem, web.bundlePem)).toMatchObject({ ok: false, code: 'not-a-leaf' });
    expect(verifySpiffePeer([], web.bundlePem)).toMatchObject({ ok: false, code: 'empty-chain' });
    expect(verifySpiffePeer('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', web.bundlePem)).toMatchObject({ ok: false, code: 'malformed' });
    expect(verifySpiffePeer([Buffer.from('nope')], web.bundlePem)).toMatchObject({ ok: false, code: 'malformed', reason: expect.stringMatching(/peer chain \[0\]: not a valid DER/) });
  });

  it('rejects a peer whose root is not in the bundle', async () => {
    const other = await makeCa();
    expect(verifySpiffePeer(web.chainPem, other.trustBundlePem())).toMatchObject({ ok: false, code: 'untrusted' });
  });
});

describe('verifySpiffePeer SAN rules (leaves our CA would never issue)', () => {
  /** Signs a leaf with arbitrary SANs directly with the root key, bypassing the CA's rules. */
  async function leafWithSans(names: { type: 'url' | 'dns'; value: string }[]): Promise<{ chainPem: string[]; bundlePem: string[] }> {
    const root = await createSelfSignedRoot({ trustDomain: TRUST_DOMAIN });
    const signer = await toWebSigningKey(createPrivateKey(root.keyPem), 'root key');
    const leafKey = await generateKeyPair();
    const leaf = await x509.X509CertificateGenerator.create({
      serialNumber: '4a01',
      subject: 'CN=leaf',
      issuer: new x509.X509Certificate(root.certPem).subjectName,
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 3600_000),
      publicKey: new x509.PublicKey(createPublicKey(leafKey.publicKeyPem).export({ type: 'spki', format: 'der' })),
      signingKey: signer.key,
      signingAlgorithm: signer.signingAlgorithm,
      extensions: [new x509.BasicConstraintsExtension(false, undefined, true), new x509.SubjectAlternativeNameExtension(names)],
    });
    return { chainPem: [leaf.toString('pem')], bundlePem: [root.certPem] };
  }

  it.each([
    ['two URI SANs', [{ type: 'url', value: 'spiffe://cluster.local/ns/a/sa/b' }, { type: 'url', value: 'spiffe://cluster.local/ns/a/sa/c' }], /has 2 URI SANs/],
    ['no URI SAN', [{ type: 'dns', value: 'web.default.svc' }], /has 0 URI SANs/],
    ['a non-SPIFFE URI', [{ type: 'url', value: 'https://cluster.local/ns/a/sa/b' }], /not a valid SPIFFE ID/],
    ['an invalid SPIFFE ID', [{ type: 'url', value: 'spiffe://cluster.local/ns/../sa/b' }], /not a valid SPIFFE ID/],
  ] as const)('rejects a leaf with %s', async (_label, names, reason) => {
    const { chainPem, bundlePem } = await leafWithSans([...names]);
    expect(verifySpiffePeer(chainPem, bundlePem)).toMatchObject({ ok: false, code: 'bad-san', reason: expect.stringMatching(reason) });
  });

  it('accepts a DNS SAN beside the one SPIFFE ID', async () => {
    const { chainPem, bundlePem } = await leafWithSans([
      { type: 'dns', value: 'web.default.svc' },
      { type: 'url', value: 'spiffe://cluster.local/ns/default/sa/web' },
    ]);
    expect(verifySpiffePeer(chainPem, bundlePem)).toMatchObject({ ok: true, spiffeId: 'spiffe://cluster.local/ns/default/sa/web' });
  });
});
