// Keep-alive pool of HTTP/1.1 upstream connections for one cluster. Each connection
// installs its socket listeners once and dispatches to whichever exchange currently
// owns it, so reusing a connection costs no listener churn. The cluster's
// maxConnections / maxPendingRequests circuit breakers are enforced here.
import * as net from 'node:net';
import { Host } from '../balance/host';

export interface UpstreamHandler {
  onUpstreamData(conn: UpstreamConnection, data: Buffer): void;
  onUpstreamDrain(conn: UpstreamConnection): void;
  onUpstreamClose(conn: UpstreamConnection, error: Error | undefined): void;
}

export class UpstreamConnection {
  handler: UpstreamHandler | null = null;
  /** How many requests this connection has carried; >0 means a failure may be a stale keep-alive. */
  uses = 0;
  /** When it went back to the idle list; the pool's sweep closes connections idle too long. */
  idleSince = 0;
  private lastError: Error | undefined;

  constructor(readonly socket: net.Socket, readonly host: Host, private readonly pool: H1Pool) {
    socket.on('data', (d: Buffer) => {
      if (this.handler) this.handler.onUpstreamData(this, d);
      else socket.destroy(); // bytes on an idle connection: the server broke framing.
    });
    socket.on('drain', () => this.handler?.onUpstreamDrain(this));
    socket.on('error', (e) => {
      this.lastError = e;
    });
    socket.on('close', () => {
      this.pool.forget(this);
      const h = this.handler;
      this.handler = null;
      h?.onUpstreamClose(this, this.lastError);
    });
  }

  get alive(): boolean {
    return !this.socket.destroyed && this.socket.writable;
  }

}

const SWEEP_MS = 1_000;

export type Connector = (host: Host, done: (err: Error | null, socket?: net.Socket) => void) => void;

interface Waiter {
  host: Host;
  done: AcquireCallback;
}

export type AcquireCallback = (err: Error | null, conn?: UpstreamConnection, overflow?: boolean) => void;

export class H1Pool {
  private readonly idle = new Map<Host, UpstreamConnection[]>();
  private readonly waiters: Waiter[] = [];
  private total = 0;
  private closed = false;
  // One coarse sweep instead of a timer per idle connection: release/acquire stay allocation-free.
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly connector: Connector,
    private limits: { maxConnections: number; maxPendingRequests: number; idleTimeoutMs: number },
  ) {
    this.sweeper = setInterval(() => this.closeIdle(Date.now() - this.limits.idleTimeoutMs), SWEEP_MS);
    this.sweeper.unref();
  }

  private closeIdle(olderThan: number): void {
    for (const list of this.idle.values()) {
      for (const c of list) if (c.idleSince < olderThan) c.socket.destroy();
    }
  }

  setLimits(limits: { maxConnections: number; maxPendingRequests: number; idleTimeoutMs: number }): void {
    this.limits = limits;
  }

  get connections(): number {
    return this.total;
  }

  get pending(): number {
    return this.waiters.length;
  }

  acquire(host: Host, done: AcquireCallback): void {
    const conn = this.takeIdle(host);
    if (conn) return done(null, conn);
    if (this.total < this.limits.maxConnections) return this.open(host, done);
    if (this.waiters.length >= this.limits.maxPendingRequests) return done(new Error('upstream connection pool overflow'), undefined, true);
    this.waiters.push({ host, done });
  }

  /** Give up on a queued acquire (the request timed out or the client left). */
  cancel(done: AcquireCallback): void {
    const i = this.waiters.findIndex((w) => w.done === done);
    if (i >= 0) this.waiters.splice(i, 1);
  }

  release(conn: UpstreamConnection, reusable: boolean): void {
    conn.handler = null;
    if (!reusable || !conn.alive || this.closed || conn.host.removed) {
      conn.socket.destroy();
      return;
    }
    const w = this.waiters.findIndex((x) => x.host === conn.host);
    if (w >= 0) {
      const [waiter] = this.waiters.splice(w, 1);
      return waiter.done(null, conn);
    }
    conn.idleSince = Date.now();
    let list = this.idle.get(conn.host);
    if (!list) this.idle.set(conn.host, (list = []));
    list.push(conn);
  }

  /** Called from the connection's close handler. */
  forget(conn: UpstreamConnection): void {
    this.total--;
    const list = this.idle.get(conn.host);
    const i = list ? list.indexOf(conn) : -1;
    if (list && i >= 0) list.splice(i, 1);
    // A slot opened: the oldest waiter gets a fresh connection.
    const waiter = this.waiters.shift();
    if (waiter) this.open(waiter.host, waiter.done);
  }

  /** Close idle connections to a host EDS removed; busy ones close when released. */
  dropHost(host: Host): void {
    for (const c of this.idle.get(host) ?? []) c.socket.destroy();
    this.idle.delete(host);
  }

  close(): void {
    this.closed = true;
    clearInterval(this.sweeper);
    for (const list of this.idle.values()) for (const c of list) c.socket.destroy();
    this.idle.clear();
    for (const w of this.waiters.splice(0)) w.done(new Error('cluster removed'));
  }

  private takeIdle(host: Host): UpstreamConnection | undefined {
    const list = this.idle.get(host);
    while (list && list.length > 0) {
      const c = list.pop() as UpstreamConnection;
      if (c.alive) return c;
      c.socket.destroy();
    }
    return undefined;
  }

  private open(host: Host, done: AcquireCallback): void {
    this.total++;
    this.connector(host, (err, socket) => {
      if (err || !socket) {
        this.total--;
        done(err ?? new Error('connect failed'));
        const waiter = this.waiters.shift();
        if (waiter) this.open(waiter.host, waiter.done);
        return;
      }
      done(null, new UpstreamConnection(socket, host, this));
    });
  }
}
