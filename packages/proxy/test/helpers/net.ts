// Small real-socket helpers for tests: an HTTP/1.1 client that speaks raw bytes, a
// recording TCP relay (the "tap" between proxies), and an HTTP echo app.
import * as http from 'node:http';
import * as http2 from 'node:http2';
import * as net from 'node:net';

export function listen(server: net.Server | http.Server | http2.Http2Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
}

export function close(server: net.Server | http.Server | http2.Http2Server): Promise<void> {
  return new Promise((resolve) => {
    (server as http.Server).closeAllConnections?.();
    server.close(() => resolve());
  });
}

/** Answers every request with who it is, what it got and the forwarded identity (HTTP/1.1 and h2 alike). */
function echo(name: string) {
  return (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.stringify({ app: name, method: req.method, url: req.url, xfcc: req.headers['x-forwarded-client-cert'] ?? null, body: Buffer.concat(chunks).toString() });
      res.writeHead(200, { 'content-type': 'application/json', 'x-app': name });
      res.end(body);
    });
  };
}

export function echoApp(name: string): http.Server {
  return http.createServer(echo(name));
}

/** The echo app over h2c (prior knowledge), for the proxy's HTTP/2 upstream path. */
export function h2EchoApp(name: string): http2.Http2Server {
  return http2.createServer(echo(name));
}

export interface Tap {
  port: number;
  toServer: Buffer[];
  toClient: Buffer[];
  server: net.Server;
  close(): Promise<void>;
}

/** A TCP relay that records every byte in both directions (and passes half-closes through). */
export async function tapRelay(targetPort: number): Promise<Tap> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true });
  const tap: Tap = {
    port: 0,
    toServer: [],
    toClient: [],
    server,
    close: () => {
      for (const s of sockets) s.destroy();
      return close(server);
    },
  };
  server.on('connection', (client) => {
    const upstream = net.connect({ port: targetPort, host: '127.0.0.1', allowHalfOpen: true });
    sockets.add(client).add(upstream);
    client.on('data', (d: Buffer) => tap.toServer.push(d));
    upstream.on('data', (d: Buffer) => tap.toClient.push(d));
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  tap.port = await listen(tap.server);
  return tap;
}

/** Walk a byte stream as TLS records; returns the content types seen or throws if it is not TLS. */
export function tlsRecordTypes(stream: Buffer): number[] {
  const types: number[] = [];
  let p = 0;
  while (p + 5 <= stream.length) {
    const type = stream[p];
    const major = stream[p + 1];
    if (type < 20 || type > 23 || major !== 3) throw new Error(`not a TLS record at offset ${p}: type ${type} version ${major}.${stream[p + 2]}`);
    types.push(type);
    p += 5 + stream.readUInt16BE(p + 3);
  }
  if (p !== stream.length) throw new Error(`trailing ${stream.length - p} bytes that are not a whole TLS record`);
  return types;
}

/** Send raw bytes, collect everything until the server closes (or `ms` passes). */
export function rawExchange(port: number, payload: string | Buffer, ms = 2000): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('error', () => undefined);
    const done = (): void => {
      clearTimeout(t);
      s.destroy();
      resolve(Buffer.concat(chunks).toString('latin1'));
    };
    const t = setTimeout(done, ms);
    s.on('close', done);
    s.write(payload);
  });
}

export interface SimpleResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export function request(port: number, opts: http.RequestOptions & { body?: string | Buffer } = {}): Promise<SimpleResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, ...opts }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** One request on an HTTP/2 session; the body (if any) is sent at once. */
export function h2Request(session: http2.ClientHttp2Session, headers: http2.OutgoingHttpHeaders, body?: string | Buffer): Promise<SimpleResponse> {
  return new Promise((resolve, reject) => {
    const stream = session.request(headers);
    let head: http2.IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    stream.on('response', (h) => (head = h));
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve({ status: Number(head[':status']), headers: head as http.IncomingHttpHeaders, body: Buffer.concat(chunks).toString() }));
    stream.on('error', reject);
    stream.end(body);
  });
}

export interface ExpectOutcome {
  /** Whether a `100 Continue` came (and the body was sent after it). */
  continued: boolean;
  status: number;
  body: string;
}

/** POST that sends its body only after a `100 Continue`, as curl and most HTTP clients do. */
export function h1PostExpecting(host: string, port: number, path: string, body: string, extra: http.OutgoingHttpHeaders = {}): Promise<ExpectOutcome> {
  return new Promise((resolve, reject) => {
    const headers = { ...extra, expect: '100-continue', 'content-length': String(body.length) };
    const req = http.request({ host, port, method: 'POST', path, headers, agent: false });
    let continued = false;
    req.on('continue', () => {
      continued = true;
      req.end(body);
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        resolve({ continued, status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() });
        req.destroy();
      });
    });
    req.on('error', reject);
    req.flushHeaders();
  });
}
