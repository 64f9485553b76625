// Upstream failure handling: response flags, retries, timeouts, circuit breakers,
// outlier ejection, and graceful drain — against real misbehaving upstreams.
import * as http from 'node:http';
import * as net from 'node:net';
import { Proxy } from '../src';
import { close, echoApp, listen, request } from './helpers/net';
import { plainSnapshot } from './helpers/plain';

const stops: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const s of stops.reverse()) await s();
});

async function proxyFor(snapshot: Record<string, unknown>): Promise<{ proxy: Proxy; port: number }> {
  const proxy = new Proxy({ accessLog: null });
  await proxy.applyConfig(snapshot);
  await proxy.start();
  stops.push(() => proxy.close());
  return { proxy, port: proxy.listenerPort('http') };
}

async function server(handler: http.RequestListener): Promise<number> {
  const s = http.createServer(handler);
  const port = await listen(s);
  stops.push(() => close(s));
  return port;
}

async function deadPort(): Promise<number> {
  const s = net.createServer();
  const port = await listen(s);
  await close(s);
  return port;
}

const get = (port: number, path = '/'): ReturnType<typeof request> => request(port, { path, headers: { host: 'svc' } });

test('dead upstream → 503 with UF', async () => {
  const { port } = await proxyFor(plainSnapshot({ endpoints: [await deadPort()] }));
  const res = await get(port);
  expect(res.status).toBe(503);
  expect(res.headers['x-trellis-response-flags']).toBe('UF');
  expect(res.body).toMatch(/upstream connect error/);
});

test('no healthy endpoint → 503 UH; unknown cluster → 503 NC', async () => {
  const { port } = await proxyFor({
    ...plainSnapshot({ endpoints: [] }),
    routes: [],
  });
  const uh = await get(port);
  expect([uh.status, uh.headers['x-trellis-response-flags']]).toEqual([503, 'UH']);
  const nc = await proxyFor(plainSnapshot({ endpoints: [1], route: { cluster: 'missing' } }));
  const r = await get(nc.port);
  expect([r.status, r.headers['x-trellis-response-flags']]).toEqual([503, 'NC']);
});

test('retry on 5xx reaches a healthy attempt; exhausted retries return the last 5xx', async () => {
  let calls = 0;
  const flaky = await server((_req, res) => {
    calls++;
    res.writeHead(calls % 3 === 0 ? 200 : 503).end(`attempt ${calls}`);
  });
  const { port, proxy } = await proxyFor(plainSnapshot({ endpoints: [flaky], route: { retryPolicy: { retryOn: ['5xx'], numRetries: 2 } } }));
  const ok = await get(port);
  expect([ok.status, ok.body, calls]).toEqual([200, 'attempt 3', 3]);
  expect(proxy.stats.counter('upstream_retries_total', { cluster: 'app' })).toBe(2);

  const broken = await server((_req, res) => res.writeHead(500).end('always'));
  const p2 = await proxyFor(plainSnapshot({ endpoints: [broken], route: { retryPolicy: { retryOn: ['5xx'], numRetries: 2 } } }));
  const failed = await get(p2.port);
  expect(failed.status).toBe(500);
});

test('connect-failure retries move to another endpoint', async () => {
  const good = await server((_req, res) => res.end('good'));
  const { port } = await proxyFor(plainSnapshot({
    endpoints: [await deadPort(), good],
    route: { retryPolicy: { retryOn: ['connect-failure'], numRetries: 3 } },
  }));
  for (let i = 0; i < 6; i++) {
    const res = await get(port);
    expect([res.status, res.body]).toEqual([200, 'good']);
  }
});

test('route timeout → 504 UT; per-try timeout retries to a fast attempt', async () => {
  let n = 0;
  const slowThenFast = await server((_req, res) => {
    const delay = n++ === 0 ? 2000 : 0;
    setTimeout(() => res.end('done'), delay).unref();
  });
  const { port } = await proxyFor(plainSnapshot({ endpoints: [slowThenFast], route: { timeoutMs: 3000, retryPolicy: { retryOn: ['5xx'], numRetries: 1, perTryTimeoutMs: 200 } } }));
  const res = await get(port);
  expect([res.status, res.body]).toEqual([200, 'done']);

  const hang = await server(() => undefined);
  const p2 = await proxyFor(plainSnapshot({ endpoints: [hang], route: { timeoutMs: 200 } }));
  const t = await get(p2.port);
  expect([t.status, t.headers['x-trellis-response-flags']]).toEqual([504, 'UT']);
});

test('circuit breaker maxRequests → 503 UO for the overflow, others succeed', async () => {
  const slow = await server((_req, res) => setTimeout(() => res.end('ok'), 300).unref());
  const { port } = await proxyFor(plainSnapshot({ endpoints: [slow], cluster: { circuitBreakers: { maxRequests: 2 } } }));
  const agent = new http.Agent({ keepAlive: true, maxSockets: 10 });
  const results = await Promise.all(Array.from({ length: 5 }, () => request(port, { path: '/', headers: { host: 'svc' }, agent })));
  agent.destroy();
  const ok = results.filter((r) => r.status === 200).length;
  const overflow = results.filter((r) => r.status === 503 && r.headers['x-trellis-response-flags'] === 'UO').length;
  expect([ok, overflow]).toEqual([2, 3]);
});

test('outlier detection ejects an endpoint after consecutive 5xx', async () => {
  const bad = await server((_req, res) => res.writeHead(500).end('bad'));
  const good = await server((_req, res) => res.end('good'));
  const { port, proxy } = await proxyFor(plainSnapshot({
    endpoints: [bad, good],
    cluster: { outlierDetection: { consecutive5xx: 3, intervalMs: 1000, baseEjectionTimeMs: 30_000, maxEjectionPercent: 50 } },
  }));
  const first = [];
  for (let i = 0; i < 8; i++) first.push((await get(port)).status);
  expect(first.filter((s) => s === 500).length).toBe(3); // round robin hits `bad` until it is ejected
  const after = [];
  for (let i = 0; i < 10; i++) after.push((await get(port)).status);
  expect(after.every((s) => s === 200)).toBe(true);
  expect(proxy.stats.counter('outlier_ejections_total', { cluster: 'app' })).toBe(1);
});

test('active health checks take a failing endpoint out of rotation and bring it back', async () => {
  let sick = true;
  const flappy = await server((req, res) => {
    if (req.url === '/healthz') res.writeHead(sick ? 503 : 200).end();
    else res.end('flappy');
  });
  const steady = await server((_req, res) => res.end('steady'));
  const { port, proxy } = await proxyFor(plainSnapshot({
    endpoints: [flappy, steady],
    cluster: { healthChecks: { intervalMs: 40, timeoutMs: 500, unhealthyThreshold: 1, healthyThreshold: 1, httpPath: '/healthz' } },
  }));
  await new Promise((r) => setTimeout(r, 250));
  const whileSick = [];
  for (let i = 0; i < 6; i++) whileSick.push((await get(port)).body);
  expect(new Set(whileSick)).toEqual(new Set(['steady']));
  sick = false;
  await new Promise((r) => setTimeout(r, 250));
  const recovered = [];
  for (let i = 0; i < 6; i++) recovered.push((await get(port)).body);
  expect(new Set(recovered)).toEqual(new Set(['steady', 'flappy']));
  expect(proxy.stats.renderPrometheus()).toMatch(/health_check_transitions_total\{cluster="app",to="unhealthy",host="127.0.0.1:\d+"\} 1/);
});

test('drain: in-flight request completes, then new connections are refused', async () => {
  const slow = await server((_req, res) => setTimeout(() => res.end('finished'), 300));
  const proxy = new Proxy({ accessLog: null });
  await proxy.applyConfig(plainSnapshot({ endpoints: [slow] }));
  await proxy.start();
  const port = proxy.listenerPort('http');
  const inFlight = get(port);
  await new Promise((r) => setTimeout(r, 50));
  const drained = proxy.drain(3000);
  const res = await inFlight;
  expect([res.status, res.body]).toEqual([200, 'finished']);
  await drained;
  await expect(get(port)).rejects.toThrow();
});

test('app on the other side answers through the proxy with keep-alive reuse', async () => {
  const app = echoApp('x');
  const appPort = await listen(app);
  stops.push(() => close(app));
  const { port, proxy } = await proxyFor(plainSnapshot({ endpoints: [appPort] }));
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  for (let i = 0; i < 20; i++) expect((await request(port, { path: `/${i}`, headers: { host: 'svc' }, agent })).status).toBe(200);
  agent.destroy();
  // 20 requests over one client connection used one pooled upstream connection.
  expect(proxy.stats.renderPrometheus()).toMatch(/upstream_connections_active\{cluster="app"\} 1/);
});
