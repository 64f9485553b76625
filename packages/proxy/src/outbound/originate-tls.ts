// Open a connection to an upstream host: plain TCP, or mTLS with the workload
// certificate where the server must prove one of the cluster's expected SPIFFE IDs
// (secure naming) — a valid mesh certificate for the wrong service is refused.
import * as net from 'node:net';
import * as tls from 'node:tls';
import { Cluster } from '../config/model';
import { verifyPeerIdentity } from '../tls/identity';
import { SecureContexts } from '../tls/contexts';
import { Host } from '../balance/host';

export class UpstreamConnectError extends Error {
  constructor(message: string, readonly tlsFailure: boolean) {
    super(message);
    this.name = 'UpstreamConnectError';
  }
}

export interface ConnectOptions {
  cluster: Cluster;
  host: Host;
  contexts: SecureContexts;
  alpn: string[];
  allowHalfOpen: boolean;
  onTlsHandshake?: (ok: boolean) => void;
}

export function connectUpstream(opts: ConnectOptions, done: (err: UpstreamConnectError | null, socket?: net.Socket) => void): void {
  const { cluster, host } = opts;
  const upstreamTls = cluster.tls;
  let settled = false;
  let socket: net.Socket;
  const finish = (err: UpstreamConnectError | null): void => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    socket.removeListener('error', onError);
    if (err) {
      socket.destroy();
      done(err);
    } else {
      socket.setNoDelay(true);
      done(null, socket);
    }
  };
  const onError = (e: Error): void => {
    const tlsStage = upstreamTls !== undefined && connected;
    if (tlsStage) opts.onTlsHandshake?.(false);
    finish(new UpstreamConnectError(`${host.key}: ${e.message}`, tlsStage));
  };
  let connected = false;
  const timer = setTimeout(() => finish(new UpstreamConnectError(`${host.key}: connect timeout after ${cluster.connectTimeoutMs}ms`, false)), cluster.connectTimeoutMs);

  if (!upstreamTls) {
    socket = net.connect({ host: host.address, port: host.port, allowHalfOpen: opts.allowHalfOpen }, () => finish(null));
    socket.on('error', onError);
    return;
  }
  let secureContext: tls.SecureContext;
  let trustedCa: string;
  try {
    secureContext = opts.contexts.get(upstreamTls.certificateSecret, upstreamTls.validationSecret);
    trustedCa = opts.contexts.trustedCa(upstreamTls.validationSecret);
  } catch (e) {
    // No socket yet: report synchronously-safe on the next tick so callers see one code path.
    clearTimeout(timer);
    settled = true;
    process.nextTick(done, new UpstreamConnectError((e as Error).message, true));
    return;
  }
  const expected = upstreamTls.matchSubjectAltNames;
  // allowHalfOpen is honoured by tls.connect (opaque TCP needs it) but missing from its typings.
  const options: tls.ConnectionOptions & { allowHalfOpen: boolean } = {
    host: host.address,
    port: host.port,
    allowHalfOpen: opts.allowHalfOpen,
    secureContext,
    servername: upstreamTls.sni ?? (net.isIP(host.address) ? undefined : host.address),
    // HTTP pools offer exactly the protocol they speak; opaque TCP offers the cluster's list.
    ALPNProtocols: opts.alpn.length > 0 ? opts.alpn : upstreamTls.alpn.length > 0 ? upstreamTls.alpn : undefined,
    rejectUnauthorized: true,
    // Replaces DNS hostname checking: mesh certificates name workloads by SPIFFE ID.
    checkServerIdentity: (_name, cert) => {
      const r = verifyPeerIdentity(cert, trustedCa, expected);
      return 'error' in r ? new Error(`secure naming: ${r.error}`) : undefined;
    },
  };
  socket = tls.connect(options);
  socket.once('connect', () => {
    connected = true;
  });
  socket.once('secureConnect', () => {
    opts.onTlsHandshake?.(true);
    finish(null);
  });
  socket.on('error', onError);
}
