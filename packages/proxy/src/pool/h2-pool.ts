// One multiplexed HTTP/2 session per upstream host: between proxies this means many
// application requests share a single mTLS connection (ALPN h2).
import type * as http2 from 'node:http2';
import * as net from 'node:net';
import { Host } from '../balance/host';
import { http2Module } from '../http/http2-module';
import { Connector } from './h1-pool';

export class H2Pool {
  private readonly sessions = new Map<Host, http2.ClientHttp2Session>();
  private readonly connecting = new Map<Host, Array<(err: Error | null, s?: http2.ClientHttp2Session) => void>>();

  constructor(private readonly connector: Connector, private readonly idleTimeoutMs: number) {}

  get connections(): number {
    return this.sessions.size;
  }

  acquire(host: Host, done: (err: Error | null, session?: http2.ClientHttp2Session) => void): void {
    const existing = this.sessions.get(host);
    if (existing && !existing.closed && !existing.destroyed) return done(null, existing);
    const queue = this.connecting.get(host);
    if (queue) {
      queue.push(done);
      return;
    }
    this.connecting.set(host, [done]);
    this.connector(host, (err, socket) => {
      const waiting = this.connecting.get(host) ?? [];
      this.connecting.delete(host);
      if (err || !socket) {
        for (const w of waiting) w(err ?? new Error('connect failed'));
        return;
      }
      const session = http2Module().connect(`http://${host.key}`, { createConnection: () => socket as net.Socket });
      session.setTimeout(this.idleTimeoutMs, () => session.close());
      session.on('error', () => this.sessions.delete(host));
      session.on('close', () => {
        if (this.sessions.get(host) === session) this.sessions.delete(host);
      });
      session.on('goaway', () => {
        if (this.sessions.get(host) === session) this.sessions.delete(host);
      });
      this.sessions.set(host, session);
      for (const w of waiting) w(null, session);
    });
  }

  dropHost(host: Host): void {
    this.sessions.get(host)?.close();
    this.sessions.delete(host);
  }

  close(): void {
    for (const s of this.sessions.values()) s.close();
    this.sessions.clear();
  }
}
