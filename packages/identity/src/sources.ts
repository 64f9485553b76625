// Where a rotator's certificates come from: the remote CA over gRPC (workloads), or the
// in-process CA directly (the control plane's own serving certificate).
import { CertificateAuthority, generateKeyPair, KeyAlgorithm, WorkloadIdentity } from '@trellis/pki';
import { CertificateRequestOptions, CertificateServiceClient } from './client';
import { acceptIssued } from './credentials';
import { CredentialSource } from './rotator';

export function remoteCredentialSource(client: CertificateServiceClient, request: CertificateRequestOptions = {}): CredentialSource {
  return () => client.requestCertificate(request);
}

export function localCredentialSource(
  ca: CertificateAuthority,
  identity: WorkloadIdentity,
  options: { keyAlgorithm?: KeyAlgorithm; ttlSeconds?: number } = {},
): CredentialSource {
  return async () => {
    const { privateKeyPem, publicKeyPem } = await generateKeyPair(options.keyAlgorithm);
    const issued = await ca.issue(publicKeyPem, { identity, ttlSeconds: options.ttlSeconds });
    return acceptIssued(privateKeyPem, issued.chainPem, issued.trustBundlePem, identity);
  };
}
