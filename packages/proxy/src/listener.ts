// A listener: accept → connection limit → detect TLS/ALPN/SNI → pick the filter chain →
// (terminate mTLS) → HTTP/1.1, HTTP/2 or opaque TCP. Inbound and outbound listeners are
// the same machinery with different config, as in Envoy. A config change swaps the
// filter chains for new connections; open HTTP connections keep their TLS session and
// codec but run the new HTTP filters (RBAC, WAF) from their next request on. Network
// filters (network RBAC) judge a connection once, when it starts: open TCP connections
// keep going under the config they were admitted by, as in Envoy and Istio.
// A listener with useOriginalDst takes connections iptables redirected to it and treats
// each as addressed to where it was going (SO_ORIGINAL_DST): chain match, RBAC, WAF.
import * as net from 'node:net';
import * as tls from 'node:tls';
import { OriginalDestinationError, originalDestination } from '@trellis/capture';
import { FilterChain, Listener } from './config/model';
import { CompiledMatch, selectChain, type Destination } from './filter-chain-match';
import { HttpChain } from './http/chain';
import { Http1ServerConnection } from './http/h1-connection';
import { Http2Downstream } from './http/h2-server';
import { DownstreamInfo } from './http/request';
import { detect, Detected } from './inbound/detect';
import { TlsTerminator } from './inbound/terminate-tls';
import { NetworkFilters } from './network-filter';
import { Runtime } from './runtime';
import { proxyTcp } from './tcp/tcp-proxy';

const DETECT_TIMEOUT_MS = 5_000;

class ChainRuntime {
  readonly http: { chain: HttpChain; h2: Http2Downstream } | undefined;
  readonly tls: TlsTerminator | undefined;
  readonly compiled: CompiledMatch;
  private readonly networkFilters: NetworkFilters;

  constructor(private readonly owner: ListenerRuntime, readonly config: FilterChain, rt: Runtime, previous?: ChainRuntime) {
    this.compiled = new CompiledMatch(config.match);
    this.networkFilters = rt.networkFilters.build(config.networkFilters);
    if (config.network.kind === 'http') {
      if (previous?.http) {
        // Same chain, new config: reconfigure the shared HttpChain that open connections hold.
        previous.http.chain.reconfigure(config.network, rt.filters);
        this.http = previous.http;
      } else {
        const chain = new HttpChain(owner.name, config.network, rt.filters);
        this.http = { chain, h2: new Http2Downstream(rt, chain) };
      }
    }
    if (config.tls) {
      const alpn = config.network.kind === 'http' ? alpnFor(config.network.codec) : [];
      this.tls = new TlsTerminator(config.tls, rt.contexts, alpn, rt.stats, owner.name, (socket, id) => this.serve(socket, id, true));
    }
  }

  serve(socket: net.Socket, spiffeId: string | undefined, overTls: boolean, detected?: Detected): void {
    const info: DownstreamInfo = {
      peer: { spiffeId, address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 },
      // RBAC's destination.port and the WAF's SERVER_PORT see where the client was going.
      local: this.owner.destinationOf(socket),
      sni: overTls ? ((socket as tls.TLSSocket).servername || undefined) : detected?.sni,
    };
    const connection = { listenerName: this.owner.name, ...info };
    const records = this.networkFilters.admit(this.owner.rt, socket, connection);
    if (!records) return;
    const network = this.config.network;
    if (network.kind === 'tcp') return proxyTcp(this.owner.rt, network, connection, socket, records);
    const http = this.http as { chain: HttpChain; h2: Http2Downstream };
    const h2 = overTls ? (socket as tls.TLSSocket).alpnProtocol === 'h2' : detected?.applicationProtocols[0] === 'h2c';
    if (network.codec === 'http2' || (network.codec === 'auto' && h2)) return http.h2.accept(socket, info);
    this.owner.trackHttp1(new Http1ServerConnection(this.owner.rt, http.chain, socket, info, (c) => this.owner.untrackHttp1(c)));
    socket.resume();
  }
}

function alpnFor(codec: 'auto' | 'http1' | 'http2'): string[] {
  if (codec === 'http1') return ['http/1.1'];
  if (codec === 'http2') return ['h2'];
  return ['h2', 'http/1.1'];
}

export class ListenerRuntime {
  private server: net.Server | undefined;
  private chains: ChainRuntime[] = [];
  private defaultChain: ChainRuntime | undefined;
  private readonly sockets = new Set<net.Socket>();
  private readonly http1 = new Set<Http1ServerConnection>();
  private draining = false;

  constructor(readonly rt: Runtime, public config: Listener) {
    this.buildChains(config);
  }

  get name(): string {
    return this.config.name;
  }

  get connections(): number {
    return this.sockets.size;
  }

  get port(): number {
    const addr = this.server?.address();
    return typeof addr === 'object' && addr ? addr.port : this.config.port;
  }

  /** Swap filter chains (new TLS contexts, filters) for connections accepted from now on. */
  update(config: Listener): void {
    this.config = config;
    this.buildChains(config);
  }

  private buildChains(config: Listener): void {
    const previous = new Map(this.chains.map((c) => [c.config.name, c]));
    this.chains = config.filterChains.map((c) => new ChainRuntime(this, c, this.rt, previous.get(c.name)));
    this.defaultChain = config.defaultFilterChain ? new ChainRuntime(this, config.defaultFilterChain, this.rt, this.defaultChain) : undefined;
  }

  listen(): Promise<void> {
    const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (s) => this.onConnection(s));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: this.config.address, port: this.config.port }, () => {
        server.removeListener('error', reject);
        server.on('error', () => undefined);
        resolve();
      });
    });
  }

  trackHttp1(c: Http1ServerConnection): void {
    this.http1.add(c);
    if (this.draining) c.drain();
  }

  untrackHttp1(c: Http1ServerConnection): void {
    this.http1.delete(c);
  }

  private onConnection(socket: net.Socket): void {
    const labels = { listener: this.name };
    socket.on('error', () => socket.destroy());
    if (this.draining || (this.config.maxConnections !== undefined && this.sockets.size >= this.config.maxConnections)) {
      this.rt.stats.inc('downstream_connections_refused_total', { ...labels, reason: this.draining ? 'draining' : 'max_connections' });
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    this.rt.stats.inc('downstream_connections_total', labels);
    detect(socket, DETECT_TIMEOUT_MS, (d) => {
      if (socket.destroyed) return;
      const chain = selectChain(this.chains, this.destinationOf(socket), d) ?? this.defaultChain;
      if (!chain) {
        this.rt.stats.inc('downstream_connections_refused_total', { ...labels, reason: 'no_filter_chain' });
        socket.destroy();
        return;
      }
      if (chain.tls && d.transport === 'tls') return chain.tls.accept(socket);
      if (chain.tls) {
        // The chain requires TLS but the client spoke plaintext (STRICT mode).
        this.rt.stats.inc('downstream_connections_refused_total', { ...labels, reason: 'plaintext_to_tls_chain' });
        socket.destroy();
        return;
      }
      chain.serve(socket, undefined, false, d);
    });
  }

  /**
   * Where the client addressed this connection. A connection made to a useOriginalDst
   * listener directly (not redirected) is taken as addressed to the listener, as in Envoy.
   */
  destinationOf(socket: net.Socket): Destination {
    if (this.config.useOriginalDst) {
      try {
        return originalDestination(socket);
      } catch (e) {
        if (!(e instanceof OriginalDestinationError)) throw e;
      }
    }
    return { address: socket.localAddress ?? '', port: socket.localPort ?? 0 };
  }

  /** Stop accepting; let in-flight requests finish; close idle keep-alive connections. */
  drain(): void {
    this.draining = true;
    this.server?.close();
    for (const c of this.http1) c.drain();
    for (const c of [...this.chains, ...(this.defaultChain ? [this.defaultChain] : [])]) c.http?.h2.drain();
  }

  /** Force-close whatever is still open (end of the drain period). */
  destroy(): void {
    this.server?.close();
    for (const s of this.sockets) s.destroy();
  }
}
