// SPIFFE identity of a TLS peer. Chain validation against the trust bundle is done by
// OpenSSL during the handshake (rejectUnauthorized); this checks what the chain proves:
// exactly one spiffe:// URI SAN, and that it is one of the identities we expect.
import type { PeerCertificate } from 'node:tls';

const SPIFFE_ID = /^spiffe:\/\/[a-z0-9._-]+(\/[A-Za-z0-9._~!$&'()*+,;=:@%-]+)+$/;

/** The peer's SPIFFE ID, or an error message saying why it has none. */
export function spiffeIdOf(cert: PeerCertificate | undefined): { id: string } | { error: string } {
  if (!cert || Object.keys(cert).length === 0) return { error: 'peer presented no certificate' };
  const uris = (cert.subjectaltname ?? '')
    .split(', ')
    .filter((s) => s.startsWith('URI:'))
    .map((s) => s.slice(4));
  const spiffe = uris.filter((u) => u.startsWith('spiffe://'));
  if (spiffe.length !== 1) return { error: `peer certificate must carry exactly one SPIFFE URI SAN, found ${spiffe.length}` };
  if (!SPIFFE_ID.test(spiffe[0])) return { error: `malformed SPIFFE ID ${JSON.stringify(spiffe[0])}` };
  return { id: spiffe[0] };
}

/** Check a verified peer against the expected identities (empty list = any identity). */
export function checkPeerIdentity(cert: PeerCertificate | undefined, expected: readonly string[]): { id: string } | { error: string } {
  const r = spiffeIdOf(cert);
  if ('error' in r) return r;
  if (expected.length > 0 && !expected.includes(r.id)) {
    return { error: `peer identity ${r.id} is not one of the expected ${expected.join(', ')}` };
  }
  return r;
}

