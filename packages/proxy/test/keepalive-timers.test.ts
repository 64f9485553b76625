// A keep-alive connection re-arms one idle timer and one route timer for all its
// requests (refresh instead of new timers): a request must get its own route's timeout,
// never the previous request's, and the idle timeout must still close the connection.
import * as http from 'node:http';
import * as net from 'node:net';
import { Proxy } from '../src';
import { close, listen } from './helpers/net';
import { plainSnapshot } from './helpers/plain';

const stops: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const s of stops.reverse()) await s();
});

/** Answers after ?delay=ms. */
async function delayedApp(): Promise<number> {
  const s = http.createServer((req, res) => {
    const delay = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('delay') ?? 0);
    setTimeout(() => res.end('ok'), delay);
  });
  const port = await listen(s);
  stops.push(() => close(s));
  return port;
}

/** Sequential requests on one socket; each resolves with the status line and whether the socket closed after it. */
function keepAliveClient(port: number): { get: (path: string) => Promise<string>; closed: Promise<void> } {
  const socket = net.connect(port, '127.0.0.1');
  let buffered = '';
  let waiting: ((status: string) => void) | undefined;
  socket.on('data', (d) => {
    buffered += d.toString('latin1');
    const end = buffered.indexOf('\r\n\r\n');
    const length = /content-length: (\d+)/i.exec(buffered);
    if (end < 0 || !length || buffered.length < end + 4 + Number(length[1])) return;
    const status = buffered.slice(0, buffered.indexOf('\r\n'));
    buffered = '';
    waiting?.(status);
  });
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  stops.push(async () => socket.destroy());
  return {
    get: (path) =>
      new Promise((resolve) => {
        waiting = resolve;
        socket.write(`GET ${path} HTTP/1.1\r\nhost: svc\r\n\r\n`);
      }),
    closed,
  };
}

test('each request on a keep-alive connection runs on its own route timeout; idle timeout still closes', async () => {
  const snapshot = plainSnapshot({ endpoints: [await delayedApp()], hcm: { idleTimeoutMs: 400 } }) as {
    listeners: Array<{ filterChains: Array<{ network: { routeConfig: { virtualHosts: Array<{ routes: unknown[] }> } } }> }>;
  };
  snapshot.listeners[0].filterChains[0].network.routeConfig.virtualHosts[0].routes = [
    { name: 'short', match: { prefix: '/short' }, route: { cluster: 'app', timeoutMs: 150 } },
    { name: 'none', match: { prefix: '/none' }, route: { cluster: 'app', timeoutMs: 0 } },
  ];
  const proxy = new Proxy({ accessLog: null });
  await proxy.applyConfig(snapshot);
  await proxy.start();
  stops.push(() => proxy.close());
  const client = keepAliveClient(proxy.listenerPort('http'));

  expect(await client.get('/short?delay=0')).toBe('HTTP/1.1 200 OK');
  // Re-armed, not left over: the second short request still gets its full 150 ms, then times out.
  await new Promise((r) => setTimeout(r, 100));
  const timedFrom = Date.now();
  expect(await client.get('/short?delay=300')).toBe('HTTP/1.1 504 Gateway Timeout');
  expect(Date.now() - timedFrom).toBeGreaterThanOrEqual(140);
  // No route timeout: the 150 ms countdown armed by the previous request must not end this one,
  // nor the 400 ms idle timeout, which only counts between requests.
  expect(await client.get('/none?delay=500')).toBe('HTTP/1.1 200 OK');
  const idleFrom = Date.now();
  await client.closed;
  expect(Date.now() - idleFrom).toBeGreaterThanOrEqual(350);
});
