// One access log line per TCP connection, in the request log's shape (method, path and
// status have no meaning here and read '-' / 0), so one reader handles both. Envoy's
// response flags say why a connection got no upstream: UH (no healthy host), NC (no
// cluster), UF (connect failure); a connection a network filter closed says so in `filters`.
import type { Runtime } from '../runtime';

export interface ConnectionLogLine {
  listener: string;
  started: number;
  sni?: string;
  peerIdentity?: string;
  upstreamCluster?: string;
  upstreamHost?: string;
  responseFlags?: string;
  bytesSent?: number;
  filters?: Record<string, unknown>;
}

export function logConnection(rt: Runtime, line: ConnectionLogLine): void {
  if (!rt.accessLog.enabled) return;
  const filters = line.filters && Object.keys(line.filters).length > 0 ? line.filters : undefined;
  rt.accessLog.write({
    time: new Date(line.started).toISOString(), listener: line.listener, protocol: 'tcp', method: '-', authority: line.sni ?? '-', path: '-',
    status: 0, durationMs: Date.now() - line.started, upstreamCluster: line.upstreamCluster, upstreamHost: line.upstreamHost, peerIdentity: line.peerIdentity,
    responseFlags: line.responseFlags ?? '-', requestId: '-', bytesSent: line.bytesSent ?? 0, ...(filters ? { filters } : {}),
  });
}
