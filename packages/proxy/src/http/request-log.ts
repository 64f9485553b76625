// End-of-request bookkeeping shared by both codecs: request counters by status class,
// the latency histogram and the access log line.
import { Runtime } from '../runtime';
import { RequestContext } from './request';
import { Histogram, observeInto, Stats } from '../admin/stats';

export interface RequestOutcome {
  status: number;
  flags: string;
  cluster?: string;
  host?: string;
  bytesSent: number;
}

const CODE_CLASSES = ['reset', '1xx', '2xx', '3xx', '4xx', '5xx'];

/** Per-listener and per-cluster series, looked up by name once per request instead of re-keyed. */
interface Series {
  listeners: Map<string, { requests: { value: number }[]; latency: Histogram }>;
  clusters: Map<string, { value: number }[]>;
}
const seriesByStats = new WeakMap<Stats, Series>();

function seriesOf(stats: Stats): Series {
  let s = seriesByStats.get(stats);
  if (!s) seriesByStats.set(stats, (s = { listeners: new Map(), clusters: new Map() }));
  return s;
}

function byCodeClass(stats: Stats, metric: string, label: string, value: string): { value: number }[] {
  return CODE_CLASSES.map((c) => stats.counterSeries(metric, { [label]: value, code_class: c }));
}

export function logRequest(rt: Runtime, ctx: RequestContext, o: RequestOutcome): void {
  const durationMs = Date.now() - ctx.startedAt;
  const codeClass = o.status >= 100 && o.status < 600 ? Math.floor(o.status / 100) : 0;
  const series = seriesOf(rt.stats);
  let listener = series.listeners.get(ctx.listenerName);
  if (!listener) {
    listener = {
      requests: byCodeClass(rt.stats, 'downstream_requests_total', 'listener', ctx.listenerName),
      latency: rt.stats.histogramSeries('downstream_request_duration_ms', { listener: ctx.listenerName }),
    };
    series.listeners.set(ctx.listenerName, listener);
  }
  listener.requests[codeClass].value++;
  observeInto(listener.latency, durationMs);
  if (o.cluster) {
    let cluster = series.clusters.get(o.cluster);
    if (!cluster) series.clusters.set(o.cluster, (cluster = byCodeClass(rt.stats, 'upstream_requests_total', 'cluster', o.cluster)));
    cluster[codeClass].value++;
  }
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
    filters: ctx.filterRecords(),
  });
}
