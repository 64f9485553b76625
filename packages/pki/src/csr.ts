// Certificate signing requests: the workload side builds one from a key it keeps; the CA
// side parses it, checks proof of possession, and reads only what it needs from it.
import { createPublicKey, KeyObject } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { CsrError } from './errors';
import { assertWorkloadKey, parsePrivateKey, toWebSigningKey } from './keys';
import { formatWorkloadId, WorkloadIdentity } from './spiffe-id';

export interface ParsedCsr {
  /** The key the certificate will bind. */
  publicKey: KeyObject;
  /** URI SANs the requester asked for (checked against the caller's identity, never copied). */
  requestedUris: string[];
}

const SAN_OID = '2.5.29.17';

export async function parseAndVerifyCsr(csrPem: string): Promise<ParsedCsr> {
  if (typeof csrPem !== 'string' || !csrPem.includes('-----BEGIN CERTIFICATE REQUEST-----')) {
    throw new CsrError('CSR: expected a PEM "CERTIFICATE REQUEST" block');
  }
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(csrPem.trim());
  } catch (err) {
    throw new CsrError(`CSR: cannot be parsed (${(err as Error).message})`);
  }
  const publicKey = csrPublicKey(csr);
  try {
    assertWorkloadKey(publicKey);
  } catch (err) {
    throw new CsrError(`CSR: ${(err as Error).message}`);
  }
  let signatureOk: boolean;
  try {
    signatureOk = await csr.verify();
  } catch (err) {
    throw new CsrError(`CSR: signature cannot be checked (${(err as Error).message})`);
  }
  if (!signatureOk) throw new CsrError('CSR: signature does not verify with its own public key (no proof of possession)');
  return {
    publicKey,
    requestedUris: requestedUris(csr),
  };
}

function csrPublicKey(csr: x509.Pkcs10CertificateRequest): KeyObject {
  try {
    return createPublicKey({ key: Buffer.from(csr.publicKey.rawData), format: 'der', type: 'spki' });
  } catch (err) {
    throw new CsrError(`CSR: public key cannot be read (${(err as Error).message})`);
  }
}

function requestedUris(csr: x509.Pkcs10CertificateRequest): string[] {
  const uris: string[] = [];
  for (const ext of csr.extensions.filter((e) => e.type === SAN_OID)) {
    let san: x509.SubjectAlternativeNameExtension;
    try {
      san = new x509.SubjectAlternativeNameExtension(ext.rawData);
    } catch (err) {
      throw new CsrError(`CSR: subjectAltName extension cannot be parsed (${(err as Error).message})`);
    }
    for (const name of san.names.items) if (name.type === 'url') uris.push(name.value);
  }
  return uris;
}

/**
 * Builds a PEM CSR signed by `privateKeyPem`. The identity, when given, is put in a URI SAN
 * so a CA can refuse a mismatch loudly; the CA still takes the identity from authentication.
 */
export async function createCsr(privateKeyPem: string, identity?: WorkloadIdentity): Promise<string> {
  const keys = await toWebSigningKey(parsePrivateKey(privateKeyPem, 'CSR private key'), 'CSR private key');
  const extensions = identity ? [new x509.SubjectAlternativeNameExtension([{ type: 'url', value: formatWorkloadId(identity) }])] : [];
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    keys: { privateKey: keys.key, publicKey: keys.publicKey },
    signingAlgorithm: keys.signingAlgorithm,
    extensions,
  });
  return csr.toString('pem') + '\n';
}
