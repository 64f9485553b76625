// The HTTP filter hook (what RBAC and WAF plug into) and the admin endpoints, on a
// real mTLS inbound listener so filters see a verified peer identity.
import * as http from 'node:http';
import { HttpFilter, HttpFilterContext, Proxy } from '../src';
import { Ca, issueSvid, makeCa, Svid } from './helpers/pki';
import { ID_A, ID_B, inboundSnapshot, outboundSnapshot, SERVICE_B } from './helpers/mesh';
import { close, echoApp, listen, request } from './helpers/net';

let ca: Ca;
let svidA: Svid;
let svidB: Svid;
let app: http.Server;
let a: Proxy;
let b: Proxy;
const seen: HttpFilterContext[] = [];

/** Test filter: records contexts, denies a path (sync), denies by body (WAF-like), stamps responses. */
const recorder = {
  create(config: unknown): HttpFilter {
    const { denyPath } = config as { denyPath: string };
    if (typeof denyPath !== 'string') throw new Error('typedConfig.denyPath must be a string');
    return {
      onRequestHeaders(ctx) {
        seen.push(ctx);
        if (ctx.path.startsWith(denyPath)) return { localReply: { status: 403, body: `denied for ${ctx.peer.spiffeId}` } };
        return undefined;
      },
      onRequestBody(_ctx, chunk) {
        if (chunk.includes('DROP TABLE')) return { localReply: { status: 403, body: 'blocked body' } };
        return undefined;
      },
      onResponseHeaders(ctx, response) {
        response.headers.set('x-filtered-by', `recorder:${ctx.requestId}`);
      },
    };
  },
};

/** An async filter (e.g. an external authz call) runs before the router too. */
const slowAllow = {
  create(): HttpFilter {
    return {
      async onRequestHeaders(ctx) {
        await new Promise((r) => setTimeout(r, 5));
        ctx.metadata.set('slow-allow', true);
        return 'continue';
      },
    };
  },
};

beforeAll(async () => {
  ca = makeCa();
  svidA = issueSvid(ca, ID_A);
  svidB = issueSvid(ca, ID_B);
  app = echoApp('b');
  const appPort = await listen(app);
  b = new Proxy({ accessLog: null, adminPort: 0 });
  b.registerFilter('trellis.test.recorder', recorder, 'type.googleapis.com/trellis.test.Recorder');
  b.registerFilter('trellis.test.slow_allow', slowAllow);
  await b.applyConfig(inboundSnapshot({
    svid: svidB,
    ca,
    appPort,
    allowed: [ID_A],
    httpFilters: [
      { name: 'trellis.test.slow_allow' },
      { name: 'any-name', typeUrl: 'type.googleapis.com/trellis.test.Recorder', typedConfig: { denyPath: '/admin' } },
    ],
  }));
  await b.start();
  a = new Proxy({ accessLog: null });
  await a.applyConfig(outboundSnapshot({ svid: svidA, ca, upstreamPorts: [b.listenerPort('inbound')] }));
  await a.start();
});

afterAll(async () => {
  await a.close();
  await b.close();
  await close(app);
});

test('filters see peer identity, addresses, route and request id; response filters run', async () => {
  const res = await request(a.listenerPort('outbound'), { path: '/ok', headers: { host: SERVICE_B, 'x-request-id': 'req-123' } });
  expect(res.status).toBe(200);
  expect(res.headers['x-filtered-by']).toBe('recorder:req-123');
  const ctx = seen[seen.length - 1];
  expect(ctx.peer.spiffeId).toBe(ID_A);
  expect(ctx.peer.address).toBe('127.0.0.1');
  expect(ctx.local.port).toBe(b.listenerPort('inbound'));
  expect(ctx.route?.name).toBe('app');
  expect(ctx.requestId).toBe('req-123');
  expect(ctx.authority).toBe(SERVICE_B);
  expect(ctx.metadata.get('slow-allow')).toBe(true);
});

test('a filter local reply stops the request before the app; body filters can block', async () => {
  const denied = await request(a.listenerPort('outbound'), { path: '/admin/x', headers: { host: SERVICE_B } });
  expect([denied.status, denied.body, denied.headers['x-trellis-response-flags']]).toEqual([403, `denied for ${ID_A}`, 'FL']);
  const blocked = await request(a.listenerPort('outbound'), { method: 'POST', path: '/q', headers: { host: SERVICE_B }, body: "1'; DROP TABLE users" });
  expect([blocked.status, blocked.body]).toEqual([403, 'blocked body']);
  const fine = await request(a.listenerPort('outbound'), { method: 'POST', path: '/q', headers: { host: SERVICE_B }, body: 'hello' });
  expect(JSON.parse(fine.body).body).toBe('hello');
});

test('a filter factory rejecting its typedConfig fails the whole snapshot with the filter named', async () => {
  const bad = inboundSnapshot({ svid: svidB, ca, appPort: 1, httpFilters: [{ name: 'trellis.test.recorder', typedConfig: { denyPath: 7 } }] });
  await expect(b.applyConfig(bad)).rejects.toThrow('http filter "trellis.test.recorder": typedConfig.denyPath must be a string');
});

test('admin: /ready, /config_dump without private keys, /stats/prometheus', async () => {
  const port = b.adminPort as number;
  const ready = await request(port, { path: '/ready' });
  expect(ready.status).toBe(200);
  const dump = await request(port, { path: '/config_dump' });
  const json = JSON.parse(dump.body);
  expect(json.listeners[0].name).toBe('inbound');
  expect(dump.body).not.toContain('PRIVATE KEY');
  expect(json.secrets.find((s: { name: string }) => s.name === 'default').tlsCertificate.privateKeyPem).toBe('[redacted]');
  const stats = (await request(port, { path: '/stats/prometheus' })).body;
  expect(stats).toMatch(/trellis_downstream_requests_total\{listener="inbound",code_class="2xx"\} [1-9]/);
  expect(stats).toMatch(/trellis_downstream_requests_total\{listener="inbound",code_class="4xx"\} [1-9]/);
  expect(stats).toMatch(/trellis_downstream_request_duration_ms_bucket\{listener="inbound",le="\+Inf"\} [1-9]/);
  expect(stats).toMatch(/trellis_downstream_tls_handshakes_total\{listener="inbound"\} [1-9]/);
  expect(stats).toMatch(/trellis_certificate_expiry_seconds\{secret="default"\} \d{4,}/);
});
