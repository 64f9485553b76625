// One HTTP/1.1 request through the proxy: filters → route → pick host → pooled
// upstream connection → forward the head and the body bytes verbatim → parse the
// response head → forward the response body verbatim. Retries, per-try and route
// timeouts, circuit breakers and outlier reporting live here because they all hinge
// on one question: has anything been sent to the client yet?
import { RouteAction } from '../config/model';
import { Host } from '../balance/host';
import { ClusterRuntime } from '../outbound/cluster-manager';
import { UpstreamConnection, UpstreamHandler } from '../pool/h1-pool';
import { Runtime } from '../runtime';
import { HttpChain } from './chain';
import { LocalReply } from './filter';
import {
  BodyTracker, findHeadEnd, HttpParseError, parseResponseHead, RequestHead, ResponseHead, serializeRequestHead, serializeResponseHead,
} from './h1-codec';
import { Http1ServerConnection } from './h1-connection';
import { writeLocalReply } from './local-reply';
import { BODY_FILTER_LIMIT, BODY_TOO_LARGE, BodyInspection, Flags, prepare, RequestContext, resolveTarget, retriable, runHeaderFilters, takeContinueExpectation } from './request';
import { rewritePath } from './route-match';
import { logRequest } from './request-log';

/** Request bodies up to this size are kept so the request can be retried. */
const REPLAY_LIMIT = 64 * 1024;
const MAX_RESPONSE_HEAD = 64 * 1024;
const RETRY_BASE_MS = 25;
const CONTINUE = Buffer.from('HTTP/1.1 100 Continue\r\n\r\n');

const enum State {
  Filters,
  Connecting,
  Sent,
  ResponseBody,
  Done,
}

export class Http1Exchange implements UpstreamHandler {
  receivingBody: boolean;
  private readonly ctx: RequestContext;
  private readonly body: BodyTracker;
  /** Present when body filters run: they judge the whole body before anything goes upstream. */
  private readonly inspection: BodyInspection | undefined;
  /** Body filters only see chunks once every header filter continued; until then chunks wait here. */
  private headersAllowed = false;
  /** The client waits for our `100 Continue` before it sends the body. */
  private expectContinue: boolean;
  private bodyChunks: Buffer[] = [];
  private bodyBytes = 0;
  private replayable = true;
  private state = State.Filters;
  private cluster: ClusterRuntime | undefined;
  private action: RouteAction | undefined;
  private hashKey: string | undefined;
  private host: Host | undefined;
  private upstream: UpstreamConnection | undefined;
  private resHead: Buffer | null = null;
  private response: ResponseHead | undefined;
  private resBody: BodyTracker | undefined;
  private upstreamReusable = true;
  private responseStarted = false;
  private retries = 0;
  private staleRetried = false;
  private status = 0;
  private flags = '';
  private bytesSent = 0;
  private tryTimer: NodeJS.Timeout | undefined;
  private waitingForBody = false;
  private hostActive = false;
  private clusterCounted = false;
  private readonly onAcquired = (err: Error | null, conn?: UpstreamConnection, overflow?: boolean): void =>
    this.acquired(err, conn, overflow);

  constructor(
    private readonly rt: Runtime,
    private readonly chain: HttpChain,
    private readonly conn: Http1ServerConnection,
    private readonly head: RequestHead,
    private readonly leftover: Buffer,
  ) {
    let authority = head.headers.get('host') ?? '';
    let path = head.target;
    if (!path.startsWith('/') && path !== '*') {
      // absolute-form (RFC 9112 §3.2.2): the target's authority wins over Host.
      try {
        const url = new URL(path);
        authority = url.host;
        path = url.pathname + url.search;
      } catch {
        path = '/';
      }
    }
    this.body = new BodyTracker(head.framing, 400);
    this.receivingBody = !this.body.done;
    this.ctx = new RequestContext('http/1.1', head.method, authority, path, head.headers, this.receivingBody, conn.info, chain.listenerName, rt.store.current);
    if (chain.bodyFilters.length > 0) this.inspection = new BodyInspection(chain, this.ctx);
    // HTTP/1.0 clients get no interim responses (RFC 9110 §10.1.1): their expectation is only dropped.
    this.expectContinue = takeContinueExpectation(head.headers) && head.minorVersion >= 1 && this.receivingBody;
  }

  start(): void {
    prepare(this.chain, this.ctx);
    if (this.leftover.length > 0) {
      const used = this.onRequestBody(this.leftover);
      if (used < this.leftover.length) this.conn.park(this.leftover.subarray(used));
    }
    if (this.state === State.Done) return;
    runHeaderFilters(this.chain.filters, this.ctx, (reply) => (reply ? this.reply(reply, Flags.localFilterReply) : this.onHeadersAllowed()));
  }

  /** Body filters now see the chunks that came while header filters ran, then the request is routed. */
  private onHeadersAllowed(): void {
    if (this.state === State.Done) return;
    this.headersAllowed = true;
    if (this.inspection) {
      const last = this.bodyChunks.length - 1;
      for (let i = 0; i <= last; i++) {
        const denied = this.inspection.feed(this.bodyChunks[i], i === last && !this.receivingBody);
        if (denied) return this.reply(denied, Flags.localFilterReply);
      }
    }
    this.route();
  }

  /** Downstream body bytes; returns how many belong to this request (the rest is the next request). */
  onRequestBody(chunk: Buffer): number {
    if (!this.receivingBody || this.state === State.Done) return 0;
    let used: number;
    try {
      used = this.body.consume(chunk, 0);
    } catch (e) {
      this.reply({ status: (e as HttpParseError).status ?? 400, body: (e as Error).message }, '');
      return chunk.length;
    }
    const piece = used === chunk.length ? chunk : chunk.subarray(0, used);
    if (this.body.done) this.receivingBody = false;
    // A client that sends the body without waiting needs no interim response (RFC 9110 §10.1.1).
    this.expectContinue = false;
    if (this.inspection) {
      if (this.bodyBytes + piece.length > BODY_FILTER_LIMIT) {
        this.reply(BODY_TOO_LARGE, '');
        return used;
      }
      const denied = this.headersAllowed ? this.inspection.feed(piece, !this.receivingBody) : undefined;
      if (denied) {
        this.reply(denied, Flags.localFilterReply);
        return used;
      }
    }
    if (this.upstream && this.state >= State.Sent) {
      this.keepForReplay(piece);
      if (!this.upstream.socket.write(piece)) this.conn.socket.pause();
    } else {
      this.bodyChunks.push(piece);
      this.bodyBytes += piece.length;
      // Not connected yet (or body filters still deciding): stop reading past the replay window.
      if (this.bodyBytes > REPLAY_LIMIT && !this.inspection) this.conn.socket.pause();
    }
    if (!this.receivingBody && this.waitingForBody) {
      this.waitingForBody = false;
      this.afterVerdicts();
    }
    return used;
  }

  private keepForReplay(piece: Buffer): void {
    if (!this.replayable) return;
    this.bodyBytes += piece.length;
    if (this.bodyBytes > REPLAY_LIMIT) {
      this.replayable = false;
      this.bodyChunks = [];
    } else {
      this.bodyChunks.push(piece);
    }
  }

  private route(): void {
    if (this.state === State.Done) return;
    const target = resolveTarget(this.rt, this.ctx);
    if (target.kind === 'reply') return this.reply(target.reply, target.flag);
    const { cluster, action } = target;
    this.cluster = cluster;
    this.action = action;
    this.hashKey = target.hashKey;
    if (cluster.activeRequests >= cluster.config.circuitBreakers.maxRequests) {
      this.rt.stats.inc('upstream_overflow_total', { cluster: cluster.config.name, breaker: 'max_requests' });
      return this.reply({ status: 503, body: `cluster ${cluster.config.name}: too many active requests` }, Flags.overflow);
    }
    cluster.activeRequests++;
    this.clusterCounted = true;
    this.ctx.path = rewritePath(target.route, this.ctx.path);
    if (action.timeoutMs > 0) this.conn.routeTimer.arm(action.timeoutMs);
    if (this.expectContinue) {
      this.expectContinue = false;
      this.conn.socket.write(CONTINUE);
    }
    if (!this.inspection) this.attempt();
    else if (this.receivingBody) this.waitingForBody = true;
    else this.afterVerdicts();
  }

  /** Body filters may judge off the event loop; the route timeout bounds the wait. */
  private afterVerdicts(): void {
    (this.inspection as BodyInspection).whenJudged((denied) => {
      if (this.state !== State.Filters) return; // timed out, or the client left, meanwhile
      if (denied) this.reply(denied, Flags.localFilterReply);
      else this.attempt();
    });
  }

  private attempt(): void {
    const cluster = this.cluster as ClusterRuntime;
    const host = cluster.pickHost(this.hashKey, this.retries > 0 ? this.host : undefined);
    if (!host) return this.reply({ status: 503, body: `cluster ${cluster.config.name}: no healthy upstream` }, Flags.noHealthyUpstream);
    this.host = host;
    this.state = State.Connecting;
    this.resHead = null;
    const perTry = this.action?.retryPolicy?.perTryTimeoutMs;
    if (perTry) this.tryTimer = setTimeout(() => this.onTryTimeout(), perTry);
    cluster.h1.acquire(host, this.onAcquired);
  }

  private acquired(err: Error | null, conn?: UpstreamConnection, overflow?: boolean): void {
    if (this.state !== State.Connecting) {
      // The request ended while we waited (timeout, client gone): hand the connection back.
      if (conn) this.cluster?.h1.release(conn, true);
      return;
    }
    const cluster = this.cluster as ClusterRuntime;
    const host = this.host as Host;
    if (err || !conn) {
      if (overflow) {
        this.rt.stats.inc('upstream_overflow_total', { cluster: cluster.config.name, breaker: 'max_pending_requests' });
        return this.reply({ status: 503, body: `cluster ${cluster.config.name}: connection pool overflow` }, Flags.overflow);
      }
      this.rt.stats.inc('upstream_connect_failures_total', { cluster: cluster.config.name });
      cluster.recordOutcome(host, true);
      return this.failAttempt({ connectFailure: true }, Flags.upstreamConnectFailure, 503, `upstream connect error: ${err?.message}`);
    }
    this.upstream = conn;
    conn.handler = this;
    conn.uses++;
    host.activeRequests++;
    this.hostActive = true;
    this.state = State.Sent;
    const headBytes = serializeRequestHead(this.ctx.method, this.ctx.path, this.ctx.headers, this.head.framing, this.head.minorVersion);
    const out = this.bodyChunks.length > 0 ? Buffer.concat([headBytes, ...this.bodyChunks]) : headBytes;
    if (this.bodyBytes > REPLAY_LIMIT) {
      this.replayable = false;
      this.bodyChunks = [];
    }
    conn.socket.write(out);
    if (this.conn.socket.isPaused() && this.receivingBody) this.conn.socket.resume();
  }

  onUpstreamData(conn: UpstreamConnection, data: Buffer): void {
    if (this.state === State.ResponseBody) return this.forwardBody(data, 0);
    if (this.state !== State.Sent) return;
    const prev = this.resHead ? this.resHead.length : 0;
    const buf = this.resHead ? Buffer.concat([this.resHead, data]) : data;
    const end = findHeadEnd(buf, prev);
    if (end < 0) {
      if (buf.length > MAX_RESPONSE_HEAD) return this.protocolError('upstream response head too large');
      this.resHead = buf;
      return;
    }
    this.resHead = null;
    let res: ResponseHead;
    try {
      res = parseResponseHead(buf, end, this.ctx.method);
    } catch (e) {
      return this.protocolError((e as Error).message);
    }
    if (res.status < 200) {
      if (res.status === 101) return this.protocolError('protocol upgrades are not supported');
      // 100 Continue is the proxy's own to give (the upstream never sees an expectation); other
      // interim responses (103 Early Hints) reach HTTP/1.1 clients, never HTTP/1.0 ones (RFC 9110 §15.2).
      if (res.status !== 100 && this.head.minorVersion >= 1) this.conn.socket.write(buf.subarray(0, end));
      if (end < buf.length) this.onUpstreamData(conn, buf.subarray(end));
      return;
    }
    clearTimeout(this.tryTimer);
    const cluster = this.cluster as ClusterRuntime;
    const failed = res.status >= 500;
    cluster.recordOutcome(this.host as Host, failed);
    if (failed && this.canRetry({ status: res.status })) {
      this.detachUpstream(false);
      return this.scheduleRetry();
    }
    this.response = res;
    this.status = res.status;
    for (const f of this.chain.responseFilters) {
      try {
        f.onResponseHeaders?.(this.ctx, res);
      } catch {
        // A response filter must not break a response that is already on its way.
      }
    }
    const keepAlive = this.downstreamKeepAlive() && res.framing.kind !== 'close';
    this.state = State.ResponseBody;
    this.responseStarted = true;
    this.resBody = new BodyTracker(res.framing, 502);
    // Head and the body bytes that came with it go out in one write: one TLS record, one syscall.
    let n = 0;
    try {
      n = this.resBody.consume(buf, end);
    } catch (e) {
      const head = serializeResponseHead(res.status, res.reason, res.headers, res.framing, !keepAlive);
      this.bytesSent += head.length;
      this.conn.socket.write(head);
      this.flags = Flags.upstreamProtocolError;
      return this.abort((e as Error).message);
    }
    const out = serializeResponseHead(res.status, res.reason, res.headers, res.framing, !keepAlive, n > 0 ? buf.subarray(end, end + n) : undefined);
    this.bytesSent += out.length;
    const ok = this.conn.socket.write(out);
    if (this.resBody.done) {
      if (end + n < buf.length) this.upstreamReusable = false;
      return this.finish();
    }
    if (!ok) conn.socket.pause();
  }

  private forwardBody(buf: Buffer, from: number): void {
    const tracker = this.resBody as BodyTracker;
    let n: number;
    try {
      n = tracker.consume(buf, from);
    } catch (e) {
      this.flags = Flags.upstreamProtocolError;
      return this.abort((e as Error).message);
    }
    if (n > 0) {
      this.bytesSent += n;
      const piece = from === 0 && n === buf.length ? buf : buf.subarray(from, from + n);
      if (!this.conn.socket.write(piece)) this.upstream?.socket.pause();
    }
    if (tracker.done) {
      if (from + n < buf.length) this.upstreamReusable = false;
      this.finish();
    }
  }

  onUpstreamDrain(): void {
    this.conn.socket.resume();
  }

  onDownstreamDrain(): void {
    this.upstream?.socket.resume();
  }

  onUpstreamClose(conn: UpstreamConnection, error: Error | undefined): void {
    this.upstream = undefined;
    this.releaseHostCount();
    if (this.state === State.ResponseBody && this.response?.framing.kind === 'close') return this.finish();
    if (this.state === State.Done) return;
    const why = error ? error.message : 'connection closed';
    if (this.responseStarted) {
      this.flags = Flags.upstreamReset;
      return this.abort(`upstream reset mid-response: ${why}`);
    }
    // A reused keep-alive connection the server closed just as we sent: safe to replay once.
    if (conn.uses > 1 && !this.staleRetried && this.replayable && !this.receivingBody) {
      this.staleRetried = true;
      clearTimeout(this.tryTimer);
      return this.attempt();
    }
    this.cluster?.recordOutcome(conn.host, true);
    this.failAttempt({ reset: true }, Flags.upstreamReset, 503, `upstream reset before response: ${why}`);
  }

  onDownstreamClose(): void {
    if (this.state === State.Done) return;
    this.flags = this.flags || Flags.downstreamTerminated;
    this.detachUpstream(false);
    this.cleanup();
    this.log();
  }

  private canRetry(failure: { status?: number; connectFailure?: boolean; reset?: boolean }): boolean {
    const policy = this.action?.retryPolicy;
    const cluster = this.cluster;
    if (!policy || !cluster || this.responseStarted || !this.replayable || this.receivingBody) return false;
    if (this.retries >= policy.numRetries || !retriable(this.action as RouteAction, failure)) return false;
    if (cluster.activeRetries >= cluster.config.circuitBreakers.maxRetries) {
      this.rt.stats.inc('upstream_overflow_total', { cluster: cluster.config.name, breaker: 'max_retries' });
      return false;
    }
    return true;
  }

  private scheduleRetry(): void {
    const cluster = this.cluster as ClusterRuntime;
    this.retries++;
    cluster.activeRetries++;
    this.rt.stats.inc('upstream_retries_total', { cluster: cluster.config.name });
    this.state = State.Connecting;
    clearTimeout(this.tryTimer);
    // Jittered exponential backoff, as Envoy's default 25 ms base interval.
    const delay = Math.random() * RETRY_BASE_MS * 2 ** (this.retries - 1);
    this.tryTimer = setTimeout(() => {
      cluster.activeRetries--;
      if (this.state === State.Connecting) this.attempt();
    }, delay);
  }

  private failAttempt(failure: { connectFailure?: boolean; reset?: boolean; status?: number }, flag: string, status: number, body: string): void {
    this.detachUpstream(false);
    if (this.canRetry(failure)) return this.scheduleRetry();
    const exhausted = this.retries > 0 ? `,${Flags.retryLimitExceeded}` : '';
    this.reply({ status, body }, flag + exhausted);
  }

  private onTryTimeout(): void {
    if (this.state !== State.Sent && this.state !== State.Connecting) return;
    if (this.state === State.Connecting) this.cluster?.h1.cancel(this.onAcquired);
    this.cluster?.recordOutcome(this.host as Host, true);
    this.failAttempt({ status: 504 }, Flags.upstreamTimeout, 504, 'upstream per-try timeout');
  }

  onRouteTimeout(): void {
    if (this.state === State.Done) return;
    if (this.state === State.Connecting) this.cluster?.h1.cancel(this.onAcquired);
    if (this.responseStarted) {
      this.flags = Flags.upstreamTimeout;
      return this.abort('route timeout mid-response');
    }
    this.detachUpstream(false);
    this.reply({ status: 504, body: 'upstream request timeout' }, Flags.upstreamTimeout);
  }

  private protocolError(message: string): void {
    this.cluster?.recordOutcome(this.host as Host, true);
    this.detachUpstream(false);
    this.reply({ status: 502, body: `upstream protocol error: ${message}` }, Flags.upstreamProtocolError);
  }

  private downstreamKeepAlive(): boolean {
    return this.head.keepAlive && !this.receivingBody && !this.conn.isDraining;
  }

  /** Send a local reply (or reset, if the response already started) and end the exchange. */
  private reply(reply: LocalReply, flag: string): void {
    if (this.state === State.Done) return;
    if (this.responseStarted) {
      this.flags = flag;
      return this.abort(reply.body ?? '');
    }
    this.detachUpstream(false);
    this.status = reply.status;
    this.flags = flag;
    const keepAlive = this.downstreamKeepAlive();
    this.bytesSent += writeLocalReply(this.conn.socket, reply, flag, !keepAlive);
    this.cleanup();
    this.log();
    this.conn.exchangeDone(keepAlive);
  }

  private finish(): void {
    if (this.state === State.Done) return;
    const keepAlive = this.downstreamKeepAlive() && this.response?.framing.kind !== 'close';
    this.detachUpstream(this.upstreamReusable && this.response?.keepAlive === true && !this.receivingBody);
    this.cleanup();
    this.log();
    this.conn.exchangeDone(keepAlive);
  }

  /** Something broke after the response started: the only honest signal left is a reset. */
  private abort(reason: string): void {
    if (this.state === State.Done) return;
    this.detachUpstream(false);
    this.cleanup();
    this.ctx.metadata.set('abort_reason', reason);
    this.log();
    this.conn.socket.destroy();
  }

  private detachUpstream(reusable: boolean): void {
    clearTimeout(this.tryTimer);
    const up = this.upstream;
    if (!up) return;
    this.upstream = undefined;
    this.releaseHostCount();
    if (up.socket.isPaused()) up.socket.resume();
    if (reusable) this.cluster?.h1.release(up, true);
    else {
      up.handler = null;
      up.socket.destroy();
    }
  }

  private releaseHostCount(): void {
    if (this.hostActive && this.host) this.host.activeRequests--;
    this.hostActive = false;
  }

  private cleanup(): void {
    if (this.state === State.Connecting) this.cluster?.h1.cancel(this.onAcquired);
    this.state = State.Done;
    this.conn.routeTimer.disarm();
    clearTimeout(this.tryTimer);
    if (this.clusterCounted && this.cluster) this.cluster.activeRequests--;
    this.clusterCounted = false;
    this.bodyChunks = [];
    if (this.conn.socket.isPaused() && !this.conn.socket.destroyed) this.conn.socket.resume();
  }

  private log(): void {
    logRequest(this.rt, this.ctx, { status: this.status, flags: this.flags, cluster: this.cluster?.config.name, host: this.host?.key, bytesSent: this.bytesSent });
  }
}
