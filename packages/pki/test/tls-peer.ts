// A real mTLS exchange on loopback: the server answers "ok" only to peers that pass both
// OpenSSL's chain check and our SPIFFE check.
import { AddressInfo } from 'node:net';
import * as tls from 'node:tls';
import { clientTlsOptions, PeerPolicy, PeerVerification, serverTlsOptions, verifyTlsPeer, WorkloadCredentials } from '../src';

export interface ExchangeResult {
  /** The client read the server's "ok". */
  ok: boolean;
  clientError?: Error & { code?: string };
  /** The server's verdict on the client, if the handshake got that far. */
  serverVerdict?: PeerVerification;
}

export async function exchange(
  server: WorkloadCredentials,
  client: WorkloadCredentials,
  policies: { client?: PeerPolicy; server?: PeerPolicy } = {},
): Promise<ExchangeResult> {
  let serverVerdict: PeerVerification | undefined;
  const srv = tls.createServer(serverTlsOptions(server), (socket) => {
    serverVerdict = verifyTlsPeer(socket, server.bundlePem, policies.server);
    if (serverVerdict.ok) socket.end('ok');
    else socket.destroy();
  });
  srv.on('tlsClientError', () => undefined); // the client's view is what the tests assert
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = srv.address() as AddressInfo;
    const result = await new Promise<ExchangeResult>((resolve) => {
      let data = '';
      const socket = tls.connect({ host: '127.0.0.1', port, ...clientTlsOptions(client, policies.client) });
      socket.setEncoding('utf8');
      socket.on('data', (chunk) => (data += chunk));
      socket.on('error', (err) => resolve({ ok: false, clientError: err }));
      socket.on('close', () => resolve({ ok: data === 'ok' }));
    });
    return { ...result, serverVerdict };
  } finally {
    await new Promise((resolve) => srv.close(resolve));
  }
}
