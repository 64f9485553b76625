// What a workload holds after issuance, and the checks it runs on what the CA returned.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { formatWorkloadId, verifySpiffePeer, WorkloadCredentials, WorkloadIdentity } from '@trellis/pki';

export interface IssuedCredentials extends WorkloadCredentials {
  spiffeId: string;
  notBefore: Date;
  notAfter: Date;
}

/**
 * Accepts a chain only if its leaf binds our key, it verifies to the returned bundle, and (when
 * we know who we are) it names us: a confused or compromised CA response is refused here rather
 * than discovered by peers.
 */
export function acceptIssued(keyPem: string, chainPem: string[], bundlePem: string[], expected?: WorkloadIdentity): IssuedCredentials {
  if (chainPem.length === 0) throw new Error('CA response: cert_chain is empty');
  if (bundlePem.length === 0) throw new Error('CA response: trust_bundle is empty');
  const leaf = new X509Certificate(chainPem[0]);
  if (!leaf.checkPrivateKey(createPrivateKey(keyPem))) throw new Error('CA response: cert_chain[0] does not certify the key we sent');
  const verdict = verifySpiffePeer(chainPem, bundlePem, expected ? { expectedIds: [formatWorkloadId(expected)] } : {});
  if (!verdict.ok) throw new Error(`CA response: cert_chain does not verify against trust_bundle (${verdict.reason})`);
  return {
    keyPem,
    chainPem,
    bundlePem,
    spiffeId: verdict.spiffeId,
    notBefore: new Date(leaf.validFrom),
    notAfter: verdict.notAfter,
  };
}
