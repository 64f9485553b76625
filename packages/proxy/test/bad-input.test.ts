// Hostile or broken input: the proxy answers with a clear status, closes what must be
// closed, and keeps serving everyone else.
import * as http from 'node:http';
import * as net from 'node:net';
import { ConfigError, Proxy } from '../src';
import { close, echoApp, listen, rawExchange, request } from './helpers/net';
import { plainSnapshot } from './helpers/plain';

let app: http.Server;
let proxy: Proxy;
let port: number;

beforeAll(async () => {
  app = echoApp('app');
  const appPort = await listen(app);
  proxy = new Proxy({ accessLog: null });
  await proxy.applyConfig(plainSnapshot({
    endpoints: [appPort],
    hcm: { requestHeadersTimeoutMs: 300, maxRequestHeadersBytes: 4096 },
    listener: { maxConnections: 20 },
  }));
  await proxy.start();
  port = proxy.listenerPort('http');
});

afterAll(async () => {
  await proxy.close();
  await close(app);
});

afterEach(async () => {
  // Whatever the test did, the proxy still serves a normal request.
  const res = await request(port, { path: '/still-alive', headers: { host: 'x' } });
  expect(res.status).toBe(200);
});

const statusOf = (raw: string): number => Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1] ?? 0);

test.each([
  ['garbage request line', 'HELLO\r\n\r\n', 400],
  ['bad version', 'GET / HTTP/9.9\r\nhost: x\r\n\r\n', 400],
  ['bare LF line endings', 'GET / HTTP/1.1\nhost: x\n\n', 400],
  ['space before colon', 'GET / HTTP/1.1\r\nhost : x\r\n\r\n', 400],
  ['obs-fold continuation', 'GET / HTTP/1.1\r\nhost: x\r\nx-a: 1\r\n  folded\r\n\r\n', 400],
  ['missing Host on HTTP/1.1', 'GET / HTTP/1.1\r\nx: y\r\n\r\n', 400],
  ['Content-Length with Transfer-Encoding (smuggling)', 'POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 3\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n', 400],
  ['conflicting Content-Length', 'POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 3\r\ncontent-length: 4\r\n\r\nabcd', 400],
  ['non-numeric Content-Length', 'POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 1e3\r\n\r\n', 400],
  ['unsupported transfer coding', 'POST / HTTP/1.1\r\nhost: x\r\ntransfer-encoding: gzip\r\n\r\n', 501],
  ['malformed chunk size', 'POST / HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n', 400],
  ['CONNECT', 'CONNECT example.com:443 HTTP/1.1\r\nhost: example.com:443\r\n\r\n', 501],
])('%s → error status, connection closed', async (_name, payload, status) => {
  const raw = await rawExchange(port, payload);
  expect(statusOf(raw)).toBe(status);
  expect(raw.toLowerCase()).toContain('connection: close');
});

test('oversized request head → 431', async () => {
  const raw = await rawExchange(port, `GET / HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(8000)}\r\n\r\n`);
  expect(statusOf(raw)).toBe(431);
});

test('slow client that never finishes its head → 408 after requestHeadersTimeoutMs', async () => {
  const started = Date.now();
  const raw = await new Promise<string>((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let out = '';
    s.on('data', (d) => (out += d));
    s.on('close', () => resolve(out));
    s.write('GET / HTTP/1.1\r\nhost: x\r\n'); // and nothing more
  });
  expect(statusOf(raw)).toBe(408);
  expect(Date.now() - started).toBeLessThan(3000);
});

test('an HTTP/1.0 client gets a body it can read (no chunked framing)', async () => {
  const raw = await rawExchange(port, 'GET /old HTTP/1.0\r\nhost: x\r\n\r\n');
  expect(statusOf(raw)).toBe(200);
  expect(raw.toLowerCase()).not.toContain('transfer-encoding: chunked');
  expect(raw).toContain('"/old"');
});

test('pipelined requests are answered in order', async () => {
  const raw = await rawExchange(port, 'GET /one HTTP/1.1\r\nhost: x\r\n\r\nGET /two HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n');
  const one = raw.indexOf('"/one"');
  const two = raw.indexOf('"/two"');
  expect(one).toBeGreaterThan(0);
  expect(two).toBeGreaterThan(one);
});

test('connection flood beyond maxConnections is refused, then service recovers', async () => {
  const sockets = await Promise.all(
    Array.from({ length: 40 }, () => new Promise<net.Socket>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(s));
      s.on('error', () => undefined);
    })),
  );
  await new Promise((r) => setTimeout(r, 200));
  const open = sockets.filter((s) => !s.destroyed && s.readyState === 'open').length;
  expect(open).toBeLessThanOrEqual(20);
  const refused = proxy.stats.renderPrometheus();
  expect(refused).toMatch(/downstream_connections_refused_total\{listener="http",reason="max_connections"\} \d+/);
  for (const s of sockets) s.destroy();
  await new Promise((r) => setTimeout(r, 100));
});

test('bad config is rejected with a message naming the field, and the old config keeps serving', async () => {
  const version = proxy.store.current.version;
  const bad = plainSnapshot({ endpoints: [1], cluster: { connectTimeoutMs: -5 } });
  await expect(proxy.applyConfig(bad)).rejects.toThrow(ConfigError);
  await expect(proxy.applyConfig(bad)).rejects.toThrow('clusters[0](app).connectTimeoutMs: expected an integer in [1, 86400000]');
  await expect(proxy.applyConfig({ listeners: 'nope' })).rejects.toThrow('snapshot.listeners: expected an array');
  const unknownFilter = plainSnapshot({ endpoints: [1], httpFilters: [{ name: 'acme.filters.missing' }] });
  await expect(proxy.applyConfig(unknownFilter)).rejects.toThrow(/acme\.filters\.missing.*no factory registered/);
  const badPem = { ...plainSnapshot({ endpoints: [1] }), secrets: [{ name: 's', tlsCertificate: { certChainPem: '-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----', privateKeyPem: '-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----' } }] };
  (badPem.clusters as Array<Record<string, unknown>>)[0].tls = { certificateSecret: 's', validationSecret: 's', matchSubjectAltNames: ['spiffe://x/y'] };
  await expect(proxy.applyConfig(badPem)).rejects.toThrow(/references unknown validationContext secret|clusters\(app\)\.tls/);
  expect(proxy.store.current.version).toBe(version);
});
