// Terminate mTLS for one filter chain: the workload certificate is presented, the
// client's chain is verified against the trust bundle by OpenSSL, and its SPIFFE ID
// must be one of the chain's allowed identities. The verified ID is what HTTP filters
// (RBAC) see as the peer.
import * as net from 'node:net';
import * as tls from 'node:tls';
import { DownstreamTls } from '../config/model';
import { SecureContexts } from '../tls/contexts';
import { verifyPeerIdentity } from '../tls/identity';
import { Stats } from '../admin/stats';

export type OnSecure = (socket: tls.TLSSocket, spiffeId: string | undefined) => void;

export class TlsTerminator {
  private readonly server: tls.Server;

  constructor(config: DownstreamTls, contexts: SecureContexts, alpn: string[], stats: Stats, listenerName: string, onSecure: OnSecure) {
    const labels = { listener: listenerName };
    this.server = tls.createServer({
      ...contexts.options(config.certificateSecret, config.validationSecret),
      requestCert: config.validationSecret !== undefined,
      rejectUnauthorized: config.requireClientCert,
      ALPNProtocols: config.alpn ?? alpn,
      allowHalfOpen: true,
      handshakeTimeout: 10_000,
    });
    this.server.on('tlsClientError', (err) => {
      stats.inc('downstream_tls_handshake_failures_total', { ...labels, reason: tlsFailureReason(err) });
    });
    const trustedCa = config.validationSecret ? contexts.trustedCa(config.validationSecret) : undefined;
    this.server.on('secureConnection', (socket: tls.TLSSocket) => {
      socket.on('error', () => socket.destroy());
      let spiffeId: string | undefined;
      // With an optional client certificate, an identity is used only if the chain verified.
      if (trustedCa && (config.requireClientCert || socket.authorized)) {
        const r = verifyPeerIdentity(socket.getPeerCertificate(true), trustedCa, config.matchSubjectAltNames);
        if ('error' in r) {
          stats.inc('downstream_tls_handshake_failures_total', { ...labels, reason: 'peer_identity' });
          socket.destroy();
          return;
        }
        spiffeId = r.id;
      }
      stats.inc('downstream_tls_handshakes_total', labels);
      onSecure(socket, spiffeId);
    });
  }

  /** Run the handshake on a raw socket whose first bytes were pushed back by detection. */
  accept(socket: net.Socket): void {
    this.server.emit('connection', socket);
  }
}

function tlsFailureReason(err: Error & { code?: string }): string {
  const msg = `${err.code ?? ''} ${err.message}`;
  if (/certificate|CERT|verify/i.test(msg)) return 'peer_certificate';
  if (/timeout/i.test(msg)) return 'timeout';
  return 'handshake';
}
