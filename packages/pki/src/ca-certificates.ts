// CA certificates: a self-signed root, and intermediates under any signing CA (for operators
// who keep the root offline, and for tests of chains).
import { createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { generateKeyPair, KeyAlgorithm, toWebSigningKey } from './keys';
import { CLOCK_SKEW_MS, Issuer, randomSerialHex, SigningCa, toPeculiarPublicKey } from './issuer';
import { validateTrustDomain } from './spiffe-id';

export interface CaCertificateOptions {
  trustDomain: string;
  /** Default 'ecdsa-p256'. */
  keyAlgorithm?: KeyAlgorithm;
  /** Default 10 years for a root, 1 year for an intermediate. */
  ttlSeconds?: number;
  /** Issuance instant; default now. */
  now?: Date;
}

const YEAR_SECONDS = 365 * 24 * 3600;

export function checkTtlSeconds(ttlSeconds: number, what: string): number {
  if (!Number.isFinite(ttlSeconds) || ttlSeconds <= 0) {
    throw new Error(`${what}: must be a positive number of seconds (got ${String(ttlSeconds)})`);
  }
  return ttlSeconds;
}

function caName(trustDomain: string, kind: string): string {
  // The random suffix keeps old and new roots apart by name during a root rotation.
  return `O=${trustDomain}, CN=Trellis ${kind} ${randomBytes(4).toString('hex')}`;
}

function caExtensions(pathLength: number | undefined): x509.Extension[] {
  return [
    new x509.BasicConstraintsExtension(true, pathLength, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
  ];
}

export async function createSelfSignedRoot(options: CaCertificateOptions): Promise<SigningCa> {
  validateTrustDomain(options.trustDomain);
  const ttlSeconds = checkTtlSeconds(options.ttlSeconds ?? 10 * YEAR_SECONDS, 'root ttlSeconds');
  const now = options.now ?? new Date();
  const { privateKeyPem } = await generateKeyPair(options.keyAlgorithm ?? 'ecdsa-p256');
  const keys = await toWebSigningKey(createPrivateKey(privateKeyPem), 'root key');
  const name = caName(options.trustDomain, 'Root CA');
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerialHex(),
    name,
    notBefore: new Date(now.getTime() - CLOCK_SKEW_MS),
    notAfter: new Date(now.getTime() + ttlSeconds * 1000),
    keys: { privateKey: keys.key, publicKey: keys.publicKey },
    signingAlgorithm: keys.signingAlgorithm,
    extensions: [...caExtensions(undefined), await x509.SubjectKeyIdentifierExtension.create(keys.publicKey)],
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: privateKeyPem, chainPem: [] };
}

/** An intermediate CA (pathLen 0: it signs workloads only) under `parent`. */
export async function createIntermediateCa(parent: SigningCa, options: CaCertificateOptions): Promise<SigningCa> {
  validateTrustDomain(options.trustDomain);
  const ttlSeconds = checkTtlSeconds(options.ttlSeconds ?? YEAR_SECONDS, 'intermediate ttlSeconds');
  const now = options.now ?? new Date();
  const issuer = await Issuer.load(parent, 'parent CA');
  issuer.assertValidAt(now);
  const { privateKeyPem, publicKeyPem } = await generateKeyPair(options.keyAlgorithm ?? 'ecdsa-p256');
  const publicKey = toPeculiarPublicKey(createPublicKey(publicKeyPem));
  const cert = await issuer.sign({
    publicKey,
    subject: caName(options.trustDomain, 'Intermediate CA'),
    notBefore: new Date(now.getTime() - CLOCK_SKEW_MS),
    notAfter: new Date(Math.min(now.getTime() + ttlSeconds * 1000, issuer.latestNotAfter.getTime())),
    extensions: [...caExtensions(0), await x509.SubjectKeyIdentifierExtension.create(publicKey)],
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: privateKeyPem, chainPem: [parent.certPem, ...parent.chainPem] };
}
