// The WAF filter on a real proxy listener: body timing (bytes read with the head, empty
// bodies), phase 2 on a worker thread past the offload threshold, failing closed or open
// when the worker cannot answer, and ModSecurity's body limits. Worker tests use the built
// worker (packages/waf/dist): run `npx tsc -b` first.
import * as http from 'node:http';
import * as net from 'node:net';
import { Proxy } from '@trellis/proxy';
import { plainSnapshot } from '../../proxy/test/helpers/plain';
import { close, echoApp, listen, request } from '../../proxy/test/helpers/net';
import { WAF_BLOCKED_BY_HEADER, WAF_ERROR_HEADER, WAF_TYPE_URL, wafFilterFactory, type WafFilterConfig } from '../src';

const HOST = '127.0.2.1';
let app: http.Server;
let appPort: number;
const proxies: Proxy[] = [];

beforeAll(async () => {
  app = echoApp('app');
  appPort = await listen(app);
});

afterAll(async () => {
  await Promise.all(proxies.map((p) => p.close()));
  await close(app);
});

async function wafProxy(config: WafFilterConfig): Promise<number> {
  const proxy = new Proxy({ accessLog: null });
  proxy.registerFilter('trellis.waf', wafFilterFactory, WAF_TYPE_URL);
  await proxy.applyConfig(plainSnapshot({
    endpoints: [appPort],
    listener: { address: HOST },
    httpFilters: [{ name: 'trellis.waf', typeUrl: WAF_TYPE_URL, typedConfig: { rule_set: 'TRELLIS_DEFAULT', mode: 'BLOCK', ...config } }],
  }));
  await proxy.start();
  proxies.push(proxy);
  return proxy.listenerPort('http');
}

/** One write: head and body reach the proxy in the same read. */
function oneWrite(port: number, head: string, body = ''): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, HOST);
    const chunks: Buffer[] = [];
    s.on('data', (d: Buffer) => {
      chunks.push(d);
      if (Buffer.concat(chunks).includes('\r\n\r\n')) s.end();
    });
    s.on('error', () => undefined);
    s.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    s.write(`${head}\r\nHost: shop\r\nConnection: close\r\n\r\n${body}`);
  });
}

const post = (port: number, body: string, path = '/comments') =>
  request(port, { host: HOST, method: 'POST', path, headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(Buffer.byteLength(body)) }, body });

const ATTACK = 'text=<script>alert(1)</script>';
const benign = (bytes: number) => `text=${'hello world '.repeat(Math.ceil(bytes / 12))}`.slice(0, bytes);

describe('WAF filter on a real listener', () => {
  let inline: number;
  beforeAll(async () => {
    inline = await wafProxy({ offload_threshold_bytes: -1 });
  });

  test('a body read together with the head is inspected', async () => {
    const res = await oneWrite(inline, `POST /comments HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${ATTACK.length}`, ATTACK);
    expect(res).toMatch(/^HTTP\/1\.1 403/);
    expect(res).toContain(`${WAF_BLOCKED_BY_HEADER}: 1000200`);
  });

  test('Content-Length: 0 still gets phase 2 (query-string arguments)', async () => {
    const res = await oneWrite(inline, "GET /reviews?id=1'%20OR%20'1'='1 HTTP/1.1\r\nContent-Length: 0");
    expect(res).toMatch(/^HTTP\/1\.1 403/);
  });

  test('benign bodies reach the app whole', async () => {
    const body = benign(3000);
    const res = await post(inline, body);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body).body).toBe(body);
  });
});

describe('phase 2 on a worker thread', () => {
  test('over the threshold: attacks blocked, benign bodies forwarded, small requests inline', async () => {
    const port = await wafProxy({ offload_threshold_bytes: 256 });
    const [attack, ok, small] = await Promise.all([post(port, `${benign(2000)}&${ATTACK}`), post(port, benign(2000)), post(port, 'text=hi')]);
    expect(attack.status).toBe(403);
    expect(attack.headers[WAF_BLOCKED_BY_HEADER]).toBe('1000200');
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body).body).toBe(benign(2000));
    expect(small.status).toBe(200);
  });

  test('a worker that overruns is replaced: BLOCK refuses that request with a 503 saying why', async () => {
    const port = await wafProxy({ offload_threshold_bytes: 256, offload_timeout_ms: 1, policy: 'overrun' });
    const res = await post(port, benign(200_000));
    expect(res.status).toBe(503);
    expect(res.headers[WAF_ERROR_HEADER]).toMatch(/^WAF evaluation (used more than 1 ms of CPU|took longer than \d+ ms)$/);
    // Meanwhile and afterwards the proxy serves.
    expect((await post(port, 'text=hi')).status).toBe(200);
  });

  test('DETECT mode lets an unjudged request through', async () => {
    const port = await wafProxy({ mode: 'DETECT', offload_threshold_bytes: 256, offload_timeout_ms: 1, policy: 'overrun-detect' });
    expect((await post(port, benign(200_000))).status).toBe(200);
  });
});

describe('request body limits (ModSecurity semantics)', () => {
  test('SecRequestBodyLimit with Reject: 413 naming the limit', async () => {
    const port = await wafProxy({ directives: ['SecRequestBodyLimit 1000'] });
    const res = await post(port, benign(5000));
    expect(res.status).toBe(413);
    expect(res.body).toContain('SecRequestBodyLimit (1000 bytes)');
    expect((await post(port, benign(900))).status).toBe(200);
  });

  test('ProcessPartial inspects the first bytes only and forwards the whole body', async () => {
    const port = await wafProxy({ directives: ['SecRequestBodyLimit 1000', 'SecRequestBodyLimitAction ProcessPartial'] });
    expect((await post(port, `${ATTACK}&${benign(5000)}`)).status).toBe(403);
    const late = await post(port, `${benign(5000)}&${ATTACK}`);
    expect(late.status).toBe(200);
    expect(JSON.parse(late.body).body).toHaveLength(5000 + 1 + ATTACK.length);
  });

  test('SecRequestBodyNoFilesLimit applies when configured', async () => {
    const port = await wafProxy({ directives: ['SecRequestBodyNoFilesLimit 1000'] });
    const res = await post(port, benign(2000));
    expect(res.status).toBe(413);
    expect(res.body).toContain('SecRequestBodyNoFilesLimit (1000 bytes)');
  });
});
