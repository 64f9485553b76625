// The WAF filter on a real proxy listener: body timing (bytes read with the head, empty
// bodies), phase 2 on a worker thread past the offload threshold over HTTP/1.1 and HTTP/2,
// failing closed or open when the worker cannot answer, and ModSecurity's body limits. Worker tests use the built
// worker (packages/waf/dist): run `npx tsc -b` first.
import * as http from 'node:http';
import * as http2 from 'node:http2';
import * as net from 'node:net';
import { Proxy } from '@trellis/proxy';
import { WafWorkerPool } from '@trellis/waf';
import { plainSnapshot } from '../../proxy/test/helpers/plain';
import { close, echoApp, h2EchoApp, h2Request, listen, request, type SimpleResponse } from '../../proxy/test/helpers/net';
import { WAF_BLOCKED_BY_HEADER, WAF_ERROR_HEADER, WAF_TYPE_URL, wafFilterFactory, type WafFilterConfig } from '../src';

const HOST = '127.0.2.1';
let app: http.Server;
let appPort: number;
/** The same app over h2c: the proxy's upstream protocol follows the downstream one. Closed after the proxies, which hold sessions to it. */
let h2App: http2.Http2Server;
let h2AppPort: number;
const proxies: Proxy[] = [];

beforeAll(async () => {
  app = echoApp('app');
  appPort = await listen(app);
  h2App = h2EchoApp('app');
  h2AppPort = await listen(h2App);
});

afterAll(async () => {
  await Promise.all(proxies.map((p) => p.close()));
  await Promise.all([close(app), close(h2App)]);
});

async function wafProxy(config: WafFilterConfig, upstreamPort = appPort): Promise<number> {
  const proxy = new Proxy({ accessLog: null });
  proxy.registerFilter('trellis.waf', wafFilterFactory, WAF_TYPE_URL);
  await proxy.applyConfig(plainSnapshot({
    endpoints: [upstreamPort],
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

describe('1 MB bodies on the worker, over HTTP/1.1 and HTTP/2 alike', () => {
  /** The built-in rules take ~300 ms over this (measured inline): the attack sits after a megabyte of arguments. */
  const hostile = (() => {
    const args = Array.from({ length: 2000 }, (_, i) => `a${i}=hello`).join('&');
    return `${`${args}&${benign(1_000_000)}`.slice(0, 1_000_000 - ATTACK.length - 1)}&${ATTACK}`;
  })();
  const bigBenign = benign(1_000_000);
  let h1Port: number;
  let h2Port: number;
  let session: http2.ClientHttp2Session;
  beforeAll(async () => {
    // A generous CPU budget: this is about where the body is judged, not about overruns.
    h1Port = await wafProxy({ offload_timeout_ms: 20_000, policy: 'big-h1' });
    h2Port = await wafProxy({ offload_timeout_ms: 20_000, policy: 'big-h2' }, h2AppPort);
    session = http2.connect(`http://${HOST}:${h2Port}`);
  });
  afterAll(() => session.close());

  const h2Post = (body: string) =>
    h2Request(session, { ':method': 'POST', ':path': '/comments', ':authority': 'shop', 'content-type': 'application/x-www-form-urlencoded' }, body);
  const send: Record<string, (body: string) => Promise<SimpleResponse>> = { 'HTTP/1.1': (body) => post(h1Port, body), h2: h2Post };

  test.each(['HTTP/1.1', 'h2'])('%s: the hostile body is blocked, the benign one reaches the app whole', async (protocol) => {
    const evaluate = jest.spyOn(WafWorkerPool.prototype, 'evaluate');
    try {
      const [attack, ok] = await Promise.all([send[protocol](hostile), send[protocol](bigBenign)]);
      expect(attack.status).toBe(403);
      expect(attack.headers[WAF_BLOCKED_BY_HEADER]).toBe('1000200');
      expect(ok.status).toBe(200);
      expect(JSON.parse(ok.body).body).toBe(bigBenign);
      expect(evaluate).toHaveBeenCalledTimes(2);
    } finally {
      evaluate.mockRestore();
    }
  });

  test('h2: a worker that overruns refuses the request with a 503, so the worker judged it', async () => {
    const port = await wafProxy({ offload_timeout_ms: 1, policy: 'overrun-h2' }, h2AppPort);
    const client = http2.connect(`http://${HOST}:${port}`);
    try {
      const res = await h2Request(client, { ':method': 'POST', ':path': '/comments', ':authority': 'shop', 'content-type': 'application/x-www-form-urlencoded' }, benign(200_000));
      expect(res.status).toBe(503);
      expect(res.headers[WAF_ERROR_HEADER]).toMatch(/^WAF evaluation (used more than 1 ms of CPU|took longer than \d+ ms)$/);
    } finally {
      client.close();
    }
  });

  test('h2: while a 1 MB hostile body is judged, a small request on the same proxy completes', async () => {
    let judging!: () => void;
    const judgingStarted = new Promise<void>((resolve) => (judging = resolve));
    let judged = false;
    const original = WafWorkerPool.prototype.evaluate;
    const evaluate = jest.spyOn(WafWorkerPool.prototype, 'evaluate').mockImplementation(function (this: WafWorkerPool, request) {
      judging();
      return original.call(this, request).finally(() => (judged = true));
    });
    try {
      const big = h2Post(hostile);
      await judgingStarted;
      const small = await h2Post('text=hi');
      // Inline, the event loop would have been busy with the big body until its verdict.
      expect({ small: small.status, bigStillJudged: !judged }).toEqual({ small: 200, bigStillJudged: true });
      expect((await big).status).toBe(403);
    } finally {
      evaluate.mockRestore();
    }
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
