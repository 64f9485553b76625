// SPIFFE identity of a TLS peer. OpenSSL has already verified the chain during the
// handshake (rejectUnauthorized); @trellis/pki's verifySpiffePeer re-checks it against the
// same trust bundle and enforces what the mesh needs on top: a non-CA leaf with exactly
// one spiffe:// URI SAN that is one of the identities we expect.
import type { DetailedPeerCertificate, PeerCertificate } from 'node:tls';
// The verifier alone: the package index also loads the CA (@peculiar/x509), ~18 MB of RSS a proxy never uses.
import { verifySpiffePeer } from '@trellis/pki/dist/verify';

/** The certificates the peer sent, leaf first, as DER (what Node's TLS gives us). */
function peerChain(cert: PeerCertificate | DetailedPeerCertificate): Buffer[] {
  const chain: Buffer[] = [];
  let c: DetailedPeerCertificate | undefined = cert as DetailedPeerCertificate;
  while (c && c.raw && chain.length < 10) {
    chain.push(c.raw);
    if (!c.issuerCertificate || c.issuerCertificate === c || c.issuerCertificate.raw?.equals(c.raw)) break;
    c = c.issuerCertificate;
  }
  return chain;
}

/** Verify a peer against the trust bundle and the expected identities (empty list = any identity). */
export function verifyPeerIdentity(
  cert: PeerCertificate | DetailedPeerCertificate | undefined,
  trustedCaPem: string,
  expected: readonly string[],
): { id: string } | { error: string } {
  if (!cert || !cert.raw) return { error: 'peer presented no certificate' };
  const r = verifySpiffePeer(peerChain(cert), trustedCaPem, { expectedIds: expected });
  return r.ok ? { id: r.spiffeId } : { error: `${r.code}: ${r.reason}` };
}
