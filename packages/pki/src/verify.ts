// SPIFFE peer verification with Node's own X509Certificate: chain to a root in the trust
// bundle, every certificate valid now, a non-CA leaf with exactly one spiffe:// URI SAN in
// the expected trust domain, and (if asked) one of the expected identities. Synchronous, so
// it can run inside tls' checkServerIdentity.
import { X509Certificate } from 'node:crypto';
import { parseCertificates } from './pem';
import { parseSpiffeId, parseWorkloadId, WorkloadIdentity } from './spiffe-id';

export type PeerRejection =
  | 'empty-chain'
  | 'malformed'
  | 'not-a-leaf'
  | 'expired'
  | 'not-yet-valid'
  | 'untrusted'
  | 'bad-san'
  | 'wrong-trust-domain'
  | 'unexpected-identity';

export type PeerVerification =
  | { ok: true; spiffeId: string; trustDomain: string; /** Set when the ID has the ns/sa shape. */ workload?: WorkloadIdentity; notAfter: Date }
  | { ok: false; code: PeerRejection; reason: string };

export interface VerifyPeerOptions {
  /** Accept only these SPIFFE IDs (any, if absent or empty). */
  expectedIds?: readonly string[];
  /** Accept only this trust domain. */
  trustDomain?: string;
  /** Verification instant; default now. */
  now?: Date;
  /**
   * The TLS handshake already verified the peer's path to this trust bundle, but the
   * intermediates it used are not visible here (Node 24 no longer links a client's
   * intermediates on the server side): accept a leaf whose issuer is not in the chain.
   */
  pathVerifiedByHandshake?: boolean;
}

/** Certificates as X509Certificate, DER Buffers (as TLS gives them) or PEM text. */
export type CertificateInput = X509Certificate | Buffer | string;

const MAX_CHAIN_DEPTH = 8;

export function verifySpiffePeer(
  peerChain: readonly CertificateInput[] | string,
  trustBundle: readonly CertificateInput[] | string,
  options: VerifyPeerOptions = {},
): PeerVerification {
  let chain: X509Certificate[];
  let roots: X509Certificate[];
  try {
    chain = toCertificates(peerChain, 'peer chain');
    roots = toCertificates(trustBundle, 'trust bundle');
  } catch (err) {
    return reject('malformed', (err as Error).message);
  }
  if (chain.length === 0) return reject('empty-chain', 'peer presented no certificate');
  const now = options.now ?? new Date();
  const leaf = chain[0];
  if (leaf.ca) return reject('not-a-leaf', `peer certificate "${describe(leaf)}" is a CA certificate, not a workload leaf`);

  const pathFailure = verifyPath(leaf, chain.slice(1), roots, now);
  const pathUnseen = options.pathVerifiedByHandshake && chain.length === 1 && pathFailure?.ok === false && pathFailure.code === 'untrusted';
  if (pathFailure && !pathUnseen) return pathFailure;

  const uris = uriSans(leaf);
  if (uris.length !== 1) return reject('bad-san', `peer certificate has ${uris.length} URI SANs; an X.509-SVID has exactly one`);
  const spiffeId = uris[0];
  let trustDomain: string;
  try {
    trustDomain = parseSpiffeId(spiffeId).trustDomain;
  } catch (err) {
    return reject('bad-san', `peer URI SAN is not a valid SPIFFE ID: ${(err as Error).message}`);
  }
  if (options.trustDomain !== undefined && trustDomain !== options.trustDomain) {
    return reject('wrong-trust-domain', `peer ${spiffeId} is in trust domain "${trustDomain}", expected "${options.trustDomain}"`);
  }
  if (options.expectedIds?.length && !options.expectedIds.includes(spiffeId)) {
    return reject('unexpected-identity', `peer ${spiffeId} is not one of the expected identities: ${options.expectedIds.join(', ')}`);
  }
  return { ok: true, spiffeId, trustDomain, workload: tryWorkload(spiffeId), notAfter: new Date(leaf.validTo) };
}

function verifyPath(leaf: X509Certificate, intermediates: X509Certificate[], roots: X509Certificate[], now: Date): PeerVerification | undefined {
  let current = leaf;
  const unused = [...intermediates];
  for (let depth = 0; depth <= MAX_CHAIN_DEPTH; depth++) {
    const validity = checkValidity(current, now);
    if (validity) return validity;
    const root = roots.find((r) => issued(r, current));
    if (root) return checkValidity(root, now);
    const index = unused.findIndex((c) => c.ca && issued(c, current));
    if (index === -1) {
      return reject('untrusted', `no root in the trust bundle (or intermediate in the peer chain) issued "${describe(current)}" (issuer "${oneLine(current.issuer)}")`);
    }
    current = unused.splice(index, 1)[0];
  }
  return reject('untrusted', `peer chain is longer than ${MAX_CHAIN_DEPTH} certificates`);
}

function issued(issuer: X509Certificate, subject: X509Certificate): boolean {
  return subject.checkIssued(issuer) && subject.verify(issuer.publicKey);
}

function checkValidity(cert: X509Certificate, now: Date): PeerVerification | undefined {
  if (now.getTime() > Date.parse(cert.validTo)) {
    return reject('expired', `certificate "${describe(cert)}" expired at ${new Date(cert.validTo).toISOString()}`);
  }
  if (now.getTime() < Date.parse(cert.validFrom)) {
    return reject('not-yet-valid', `certificate "${describe(cert)}" is not valid before ${new Date(cert.validFrom).toISOString()}`);
  }
  return undefined;
}

/** The URI entries of Node's subjectAltName string ("URI:a, DNS:b"; values with specials are JSON-quoted). */
export function uriSans(cert: X509Certificate): string[] {
  const text = cert.subjectAltName ?? '';
  const uris: string[] = [];
  let i = 0;
  while (i < text.length) {
    const colon = text.indexOf(':', i);
    if (colon === -1) break;
    const type = text.slice(i, colon);
    let value: string;
    let end: number;
    if (text[colon + 1] === '"') {
      end = closingQuote(text, colon + 1) + 1;
      value = JSON.parse(text.slice(colon + 1, end)) as string;
    } else {
      const comma = text.indexOf(', ', colon);
      end = comma === -1 ? text.length : comma;
      value = text.slice(colon + 1, end);
    }
    if (type === 'URI') uris.push(value);
    i = end + 2;
  }
  return uris;
}

function closingQuote(text: string, open: number): number {
  for (let j = open + 1; j < text.length; j++) {
    if (text[j] === '\\') j++;
    else if (text[j] === '"') return j;
  }
  return text.length - 1;
}

function toCertificates(input: readonly CertificateInput[] | string, what: string): X509Certificate[] {
  if (typeof input === 'string') return input.trim() ? parseCertificates(input, what) : [];
  return input.flatMap((c, i) => {
    if (c instanceof X509Certificate) return [c];
    if (typeof c === 'string') return parseCertificates(c, `${what} [${i}]`);
    try {
      return [new X509Certificate(c)];
    } catch (err) {
      throw new Error(`${what} [${i}]: not a valid DER certificate (${(err as Error).message})`);
    }
  });
}

function tryWorkload(spiffeId: string): WorkloadIdentity | undefined {
  try {
    return parseWorkloadId(spiffeId);
  } catch {
    return undefined;
  }
}

function describe(cert: X509Certificate): string {
  const uris = uriSans(cert);
  return uris.length ? uris.join(', ') : oneLine(cert.subject) || `serial ${cert.serialNumber}`;
}

function oneLine(name: string | undefined): string {
  return (name ?? '').replace(/\n/g, ', ');
}

function reject(code: PeerRejection, reason: string): PeerVerification {
  return { ok: false, code, reason };
}
