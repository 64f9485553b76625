// Network filters ahead of a chain's terminal filter (tcp_proxy or the HTTP connection
// manager), as Envoy's network filter chain. Each runs once per connection, after the TLS
// handshake, and may close it (network RBAC). Factories are registered by name or type URL
// like HTTP filters, so the data path never knows RBAC.
import type * as net from 'node:net';
import { NetworkFilterConfig } from './config/model';
import type { PeerInfo } from './http/filter';
import { FilterFactories, type FilterEnvironment, type FilterFactory } from './filter-factories';
import type { Runtime } from './runtime';
import { logConnection } from './tcp/connection-log';

/** What the proxy knows about a new downstream connection once its handshake is done. */
export interface ConnectionInfo {
  readonly listenerName: string;
  /** Source address and port, and the SPIFFE ID of a verified client certificate. */
  readonly peer: PeerInfo;
  /** Where the client was going: the original destination for a redirected connection. */
  readonly local: { address: string; port: number };
  readonly sni?: string;
}

export interface ConnectionDecision {
  /** False closes the connection before anything is sent upstream. */
  allowed: boolean;
  /** Why, for the access log line of a closed connection (e.g. the deciding policy). */
  reason?: string;
  /** What the filter leaves for the connection's access log line, under its name. */
  record?: unknown;
}

export interface NetworkFilter {
  onNewConnection(connection: ConnectionInfo): ConnectionDecision;
}

export type NetworkFilterFactory = FilterFactory<NetworkFilter>;

interface NamedFilter {
  name: string;
  filter: NetworkFilter;
}

export class NetworkFilterRegistry extends FilterFactories<NetworkFilter> {
  constructor(env?: FilterEnvironment) {
    super('network filter', env);
  }

  build(configs: readonly NetworkFilterConfig[]): NetworkFilters {
    return new NetworkFilters(configs.map((c) => ({ name: c.name, filter: this.create(c) })));
  }
}

/** One chain's network filters, built once per config: new connections run the config in force when they arrive. */
export class NetworkFilters {
  constructor(private readonly filters: readonly NamedFilter[]) {}

  /**
   * Run the filters in order; the first that refuses closes the connection (later ones do not
   * run, as in Envoy) and the connection gets its access log line here. Returns the filters'
   * records for the line the terminal filter writes, or undefined when the connection is closed.
   */
  admit(rt: Runtime, socket: net.Socket, connection: ConnectionInfo): Record<string, unknown> | undefined {
    const records: Record<string, unknown> = {};
    const started = Date.now();
    for (const { name, filter } of this.filters) {
      const decision = filter.onNewConnection(connection);
      if (decision.record !== undefined) records[name] = decision.record;
      if (decision.allowed) continue;
      rt.stats.inc('downstream_connections_refused_total', { listener: connection.listenerName, reason: 'network_filter' });
      logConnection(rt, {
        listener: connection.listenerName, started, sni: connection.sni, peerIdentity: connection.peer.spiffeId,
        filters: { ...records, closedBy: { filter: name, ...(decision.reason ? { reason: decision.reason } : {}) } },
      });
      socket.destroy();
      return undefined;
    }
    return records;
  }
}
