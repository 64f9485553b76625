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

/** Per-listener and per-cluster series, looked up once instead of re-keyed per request. */
const series = new WeakMap<Stats, Map<string, { value: number }[]>>();
const latency = new WeakMap<Stats, Map<string, Histogram>>();

function counters(stats: Stats, metric: string, label: string, value: string): { value: number }[] {
  let byKey = series.get(stats);
  if (!byKey) series.set(stats, (byKey = new Map()));
  const key = `${metric}\0${value}`;
  let list = byKey.get(key);
  if (!list) byKey.set(key, (list = CODE_CLASSES.map((c) => stats.counterSeries(metric, { [label]: value, code_class: c }))));
  return list;
}

function latencyFor(stats: Stats, listener: string): Histogram {
  let byListener = latency.get(stats);
  if (!byListener) latency.set(stats, (byListener = new Map()));
  let h = byListener.get(listener);
  if (!h) byListener.set(listener, (h = stats.histogramSeries('downstream_request_duration_ms', { listener })));
  return h;
}

export function logRequest(rt: Runtime, ctx: RequestContext, o: RequestOutcome): void {
  const durationMs = Date.now() - ctx.startedAt;
  const codeClass = o.status >= 100 && o.status < 600 ? Math.floor(o.status / 100) : 0;
  counters(rt.stats, 'downstream_requests_total', 'listener', ctx.listenerName)[codeClass].value++;
  observeInto(latencyFor(rt.stats, ctx.listenerName), durationMs);
  if (o.cluster) counters(rt.stats, 'upstream_requests_total', 'cluster', o.cluster)[codeClass].value++;
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
