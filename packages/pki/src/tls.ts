// Node TLS options for a workload: present our SVID chain, trust only the mesh bundle, and
// replace hostname checks (SVIDs carry no DNS names) with SPIFFE peer verification.
import { X509Certificate } from 'node:crypto';
import type { ConnectionOptions, DetailedPeerCertificate, PeerCertificate, SecureContextOptions, TLSSocket, TlsOptions } from 'node:tls';
import { joinPem, parseCertificates } from './pem';
import { PeerRejection, PeerVerification, verifySpiffePeer, VerifyPeerOptions } from './verify';

export interface WorkloadCredentials {
  /** The workload's private key (PEM). */
  keyPem: string;
  /** Leaf first, then intermediates. */
  chainPem: readonly string[];
  /** Trusted roots. */
  bundlePem: readonly string[];
}

export type PeerPolicy = Omit<VerifyPeerOptions, 'now'>;

export class SpiffePeerError extends Error {
  override name = 'SpiffePeerError';
  constructor(readonly code: PeerRejection, reason: string) {
    super(reason);
  }
}

/** What both ends load: our key and chain, and the bundle OpenSSL verifies the peer against. */
export function workloadSecureContextOptions(credentials: WorkloadCredentials): SecureContextOptions {
  return { key: credentials.keyPem, cert: joinPem(credentials.chainPem), ca: [...credentials.bundlePem], minVersion: 'TLSv1.2' };
}

/**
 * Client options: OpenSSL verifies the chain against the bundle (rejectUnauthorized), then
 * checkServerIdentity runs our SPIFFE check instead of the DNS-name one. Do not add a `session`
 * to resume: Node skips checkServerIdentity on resumed sessions.
 */
export function clientTlsOptions(credentials: WorkloadCredentials, policy: PeerPolicy = {}): ConnectionOptions {
  return {
    ...workloadSecureContextOptions(credentials),
    rejectUnauthorized: true,
    checkServerIdentity: spiffeServerIdentityCheck(credentials.bundlePem, policy),
  };
}

/**
 * A `checkServerIdentity` for tls.connect (or grpc-js `createSsl` verify options) that checks
 * the server's SPIFFE identity instead of its DNS name.
 */
export function spiffeServerIdentityCheck(
  trustBundle: readonly string[],
  policy: PeerPolicy = {},
): (host: string, cert: PeerCertificate) => Error | undefined {
  const roots = parseCertificates([...trustBundle], 'trust bundle');
  return (_host, cert) => {
    const result = verifySpiffePeer(peerChain(cert), roots, policy);
    return result.ok ? undefined : new SpiffePeerError(result.code, `server rejected: ${result.reason}`);
  };
}

/**
 * Server options: require a client certificate chaining to the bundle. Node has no per-handshake
 * identity hook on the server, so call `verifyTlsPeer` on each 'secureConnection' and destroy
 * the socket when it fails.
 */
export function serverTlsOptions(credentials: WorkloadCredentials): TlsOptions {
  return { ...workloadSecureContextOptions(credentials), requestCert: true, rejectUnauthorized: true };
}

/** SPIFFE check of the peer on an established TLS socket (server side, or a client re-check). */
export function verifyTlsPeer(
  socket: TLSSocket,
  trustBundle: readonly string[] | readonly X509Certificate[],
  policy: PeerPolicy = {},
): PeerVerification {
  const cert = socket.getPeerCertificate(true);
  if (!cert || !cert.raw) return { ok: false, code: 'empty-chain', reason: 'peer presented no certificate' };
  // `authorized`: OpenSSL verified the path to the `ca` we configured, which is this bundle.
  return verifySpiffePeer(peerChain(cert), trustBundle, { ...policy, pathVerifiedByHandshake: socket.authorized });
}

/** DER chain, leaf first, from Node's linked peer-certificate objects. */
function peerChain(cert: PeerCertificate | DetailedPeerCertificate): Buffer[] {
  const chain: Buffer[] = [];
  let current: PeerCertificate | undefined = cert;
  while (current?.raw && chain.length < 10) {
    chain.push(current.raw);
    const next: PeerCertificate | undefined = (current as DetailedPeerCertificate).issuerCertificate;
    if (!next || next === current || next.raw?.equals(current.raw)) break;
    current = next;
  }
  return chain;
}
