import * as fs from 'node:fs';
import { CertificateRotator, CertificateServiceClient, remoteCredentialSource } from '@trellis/identity';
import type { WorkloadIdentity } from '@trellis/pki';

/** How a pod-side process (proxy or gRPC agent) gets its workload certificate from the mesh CA. */
export interface WorkloadCertificateOptions {
  identity: WorkloadIdentity;
  caAddress: string;
  /** File holding the bootstrap token the CA accepts for this workload (re-read at each renewal). */
  tokenFile: string;
  /** Roots that authenticate the control plane before the first certificate arrives. */
  controlPlaneRootsPem: string[];
  /** The control plane's SPIFFE ID, checked on each of its endpoints this process uses. */
  controlPlaneId: string;
  certificateTtlSeconds?: number;
}

/** A rotator whose key is made here and never leaves the pod: only the CSR goes to the CA. */
export function workloadCertificateRotator(options: WorkloadCertificateOptions): CertificateRotator {
  const ca = new CertificateServiceClient({
    address: options.caAddress,
    caRootsPem: options.controlPlaneRootsPem,
    serverIdentity: { expectedIds: [options.controlPlaneId] },
    token: () => fs.readFileSync(options.tokenFile, 'utf8').trim(),
  });
  return new CertificateRotator(remoteCredentialSource(ca, { identity: options.identity, ...(options.certificateTtlSeconds ? { ttlSeconds: options.certificateTtlSeconds } : {}) }));
}
