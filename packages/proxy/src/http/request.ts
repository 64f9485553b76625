// Codec-independent request handling: the filter context, running the filter chain,
// and turning the matched route into either a local reply or an upstream target.
import { randomUUID } from 'node:crypto';
import { HashPolicy, Route, RouteAction } from '../config/model';
import { ConfigView } from '../config/store';
import { ClusterRuntime } from '../outbound/cluster-manager';
import { Runtime } from '../runtime';
import { HttpChain } from './chain';
import { FilterResult, HttpFilter, HttpFilterContext, isLocalReply, LocalReply, PeerInfo } from './filter';
import { Headers } from './headers';
import { pickWeighted, selectRoute } from './route-match';

/** Envoy-style response flags, reported in `x-trellis-response-flags` and the access log. */
export const Flags = {
  noRoute: 'NR',
  noCluster: 'NC',
  noHealthyUpstream: 'UH',
  upstreamConnectFailure: 'UF',
  upstreamReset: 'UC',
  upstreamTimeout: 'UT',
  overflow: 'UO',
  retryLimitExceeded: 'URX',
  upstreamProtocolError: 'UPE',
  downstreamTerminated: 'DC',
  localFilterReply: 'FL',
} as const;

export interface DownstreamInfo {
  peer: PeerInfo;
  local: { address: string; port: number };
  sni?: string;
}

export class RequestContext implements HttpFilterContext {
  route: Route | undefined;
  readonly requestId: string;
  readonly peer: PeerInfo;
  readonly local: { address: string; port: number };
  readonly sni?: string;
  private meta: Map<string, unknown> | undefined;
  readonly startedAt = Date.now();
  readonly view: ConfigView;

  constructor(
    readonly protocol: 'http/1.1' | 'h2',
    readonly method: string,
    readonly authority: string,
    public path: string,
    readonly headers: Headers,
    readonly hasBody: boolean,
    downstream: DownstreamInfo,
    readonly listenerName: string,
    view: ConfigView,
  ) {
    this.peer = downstream.peer;
    this.local = downstream.local;
    this.sni = downstream.sni;
    this.view = view;
    let id = headers.get('x-request-id');
    if (!id) {
      id = randomUUID();
      headers.set('x-request-id', id);
    }
    this.requestId = id;
  }

  /** Created on first use: most requests never touch it. */
  get metadata(): Map<string, unknown> {
    return (this.meta ??= new Map());
  }

  /** What filters recorded (RBAC decision, WAF and OpenAPI audit events), for the access log. */
  filterRecords(): Record<string, unknown> | undefined {
    return this.meta && this.meta.size > 0 ? Object.fromEntries(this.meta) : undefined;
  }
}

/** Route first (filters see the route, like Envoy's cached route), then sanitise forwarded identity. */
export function prepare(chain: HttpChain, ctx: RequestContext): void {
  const rc = chain.routeConfig(ctx.view);
  ctx.route = rc ? selectRoute(rc, ctx.authority, ctx.path, ctx.headers) : undefined;
  if (chain.hcm.forwardClientCertDetails) {
    // Only the proxy may assert who the caller is: drop anything the client sent.
    ctx.headers.delete('x-forwarded-client-cert');
    if (ctx.peer.spiffeId) ctx.headers.set('x-forwarded-client-cert', `URI=${ctx.peer.spiffeId}`);
  }
}

/** Run request-header filters in order; synchronous filters never cost a promise. */
export function runHeaderFilters(filters: readonly HttpFilter[], ctx: HttpFilterContext, done: (reply?: LocalReply) => void, from = 0): void {
  for (let i = from; i < filters.length; i++) {
    let r: FilterResult | Promise<FilterResult>;
    try {
      r = filters[i].onRequestHeaders(ctx);
    } catch (e) {
      return done(filterFailure(e));
    }
    if (r instanceof Promise) {
      r.then(
        (res) => (isLocalReply(res) ? done(res.localReply) : runHeaderFilters(filters, ctx, done, i + 1)),
        (e) => done(filterFailure(e)),
      );
      return;
    }
    if (isLocalReply(r)) return done(r.localReply);
  }
  done();
}

/** Body filters (WAF) see the whole body; a larger body is refused, by either codec, with this reply. */
export const BODY_FILTER_LIMIT = 1024 * 1024;
export const BODY_TOO_LARGE: LocalReply = { status: 413, body: 'request body too large for inspection' };

/**
 * One request's body through the body filters, chunk by chunk. Synchronous denials come back
 * at once; verdicts that come as promises are collected, and `whenJudged` waits for them all.
 */
export class BodyInspection {
  private pending: Promise<LocalReply | undefined>[] | undefined;
  /** The filters the request started with: a config change mid-body must not skip a verdict. */
  private readonly filters: readonly HttpFilter[];

  constructor(chain: HttpChain, private readonly ctx: HttpFilterContext) {
    this.filters = chain.bodyFilters;
  }

  /** A denial decided synchronously, or undefined (deferred verdicts wait for `whenJudged`). */
  feed(chunk: Buffer, end: boolean): LocalReply | undefined {
    for (const f of this.filters) {
      let r: FilterResult | Promise<FilterResult>;
      try {
        r = (f.onRequestBody as NonNullable<HttpFilter['onRequestBody']>)(this.ctx, chunk, end);
      } catch (e) {
        return filterFailure(e);
      }
      if (r instanceof Promise) (this.pending ??= []).push(r.then((res) => (isLocalReply(res) ? res.localReply : undefined), filterFailure));
      else if (isLocalReply(r)) return r.localReply;
    }
    return undefined;
  }

  /** `done` gets the first deferred denial, in chunk and filter order, once every verdict is in. */
  whenJudged(done: (reply?: LocalReply) => void): void {
    const pending = this.pending;
    if (!pending) return done();
    this.pending = undefined;
    void Promise.all(pending).then((replies) => done(replies.find((r) => r !== undefined)));
  }
}

/**
 * Strips `Expect: 100-continue` and says whether the client sent it. Like Envoy without
 * proxy_100_continue, the proxy answers the expectation itself (once its filters let the
 * request through) instead of asking the upstream, which then never sees the header.
 */
export function takeContinueExpectation(headers: Headers): boolean {
  const expect = headers.get('expect');
  if (expect === undefined || expect.trim().toLowerCase() !== '100-continue') return false;
  headers.delete('expect');
  return true;
}

function filterFailure(e: unknown): LocalReply {
  return { status: 500, body: `http filter failed: ${(e as Error)?.message ?? String(e)}` };
}

export type Target =
  | { kind: 'reply'; reply: LocalReply; flag: string }
  | { kind: 'upstream'; route: Route; action: RouteAction; cluster: ClusterRuntime; hashKey: string | undefined };

export function resolveTarget(rt: Runtime, ctx: RequestContext): Target {
  const route = ctx.route;
  if (!route) return { kind: 'reply', reply: { status: 404, body: `no route for ${ctx.authority}${ctx.path}` }, flag: Flags.noRoute };
  if (route.directResponse) {
    return { kind: 'reply', reply: { status: route.directResponse.status, body: route.directResponse.body }, flag: '' };
  }
  const action = route.route as RouteAction;
  const name = action.cluster ?? pickWeighted(action.weightedClusters ?? []);
  const cluster = rt.clusters.get(name);
  if (!cluster) return { kind: 'reply', reply: { status: 503, body: `cluster ${name} not found` }, flag: Flags.noCluster };
  return { kind: 'upstream', route, action, cluster, hashKey: hashKey(action.hashPolicy, ctx) };
}

function hashKey(policies: HashPolicy[] | undefined, ctx: RequestContext): string | undefined {
  for (const p of policies ?? []) {
    const key = 'header' in p ? ctx.headers.get(p.header) : ctx.peer.address;
    if (key !== undefined) return key;
  }
  return undefined;
}

/** Whether a failed attempt may be retried under the route's retry_on list. */
export function retriable(action: RouteAction, failure: { status?: number; connectFailure?: boolean; reset?: boolean }): boolean {
  const on = action.retryPolicy?.retryOn;
  if (!on || on.length === 0) return false;
  if (failure.connectFailure) return on.includes('connect-failure') || on.includes('5xx') || on.includes('gateway-error');
  if (failure.reset) return on.includes('reset') || on.includes('5xx');
  const s = failure.status ?? 0;
  if (s >= 500 && on.includes('5xx')) return true;
  if ((s === 502 || s === 503 || s === 504) && on.includes('gateway-error')) return true;
  return on.includes('retriable-status-codes') && (action.retryPolicy?.retriableStatusCodes ?? []).includes(s);
}
