// Shared fixtures: a CA and workload credentials made through the public API.
import { CertificateAuthority, createCsr, createSelfSignedRoot, generateKeyPair, KeyAlgorithm, SigningCa, WorkloadCredentials, WorkloadIdentity } from '../src';

export const TRUST_DOMAIN = 'cluster.local';

export function workload(serviceAccount: string, namespace = 'default', trustDomain = TRUST_DOMAIN): WorkloadIdentity {
  return { trustDomain, namespace, serviceAccount };
}

export async function makeCa(options: { trustDomain?: string; root?: SigningCa; clock?: () => Date } = {}): Promise<CertificateAuthority> {
  const trustDomain = options.trustDomain ?? TRUST_DOMAIN;
  const root = options.root ?? (await createSelfSignedRoot({ trustDomain }));
  return CertificateAuthority.create(root, { trustDomain, clock: options.clock });
}

export async function credentialsFor(
  ca: CertificateAuthority,
  identity: WorkloadIdentity,
  options: { ttlSeconds?: number; keyAlgorithm?: KeyAlgorithm } = {},
): Promise<WorkloadCredentials> {
  const key = await generateKeyPair(options.keyAlgorithm);
  const issued = await ca.signCsr(await createCsr(key.privateKeyPem, identity), identity, { ttlSeconds: options.ttlSeconds });
  return { keyPem: key.privateKeyPem, chainPem: issued.chainPem, bundlePem: issued.trustBundlePem };
}
