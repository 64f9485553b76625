// End-of-request bookkeeping shared by both codecs: request counters by status class,
// the latency histogram and the access log line.
import { Runtime } from '../runtime';
import { RequestContext } from './request';

export interface RequestOutcome {
  status: number;
  flags: string;
  cluster?: string;
  host?: string;
  bytesSent: number;
}

export function logRequest(rt: Runtime, ctx: RequestContext, o: RequestOutcome): void {
  const durationMs = Date.now() - ctx.startedAt;
  const codeClass = o.status === 0 ? 'reset' : `${Math.floor(o.status / 100)}xx`;
  rt.stats.inc('downstream_requests_total', { listener: ctx.listenerName, code_class: codeClass });
  rt.stats.observe('downstream_request_duration_ms', { listener: ctx.listenerName }, durationMs);
  if (o.cluster) rt.stats.inc('upstream_requests_total', { cluster: o.cluster, code_class: codeClass });
  if (!rt.accessLog.enabled) return;
  rt.accessLog.write({
    time: new Date(ctx.startedAt).toISOString(),
    listener: ctx.listenerName,
    protocol: ctx.protocol,
    method: ctx.method,
    authority: ctx.authority,
    path: ctx.path,
    status: o.status,
    durationMs,
    upstreamCluster: o.cluster,
    upstreamHost: o.host,
    peerIdentity: ctx.peer.spiffeId,
    route: ctx.route?.name,
    responseFlags: o.flags || '-',
    requestId: ctx.requestId,
    bytesSent: o.bytesSent,
  });
}
