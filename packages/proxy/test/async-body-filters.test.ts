// Body filters that judge off the event loop: a verdict that comes as a promise holds the
// request until it settles (a denial becomes the reply, a rejection a 500), and one that
// never settles is cut off by the route timeout. HTTP/1.1 and HTTP/2 downstreams alike.
import * as http2 from 'node:http2';
import { Proxy, type HttpFilter, type HttpFilterFactory } from '../src';
import { close, echoApp, h2EchoApp, h2Request, listen, request, type SimpleResponse } from './helpers/net';
import { plainSnapshot } from './helpers/plain';

const HOST = '127.0.10.1';
const ROUTE_TIMEOUT_MS = 300;

/** Judges the whole body "elsewhere" (a timer stands in for a worker thread) by what it says. */
const deferredJudge: HttpFilterFactory = {
  create(): HttpFilter {
    const bodies = new WeakMap<object, string>();
    return {
      onRequestHeaders: () => 'continue',
      onRequestBody(ctx, chunk, end) {
        const body = (bodies.get(ctx) ?? '') + chunk.toString();
        bodies.set(ctx, body);
        if (!end) return 'continue';
        if (body === 'never') return new Promise(() => undefined);
        return new Promise((resolve, reject) => setTimeout(() => {
          if (body === 'broken') reject(new Error('judge crashed'));
          else resolve(body === 'evil' ? { localReply: { status: 403, body: 'judged evil' } } : 'continue');
        }, 20));
      },
    };
  },
};

const proxies: Proxy[] = [];
const apps: { close(): Promise<void> }[] = [];

async function proxyTo(upstreamPort: number): Promise<number> {
  const proxy = new Proxy({ accessLog: null });
  proxy.registerFilter('test.deferred_judge', deferredJudge);
  await proxy.applyConfig(plainSnapshot({
    endpoints: [upstreamPort],
    listener: { address: HOST },
    route: { timeoutMs: ROUTE_TIMEOUT_MS },
    httpFilters: [{ name: 'test.deferred_judge' }],
  }));
  await proxy.start();
  proxies.push(proxy);
  return proxy.listenerPort('http');
}

let h1Port: number;
let h2Port: number;
let session: http2.ClientHttp2Session;

beforeAll(async () => {
  const app = echoApp('app');
  const h2App = h2EchoApp('app');
  apps.push({ close: () => close(app) }, { close: () => close(h2App) });
  h1Port = await proxyTo(await listen(app));
  h2Port = await proxyTo(await listen(h2App));
  session = http2.connect(`http://${HOST}:${h2Port}`);
});

afterAll(async () => {
  session.close();
  await Promise.all(proxies.map((p) => p.close()));
  await Promise.all(apps.map((a) => a.close()));
});

const send: Record<string, (body: string) => Promise<SimpleResponse>> = {
  'HTTP/1.1': (body) => request(h1Port, { host: HOST, method: 'POST', path: '/submit', headers: { 'content-length': String(body.length) }, body }),
  h2: (body) => h2Request(session, { ':method': 'POST', ':path': '/submit', ':authority': 'app' }, body),
};

describe.each(['HTTP/1.1', 'h2'])('%s', (protocol) => {
  test('a deferred verdict lets the body through whole, or denies it', async () => {
    const [ok, denied] = await Promise.all([send[protocol]('fine'), send[protocol]('evil')]);
    expect([ok.status, JSON.parse(ok.body).body]).toEqual([200, 'fine']);
    expect([denied.status, denied.body]).toEqual([403, 'judged evil']);
  });

  test('a rejected verdict is a 500 naming the failure', async () => {
    const res = await send[protocol]('broken');
    expect(res.status).toBe(500);
    expect(res.body).toContain('judge crashed');
  });

  test('a verdict that never comes ends at the route timeout', async () => {
    const res = await send[protocol]('never');
    expect(res.status).toBe(504);
    expect(res.headers['x-trellis-response-flags']).toBe('UT');
    // The proxy still serves afterwards.
    expect((await send[protocol]('fine')).status).toBe(200);
  });
});
