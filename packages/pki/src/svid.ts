// X.509-SVID issuance (https://github.com/spiffe/spiffe/blob/main/standards/X509-SVID.md):
// one URI SAN taken from the caller's authenticated identity, a non-CA leaf usable for both
// ends of mTLS, valid from two minutes ago (clock skew) and never past its issuer.
import { KeyObject } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { CLOCK_SKEW_MS, Issuer, toPeculiarPublicKey } from './issuer';
import { formatWorkloadId, WorkloadIdentity } from './spiffe-id';

export const DEFAULT_SVID_TTL_SECONDS = 24 * 3600;

export interface IssuedSvid {
  spiffeId: string;
  /** The leaf alone. */
  certPem: string;
  /** Leaf first, then the intermediates a peer needs to reach a root (roots are not sent). */
  chainPem: string[];
  notBefore: Date;
  notAfter: Date;
}

export interface SvidRequest {
  /** The workload's public key. */
  publicKey: KeyObject;
  identity: WorkloadIdentity;
  ttlSeconds: number;
  now: Date;
}

export async function issueSvid(issuer: Issuer, request: SvidRequest): Promise<IssuedSvid> {
  const spiffeId = formatWorkloadId(request.identity);
  const leaf = await issueLeaf(issuer, request, [{ type: 'url', value: spiffeId }], [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]);
  return { spiffeId, ...leaf };
}

export interface ServingCertRequest {
  publicKey: KeyObject;
  /** The names clients dial, e.g. `trellis-webhook.trellis-system.svc`. */
  dnsNames: string[];
  ttlSeconds: number;
  now: Date;
}

/** A server-only certificate for DNS names, for clients outside the mesh (the API server calling a webhook). */
export async function issueServingCert(issuer: Issuer, request: ServingCertRequest): Promise<Omit<IssuedSvid, 'spiffeId'>> {
  if (!request.dnsNames.length) throw new Error('serving certificate: dnsNames is empty');
  return issueLeaf(issuer, request, request.dnsNames.map((value) => ({ type: 'dns' as const, value })), [x509.ExtendedKeyUsage.serverAuth]);
}

async function issueLeaf(
  issuer: Issuer,
  request: { publicKey: KeyObject; ttlSeconds: number; now: Date },
  names: x509.JsonGeneralName[],
  extendedUsages: x509.ExtendedKeyUsageType[],
): Promise<Omit<IssuedSvid, 'spiffeId'>> {
  const { now } = request;
  issuer.assertValidAt(now);
  const publicKey = toPeculiarPublicKey(request.publicKey);
  const isRsa = request.publicKey.asymmetricKeyType === 'rsa';
  const usages = x509.KeyUsageFlags.digitalSignature | (isRsa ? x509.KeyUsageFlags.keyEncipherment : 0);
  const notBefore = new Date(now.getTime() - CLOCK_SKEW_MS);
  const notAfter = new Date(Math.min(now.getTime() + request.ttlSeconds * 1000, issuer.latestNotAfter.getTime()));
  const cert = await issuer.sign({
    publicKey,
    // Empty subject: the identity lives in the SAN alone, which is then critical (RFC 5280 4.2.1.6).
    subject: '',
    notBefore,
    notAfter,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(usages, true),
      new x509.ExtendedKeyUsageExtension(extendedUsages, false),
      new x509.SubjectAlternativeNameExtension(names, true),
      await x509.SubjectKeyIdentifierExtension.create(publicKey),
    ],
  });
  const certPem = cert.toString('pem') + '\n';
  // X.509 stores whole seconds: report what the certificate says.
  return { certPem, chainPem: [certPem, ...issuer.presentedChainPem], notBefore: cert.notBefore, notAfter: cert.notAfter };
}
