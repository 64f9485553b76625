// Opaque TCP proxying (Envoy's tcp_proxy): connect to a cluster host (over mTLS when the
// cluster says so; an ORIGINAL_DST cluster's host is where the client was going) and copy bytes both ways. Half-close is preserved: when one side
// finishes sending, the other side's write half is ended and reading continues. The
// connection's access log line, written when it ends (or fails to reach an upstream),
// carries what its network filters recorded (the RBAC decision).
import * as net from 'node:net';
import { TcpProxy } from '../config/model';
import { pickWeighted } from '../http/route-match';
import type { ConnectionInfo } from '../network-filter';
import { Runtime } from '../runtime';
import { ConnectionLogLine, logConnection } from './connection-log';

export function proxyTcp(
  rt: Runtime, config: TcpProxy, connection: ConnectionInfo, downstream: net.Socket, filterRecords: Record<string, unknown>,
): void {
  const listenerName = connection.listenerName;
  const clusterName = config.cluster ?? pickWeighted(config.weightedClusters ?? []);
  const cluster = rt.clusters.get(clusterName);
  const labels = { listener: listenerName, cluster: clusterName };
  const line: ConnectionLogLine = {
    listener: listenerName, started: Date.now(), sni: connection.sni, peerIdentity: connection.peer.spiffeId, upstreamCluster: clusterName, filters: filterRecords,
  };
  downstream.on('error', () => downstream.destroy());
  const host = cluster?.hostFor(connection.local, downstream.remoteAddress);
  if (!cluster || !host) {
    rt.stats.inc('tcp_connections_total', { ...labels, result: cluster ? 'no_healthy_upstream' : 'no_cluster' });
    logConnection(rt, { ...line, responseFlags: cluster ? 'UH' : 'NC' });
    downstream.destroy();
    return;
  }
  downstream.pause();
  host.activeRequests++;
  cluster.connect(host, (err, upstream) => {
    if (err || !upstream) {
      host.activeRequests--;
      cluster.recordOutcome(host, true);
      rt.stats.inc('tcp_connections_total', { ...labels, result: 'connect_failure' });
      logConnection(rt, { ...line, upstreamHost: host.key, responseFlags: 'UF' });
      downstream.destroy();
      return;
    }
    cluster.recordOutcome(host, false);
    rt.stats.inc('tcp_connections_total', { ...labels, result: 'connected' });
    let bytesIn = 0;
    let bytesOut = 0;
    const closeBoth = (): void => {
      downstream.destroy();
      upstream.destroy();
    };
    upstream.on('error', closeBoth);
    downstream.on('error', closeBoth);
    downstream.on('data', (d: Buffer) => (bytesIn += d.length));
    upstream.on('data', (d: Buffer) => (bytesOut += d.length));
    // pipe() ends the destination's write half on 'end' and handles backpressure.
    downstream.pipe(upstream);
    upstream.pipe(downstream);
    downstream.setTimeout(config.idleTimeoutMs, closeBoth);
    let closed = 0;
    const onClose = (): void => {
      if (++closed < 2) return;
      host.activeRequests--;
      rt.stats.inc('tcp_bytes_received_total', labels, bytesIn);
      rt.stats.inc('tcp_bytes_sent_total', labels, bytesOut);
      logConnection(rt, { ...line, upstreamHost: host.key, bytesSent: bytesOut });
    };
    downstream.once('close', onClose);
    // A downstream gone for good (closed, or destroyed by a drain) can take nothing more: let the upstream go too.
    downstream.once('close', () => upstream.destroy());
    upstream.once('close', onClose);
    downstream.resume();
  });
}
