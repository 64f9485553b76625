// `Expect: 100-continue` (RFC 9110 §10.1.1) from real clients (node's http and http2): the
// proxy answers 100 itself once its filters let the request through and strips the
// expectation (Envoy's default), so a denied request gets its 403 without the client ever
// sending the body. With and without body filters; HTTP/1.1 and HTTP/2 downstreams.
import * as http from 'node:http';
import * as http2 from 'node:http2';
import * as net from 'node:net';
import { Proxy, type HttpFilterFactory } from '../src';
import { close, h1PostExpecting, listen, type ExpectOutcome } from './helpers/net';
import { plainSnapshot } from './helpers/plain';

const HOST = '127.0.10.2';

/** The app echoes the body and whether an expectation reached it (it must not). */
const upstreamExpectations: (string | undefined)[] = [];
function recordingHandler(req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse): void {
  upstreamExpectations.push(req.headers.expect);
  if (req.url === '/interim' && res instanceof http.ServerResponse) {
    // Interim responses nobody asked this app for: a 100 the proxy must drop, a 103 it passes on.
    res.writeContinue();
    res.writeEarlyHints({ link: '</style.css>; rel=preload' });
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => res.end(Buffer.concat(chunks)));
}

/** RBAC stand-in: paths under /denied get a 403 from the header filters. */
const denyPath: HttpFilterFactory = {
  create: () => ({ onRequestHeaders: (ctx) => (ctx.path.startsWith('/denied') ? { localReply: { status: 403, body: 'denied' } } : 'continue') }),
};
/** Makes the proxy buffer and inspect the body before it goes upstream. */
const bodyInspector: HttpFilterFactory = {
  create: () => ({ onRequestHeaders: () => 'continue', onRequestBody: () => 'continue' }),
};

function h2PostExpecting(session: http2.ClientHttp2Session, path: string, body: string): Promise<ExpectOutcome> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ':method': 'POST', ':path': path, ':authority': 'app', expect: '100-continue' });
    let continued = false;
    let status = 0;
    const chunks: Buffer[] = [];
    stream.on('continue', () => {
      continued = true;
      stream.end(body);
    });
    stream.on('response', (h) => (status = Number(h[':status'])));
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      resolve({ continued, status, body: Buffer.concat(chunks).toString() });
      stream.close();
    });
    stream.on('error', reject);
  });
}

const servers: (http.Server | http2.Http2Server)[] = [];
const proxies: Proxy[] = [];

async function proxyTo(upstreamPort: number, filters: string[]): Promise<number> {
  const proxy = new Proxy({ accessLog: null });
  proxy.registerFilter('test.deny_path', denyPath);
  proxy.registerFilter('test.body_inspector', bodyInspector);
  await proxy.applyConfig(plainSnapshot({ endpoints: [upstreamPort], listener: { address: HOST }, httpFilters: filters.map((name) => ({ name })) }));
  await proxy.start();
  proxies.push(proxy);
  return proxy.listenerPort('http');
}

let h1AppPort: number;
let h2AppPort: number;
beforeAll(async () => {
  const h1App = http.createServer(recordingHandler);
  const h2App = http2.createServer(recordingHandler);
  servers.push(h1App, h2App);
  [h1AppPort, h2AppPort] = await Promise.all([listen(h1App), listen(h2App)]);
});

afterAll(async () => {
  await Promise.all(proxies.map((p) => p.close()));
  await Promise.all(servers.map((s) => close(s)));
});

const BODY = 'x'.repeat(4096);

describe.each([
  ['with a body filter', ['test.deny_path', 'test.body_inspector']],
  ['without body filters', ['test.deny_path']],
])('%s', (_, filters) => {
  test('HTTP/1.1: 100 from the proxy, the body reaches the app, the expectation does not', async () => {
    const port = await proxyTo(h1AppPort, filters);
    upstreamExpectations.length = 0;
    expect(await h1PostExpecting(HOST, port, '/upload', BODY)).toEqual({ continued: true, status: 200, body: BODY });
    expect(upstreamExpectations).toEqual([undefined]);
  });

  test('HTTP/1.1: a request the filters deny gets its 403 and never sends the body', async () => {
    const port = await proxyTo(h1AppPort, filters);
    upstreamExpectations.length = 0;
    expect(await h1PostExpecting(HOST, port, '/denied', BODY)).toEqual({ continued: false, status: 403, body: 'denied' });
    expect(upstreamExpectations).toEqual([]);
  });

  test('HTTP/2: the same, with the 100 as an informational HEADERS frame', async () => {
    const port = await proxyTo(h2AppPort, filters);
    const session = http2.connect(`http://${HOST}:${port}`);
    try {
      upstreamExpectations.length = 0;
      expect(await h2PostExpecting(session, '/denied', BODY)).toEqual({ continued: false, status: 403, body: 'denied' });
      expect(await h2PostExpecting(session, '/upload', BODY)).toEqual({ continued: true, status: 200, body: BODY });
      expect(upstreamExpectations).toEqual([undefined]);
    } finally {
      session.close();
    }
  });
});

test('HTTP/1.1: a client that sends the body without waiting gets no 100, and the request works', async () => {
  const port = await proxyTo(h1AppPort, ['test.deny_path', 'test.body_inspector']);
  const res = await new Promise<string>((resolve) => {
    const s = net.connect(port, HOST);
    const chunks: Buffer[] = [];
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    s.end(`POST /upload HTTP/1.1\r\nHost: app\r\nExpect: 100-continue\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello`);
  });
  expect(res).toMatch(/^HTTP\/1\.1 200 /);
  expect(res).not.toContain('100 Continue');
  expect(res.endsWith('hello')).toBe(true);
});

test('HTTP/1.1: the client gets one 100 (the proxy\'s), and the upstream\'s 103 Early Hints', async () => {
  const port = await proxyTo(h1AppPort, ['test.deny_path']);
  const res = await new Promise<string>((resolve) => {
    const s = net.connect(port, HOST);
    let seen = '';
    s.on('data', (d: Buffer) => {
      const before = seen;
      seen += d.toString('latin1');
      if (!before.includes('100 Continue') && seen.includes('100 Continue')) s.write('hello');
    });
    s.on('close', () => resolve(seen));
    s.write('POST /interim HTTP/1.1\r\nHost: app\r\nExpect: 100-continue\r\nContent-Length: 5\r\nConnection: close\r\n\r\n');
  });
  expect(res.match(/^HTTP\/1\.1 \d+/gm)).toEqual(['HTTP/1.1 100', 'HTTP/1.1 103', 'HTTP/1.1 200']);
  expect(res.endsWith('hello')).toBe(true);
});
