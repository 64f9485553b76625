// Downstream HTTP/2 (h2 over TLS between proxies, h2c from the app). Each stream runs
// the same filters and routing as HTTP/1.1 and goes upstream as a stream on a shared
// HTTP/2 session, so gRPC keeps its trailers and many calls share one connection.
import type * as http2 from 'node:http2';
import * as net from 'node:net';
import { Host } from '../balance/host';
import { ClusterRuntime } from '../outbound/cluster-manager';
import { Runtime } from '../runtime';
import { HttpChain } from './chain';
import { LocalReply } from './filter';
import { Headers, HOP_BY_HOP } from './headers';
import { http2Constants, http2Module } from './http2-module';
import { localReplyHeaders } from './local-reply';
import { BODY_FILTER_LIMIT, BODY_TOO_LARGE, BodyInspection, DownstreamInfo, Flags, prepare, RequestContext, resolveTarget, retriable, runHeaderFilters, takeContinueExpectation } from './request';
import { logRequest } from './request-log';
import { rewritePath } from './route-match';

const NO_BYTES = Buffer.alloc(0);

export class Http2Downstream {
  /** Created with the first HTTP/2 connection, so HTTP/1-only proxies never load node:http2. */
  private server: http2.Http2Server | undefined;
  private readonly sessions = new Set<http2.ServerHttp2Session>();
  /** Set only during accept(): the server emits 'session' synchronously inside emit('connection'). */
  private pendingInfo: DownstreamInfo | undefined;

  constructor(private readonly rt: Runtime, private readonly chain: HttpChain) {}

  /** Take over a socket whose first bytes (already pushed back) are an HTTP/2 preface. */
  accept(socket: net.Socket, info: DownstreamInfo): void {
    this.pendingInfo = info;
    (this.server ??= this.createServer()).emit('connection', socket);
    this.pendingInfo = undefined;
  }

  private createServer(): http2.Http2Server {
    const { rt, chain } = this;
    const server = http2Module().createServer({ maxSessionMemory: 64 });
    server.on('session', (session) => {
      const info = this.pendingInfo as DownstreamInfo;
      this.sessions.add(session);
      session.on('error', () => session.destroy());
      session.on('close', () => this.sessions.delete(session));
      session.setTimeout(chain.hcm.idleTimeoutMs, () => session.close());
      session.on('stream', (stream, headers) => new Http2Exchange(rt, chain, stream, headers, info).start());
    });
    return server;
  }

  drain(): void {
    for (const s of this.sessions) s.close();
  }
}

class Http2Exchange {
  private readonly ctx: RequestContext;
  private upstream: http2.ClientHttp2Stream | undefined;
  private cluster: ClusterRuntime | undefined;
  private host: Host | undefined;
  private status = 0;
  private flags = '';
  private retries = 0;
  private done = false;
  private timer: NodeJS.Timeout | undefined;
  private bytesSent = 0;
  /** The client waits for a 100 (an informational HEADERS frame) before it sends DATA: RFC 9110 §10.1.1 holds for h2 too. */
  private readonly expectContinue: boolean;

  constructor(
    private readonly rt: Runtime,
    private readonly chain: HttpChain,
    private readonly stream: http2.ServerHttp2Stream,
    raw: http2.IncomingHttpHeaders,
    info: DownstreamInfo,
  ) {
    const headers = new Headers();
    for (const name of Object.keys(raw)) {
      if (name[0] === ':') continue;
      const v = raw[name];
      if (Array.isArray(v)) for (const x of v) headers.add(name, x);
      else if (v !== undefined) headers.add(name, v);
    }
    const authority = String(raw[':authority'] ?? raw.host ?? '');
    this.ctx = new RequestContext('h2', String(raw[':method']), authority, String(raw[':path'] ?? '/'), headers, !stream.endAfterHeaders, info, chain.listenerName, rt.store.current);
    this.expectContinue = takeContinueExpectation(headers) && !stream.endAfterHeaders;
    stream.on('error', () => undefined); // reported through 'close'
    stream.on('close', () => this.onDownstreamClose());
  }

  start(): void {
    prepare(this.chain, this.ctx);
    runHeaderFilters(this.chain.filters, this.ctx, (reply) => (reply ? this.reply(reply, Flags.localFilterReply) : this.route()));
  }

  /**
   * Without body filters the body streams upstream (`send(undefined)`); with them it is
   * buffered and judged whole first, verdicts that come as promises included.
   */
  private readBody(send: (body: Buffer | undefined) => void): void {
    if (this.chain.bodyFilters.length === 0) return send(undefined);
    if (!this.ctx.hasBody) return send(NO_BYTES); // filters judged it whole in their header hooks
    const inspection = new BodyInspection(this.chain, this.ctx);
    const chunks: Buffer[] = [];
    let size = 0;
    this.stream.on('data', (chunk: Buffer) => {
      if (this.done) return;
      size += chunk.length;
      if (size > BODY_FILTER_LIMIT) return this.reply(BODY_TOO_LARGE, '');
      const denied = inspection.feed(chunk, false);
      if (denied) return this.reply(denied, Flags.localFilterReply);
      chunks.push(chunk);
    });
    this.stream.on('end', () => {
      if (this.done) return;
      const denied = inspection.feed(NO_BYTES, true);
      if (denied) return this.reply(denied, Flags.localFilterReply);
      // The route timeout, armed already, bounds a verdict that never comes.
      inspection.whenJudged((late) => {
        if (this.done) return;
        if (late) this.reply(late, Flags.localFilterReply);
        else send(Buffer.concat(chunks));
      });
    });
  }

  private route(): void {
    if (this.done) return;
    const target = resolveTarget(this.rt, this.ctx);
    if (target.kind === 'reply') return this.reply(target.reply, target.flag);
    const cluster = target.cluster;
    if (!cluster.config.http2) {
      return this.reply({ status: 503, body: `cluster ${cluster.config.name} does not accept HTTP/2` }, Flags.upstreamProtocolError);
    }
    if (cluster.activeRequests >= cluster.config.circuitBreakers.maxRequests) {
      return this.reply({ status: 503, body: `cluster ${cluster.config.name}: too many active requests` }, Flags.overflow);
    }
    this.cluster = cluster;
    cluster.activeRequests++;
    this.ctx.path = rewritePath(target.route, this.ctx.path);
    if (target.action.timeoutMs > 0) {
      this.timer = setTimeout(() => {
        this.upstream?.close(http2Constants().NGHTTP2_CANCEL);
        this.reply({ status: 504, body: 'upstream request timeout' }, Flags.upstreamTimeout);
      }, target.action.timeoutMs);
    }
    // Only now, with filters and routing done, is the body worth sending.
    if (this.expectContinue && !this.stream.destroyed) this.stream.additionalHeaders({ ':status': 100 });
    const attempt = (body: Buffer | undefined): void => {
      const host = cluster.pickHost(target.hashKey, this.host);
      if (!host) return this.reply({ status: 503, body: `cluster ${cluster.config.name}: no healthy upstream` }, Flags.noHealthyUpstream);
      this.host = host;
      cluster.h2.acquire(host, (err, session) => {
        if (this.done) return;
        if (err || !session) {
          cluster.recordOutcome(host, true);
          const policy = target.action.retryPolicy;
          // Nothing was sent yet, so a connect failure is always safe to retry.
          if (policy && this.retries < policy.numRetries && retriable(target.action, { connectFailure: true })) {
            this.retries++;
            return attempt(body);
          }
          return this.reply({ status: 503, body: `upstream connect error: ${err?.message}` }, Flags.upstreamConnectFailure);
        }
        this.forward(session, body);
      });
    };
    this.readBody(attempt);
  }

  private forward(session: http2.ClientHttp2Session, body: Buffer | undefined): void {
    const out: http2.OutgoingHttpHeaders = {
      ':method': this.ctx.method,
      ':path': this.ctx.path,
      ':authority': this.ctx.authority,
      ':scheme': 'http',
    };
    this.ctx.headers.forEach((n, v) => {
      if (HOP_BY_HOP.has(n) && !(n === 'te' && v === 'trailers')) return;
      const prev = out[n];
      out[n] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [String(prev), v];
    });
    let req: http2.ClientHttp2Stream;
    try {
      req = session.request(out);
    } catch (e) {
      return this.reply({ status: 503, body: `upstream stream error: ${(e as Error).message}` }, Flags.upstreamReset);
    }
    this.upstream = req;
    const host = this.host as Host;
    host.activeRequests++;
    let trailers: http2.IncomingHttpHeaders | undefined;
    req.on('response', (headers, flags) => {
      if (this.done) return;
      const status = Number(headers[':status']);
      this.status = status;
      this.cluster?.recordOutcome(host, status >= 500);
      const resHeaders = new Headers();
      for (const name of Object.keys(headers)) {
        const v = headers[name];
        if (name[0] === ':' || v === undefined) continue;
        for (const x of Array.isArray(v) ? v : [String(v)]) resHeaders.add(name, x);
      }
      const response = { status, headers: resHeaders };
      for (const f of this.chain.responseFilters) {
        try {
          f.onResponseHeaders?.(this.ctx, response);
        } catch {
          // A response filter must not break a response already on its way.
        }
      }
      const endStream = (flags & http2Constants().NGHTTP2_FLAG_END_STREAM) !== 0;
      const outHeaders: http2.OutgoingHttpHeaders = { ':status': response.status };
      resHeaders.forEach((n, v) => {
        if (HOP_BY_HOP.has(n)) return;
        const prev = outHeaders[n];
        outHeaders[n] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [String(prev), v];
      });
      this.stream.respond(outHeaders, { endStream, waitForTrailers: !endStream });
      if (!endStream) {
        this.stream.on('wantTrailers', () => this.stream.sendTrailers(stripPseudo(trailers)));
        req.on('data', (d: Buffer) => (this.bytesSent += d.length));
        req.pipe(this.stream);
      }
    });
    req.on('trailers', (t) => (trailers = t));
    req.on('error', () => undefined); // handled on 'close'
    req.on('close', () => {
      host.activeRequests--;
      if (this.done) return;
      if (req.rstCode && req.rstCode !== http2Constants().NGHTTP2_NO_ERROR) {
        this.cluster?.recordOutcome(host, true);
        if (this.status === 0) return this.reply({ status: 503, body: `upstream reset (code ${req.rstCode})` }, Flags.upstreamReset);
        this.flags = Flags.upstreamReset;
        this.stream.close(http2Constants().NGHTTP2_INTERNAL_ERROR);
      }
      this.finish();
    });
    // end(emptyBuffer) left bodiless requests (a GET through a body-inspecting filter) hanging: end with no data.
    if (body !== undefined) req.end(body.length > 0 ? body : undefined);
    else this.stream.pipe(req);
  }

  private reply(reply: LocalReply, flag: string): void {
    if (this.done) return;
    this.status = reply.status;
    this.flags = flag;
    if (!this.stream.headersSent && !this.stream.destroyed) {
      this.stream.respond({ ':status': reply.status, ...localReplyHeaders(reply, flag) });
      this.stream.end(reply.body ?? '');
    } else {
      this.stream.close(http2Constants().NGHTTP2_INTERNAL_ERROR);
    }
    this.upstream?.close(http2Constants().NGHTTP2_CANCEL);
    this.finish();
  }

  private onDownstreamClose(): void {
    if (this.done) return;
    this.flags = this.flags || Flags.downstreamTerminated;
    this.upstream?.close(http2Constants().NGHTTP2_CANCEL);
    this.finish();
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.timer);
    if (this.cluster) this.cluster.activeRequests--;
    logRequest(this.rt, this.ctx, { status: this.status, flags: this.flags, cluster: this.cluster?.config.name, host: this.host?.key, bytesSent: this.bytesSent });
  }
}

function stripPseudo(t: http2.IncomingHttpHeaders | undefined): http2.OutgoingHttpHeaders {
  const out: http2.OutgoingHttpHeaders = {};
  for (const k of Object.keys(t ?? {})) if (k[0] !== ':') out[k] = (t as http2.IncomingHttpHeaders)[k];
  return out;
}
