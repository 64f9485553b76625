import * as net from 'node:net';
import * as tls from 'node:tls';
import type { IssuedCredentials } from '@trellis/identity';
import { joinPem, spiffeServerIdentityCheck } from '@trellis/pki';

export interface AdsRelayOptions {
  /** Loopback address to listen on (default 127.0.0.1) and port (default any free one). */
  host?: string;
  port?: number;
  /** The control plane's xDS endpoint, host:port. */
  xdsAddress: string;
  controlPlaneId: string;
  /** The workload's current credentials: each new upstream connection presents them. */
  credentials: () => IssuedCredentials;
  log: (event: string, fields?: Record<string, unknown>) => void;
}

/**
 * Carries the gRPC library's ADS stream to the control plane. gRPC's bootstrap can only
 * reach an xDS server over plaintext (or Google credentials), so the app speaks h2c to this
 * loopback-only listener and the relay forwards the bytes unchanged over mTLS with the
 * workload's SVID (HTTP/2 frames are the same with or without TLS underneath). The control
 * plane sees the workload's identity and checks the node id against it, as for a sidecar.
 */
export class AdsRelay {
  private readonly server = net.createServer((downstream) => this.relay(downstream));
  private readonly sockets = new Set<net.Socket>();

  private readonly host: string;

  constructor(private readonly options: AdsRelayOptions) {
    this.host = options.host ?? '127.0.0.1';
    // Loopback only: the relay lends the workload's identity to whoever connects.
    if (!net.isIP(this.host) || !(this.host.startsWith('127.') || this.host === '::1')) throw new Error(`ADS relay: "${this.host}" is not a loopback address`);
  }

  listen(): Promise<string> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port ?? 0, this.host, () => resolve(`${this.host}:${(this.server.address() as net.AddressInfo).port}`));
    });
  }

  close(): void {
    this.server.close();
    for (const socket of this.sockets) socket.destroy();
  }

  private relay(downstream: net.Socket): void {
    const credentials = this.options.credentials();
    const separator = this.options.xdsAddress.lastIndexOf(':');
    const upstream = tls.connect({
      host: this.options.xdsAddress.slice(0, separator),
      port: Number(this.options.xdsAddress.slice(separator + 1)),
      // The control plane is known by its SPIFFE ID, not a DNS name; SNI only names the service.
      servername: 'trellis-control-plane',
      ALPNProtocols: ['h2'],
      key: credentials.keyPem,
      cert: joinPem(credentials.chainPem),
      ca: joinPem(credentials.bundlePem),
      checkServerIdentity: spiffeServerIdentityCheck(credentials.bundlePem, { expectedIds: [this.options.controlPlaneId] }),
    });
    const ends: [net.Socket, net.Socket, string][] = [[downstream, upstream, 'app'], [upstream, downstream, 'control plane']];
    for (const [socket, other, side] of ends) {
      this.sockets.add(socket);
      socket.on('error', (error) => this.options.log('xds relay error', { side, error: error.message }));
      // Either side gone ends the stream; gRPC reconnects and the relay opens a fresh upstream.
      socket.once('close', () => {
        this.sockets.delete(socket);
        other.destroy();
      });
    }
    downstream.pipe(upstream);
    upstream.pipe(downstream);
  }
}
