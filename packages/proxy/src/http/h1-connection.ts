// Downstream HTTP/1.1 connection manager: reads request heads (bounded in size and
// time), hands each request to an Http1Exchange, and handles keep-alive and
// pipelining by parking bytes that arrive before the current response is done.
import * as net from 'node:net';
import { Runtime } from '../runtime';
import { HttpChain } from './chain';
import { findHeadEnd, HttpParseError, parseRequestHead } from './h1-codec';
import { Http1Exchange } from './h1-exchange';
import { DownstreamInfo } from './request';
import { writeLocalReply } from './local-reply';
import { ReusableTimer } from './reusable-timer';

const BARE_LF_END = Buffer.from('\n\n');

export class Http1ServerConnection {
  private head: Buffer | null = null;
  private parked: Buffer | null = null;
  private exchange: Http1Exchange | null = null;
  /** Idle timer between requests, header timer while a head is incomplete. */
  private readonly timer = new ReusableTimer(() => this.onTimeout());
  /** The current exchange's route timeout, one timer for all the connection's requests. */
  readonly routeTimer = new ReusableTimer(() => this.exchange?.onRouteTimeout());
  private waitingForHead = false;
  private draining = false;

  constructor(
    private readonly rt: Runtime,
    private readonly chain: HttpChain,
    readonly socket: net.Socket,
    readonly info: DownstreamInfo,
    private readonly onDone: (conn: Http1ServerConnection) => void,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('drain', () => this.exchange?.onDownstreamDrain());
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      this.timer.stop();
      this.routeTimer.stop();
      this.exchange?.onDownstreamClose();
      this.onDone(this);
    });
    this.armTimer(chain.hcm.idleTimeoutMs);
  }

  /** Feed bytes that were read before this manager took over the socket (protocol sniffing). */
  start(initial: Buffer | undefined): void {
    if (initial && initial.length > 0) this.onData(initial);
  }

  /** Stop taking new requests: close when idle, or after the in-flight response. */
  drain(): void {
    this.draining = true;
    if (!this.exchange) this.socket.end();
  }

  get isDraining(): boolean {
    return this.draining;
  }

  private onTimeout(): void {
    if (this.exchange) return; // the exchange enforces its own route timeout
    if (this.waitingForHead) {
      this.rt.stats.inc('downstream_request_header_timeouts_total', { listener: this.chain.listenerName });
      writeLocalReply(this.socket, { status: 408, body: 'request header timeout' }, '', true);
    } else {
      this.socket.end();
    }
  }

  private onData(chunk: Buffer): void {
    if (this.exchange) {
      const used = this.exchange.receivingBody ? this.exchange.onRequestBody(chunk) : 0;
      if (used < chunk.length) this.park(chunk.subarray(used));
      return;
    }
    const prev = this.head ? this.head.length : 0;
    const buf = this.head ? Buffer.concat([this.head, chunk]) : chunk;
    const end = findHeadEnd(buf, prev);
    const limit = this.chain.hcm.maxRequestHeadersBytes;
    if (end < 0 || end > limit) {
      if (end > limit || buf.length > limit) return this.reject(new HttpParseError(431, 'request header fields too large'));
      // A head with bare LF line endings would never complete: say so now instead of timing out.
      if (end < 0 && buf.indexOf(BARE_LF_END) >= 0) return this.reject(new HttpParseError(400, 'bare LF in message head'));
      this.head = buf;
      if (!this.waitingForHead) {
        // Slow clients get requestHeadersTimeoutMs for the whole head, not per byte.
        this.waitingForHead = true;
        this.armTimer(this.chain.hcm.requestHeadersTimeoutMs);
      }
      return;
    }
    this.head = null;
    this.waitingForHead = false;
    // Left running through the exchange (onTimeout ignores it then) so finishing only refreshes it.
    let request;
    try {
      request = parseRequestHead(buf, end);
    } catch (e) {
      return this.reject(e as HttpParseError);
    }
    this.exchange = new Http1Exchange(this.rt, this.chain, this, request, buf.subarray(end));
    this.exchange.start();
  }

  private armTimer(ms: number): void {
    this.timer.arm(ms);
  }

  private reject(e: HttpParseError | Error): void {
    const status = e instanceof HttpParseError ? e.status : 400;
    this.rt.stats.inc('downstream_bad_requests_total', { listener: this.chain.listenerName, status: String(status) });
    this.head = null;
    this.waitingForHead = false;
    this.timer.disarm();
    this.socket.removeAllListeners('data');
    writeLocalReply(this.socket, { status, body: e.message }, '', true);
  }

  /** Bytes of the next pipelined request: hold them (and stop reading) until the response is done. */
  park(bytes: Buffer): void {
    this.parked = this.parked ? Buffer.concat([this.parked, bytes]) : bytes;
    this.socket.pause();
  }

  /** Called by the exchange when its response has been fully written. */
  exchangeDone(keepAlive: boolean): void {
    this.exchange = null;
    if (!keepAlive || this.draining) {
      this.socket.end();
      return;
    }
    this.armTimer(this.chain.hcm.idleTimeoutMs);
    const parked = this.parked;
    if (!parked) return;
    this.parked = null;
    this.socket.resume();
    this.onData(parked);
  }
}
