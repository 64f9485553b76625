// PEM bundles: a file or field may hold several certificates; every API passes them as
// arrays of single-certificate PEM strings so order (leaf first, roots last) is explicit.
import { X509Certificate } from 'node:crypto';

const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** Splits text holding zero or more PEM certificates into one PEM string each. */
export function splitPemCertificates(text: string): string[] {
  return (text.match(CERT_BLOCK) ?? []).map((block) => block + '\n');
}

/** Parses one PEM certificate, naming `what` if it is not one. */
export function parseCertificate(pem: string, what: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (err) {
    throw new Error(`${what}: not a valid PEM certificate (${(err as Error).message})`);
  }
}

/** Parses every certificate in `text`; at least one is required. */
export function parseCertificates(text: string | string[], what: string): X509Certificate[] {
  const blocks = (Array.isArray(text) ? text : [text]).flatMap(splitPemCertificates);
  if (blocks.length === 0) throw new Error(`${what}: holds no PEM certificate`);
  return blocks.map((pem, i) => parseCertificate(pem, blocks.length > 1 ? `${what} [${i}]` : what));
}

export function joinPem(pems: readonly string[]): string {
  return pems.map((pem) => (pem.endsWith('\n') ? pem : pem + '\n')).join('');
}
