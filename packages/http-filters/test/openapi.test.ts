// The OpenAPI filter: unit checks on contexts, then block and detect modes on a real
// proxy listener in front of a real app.
import * as http from 'node:http';
import * as http2 from 'node:http2';
import { Headers, Proxy, type HttpFilter, type HttpFilterContext } from '@trellis/proxy';
import { plainSnapshot } from '../../proxy/test/helpers/plain';
import { close, echoApp, listen, request } from '../../proxy/test/helpers/net';
import { OPENAPI_METADATA_KEY, OPENAPI_REASON_HEADER, OPENAPI_TYPE_URL, openApiFilterFactory } from '../src';

const document = JSON.stringify({
  openapi: '3.0.3',
  info: { title: 'reviews', version: '1' },
  paths: {
    '/reviews/{id}': {
      get: { parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'integer' } }] },
    },
    '/reviews': {
      post: {
        requestBody: {
          required: true,
          content: { 'application/json': { schema: { type: 'object', required: ['stars'], properties: { stars: { type: 'integer', minimum: 1, maximum: 5 } } } } },
        },
      },
    },
  },
});

function context(method: string, path: string, headers: [string, string][] = [], protocol: 'http/1.1' | 'h2' = 'http/1.1'): HttpFilterContext {
  const h = new Headers();
  for (const [k, v] of headers) h.add(k, v);
  const hasBody = protocol === 'h2' || h.has('transfer-encoding') || Number(h.get('content-length') ?? 0) > 0;
  return {
    protocol, method, authority: 'reviews:9080', path, headers: h, hasBody,
    peer: { address: '127.0.1.11', port: 40000 }, local: { address: '127.0.1.12', port: 9080 },
    requestId: 'req-1', listenerName: 'inbound|9080', metadata: new Map(),
  };
}

describe('OpenAPI filter', () => {
  const blocking = openApiFilterFactory.create({ document, mode: 'BLOCK', policy: 'shop/reviews-waf' });
  const detecting = openApiFilterFactory.create({ document, mode: 'DETECT', policy: 'shop/reviews-waf' });

  test('a request the document describes continues and leaves no event', () => {
    const ctx = context('GET', '/reviews/7');
    expect(blocking.onRequestHeaders(ctx)).toBe('continue');
    expect(ctx.metadata.has(OPENAPI_METADATA_KEY)).toBe(false);
  });

  test('block mode answers with the status, the reason header and a JSON body', () => {
    const ctx = context('DELETE', '/reviews/7');
    const reply = blocking.onRequestHeaders(ctx) as { localReply: { status: number; headers: Record<string, string>; body: string } };
    expect(reply.localReply).toMatchObject({ status: 405, headers: { [OPENAPI_REASON_HEADER]: 'method DELETE not allowed on /reviews/{id}', allow: 'GET' } });
    expect(JSON.parse(reply.localReply.body)).toMatchObject({ reason: 'method DELETE not allowed on /reviews/{id}', policy: 'shop/reviews-waf', requestId: 'req-1' });
    expect(ctx.metadata.get(OPENAPI_METADATA_KEY)).toEqual({ policy: 'shop/reviews-waf', mode: 'BLOCK', blocked: true, status: 405, reason: 'method DELETE not allowed on /reviews/{id}' });
  });

  test('bodies are checked at end of stream, across chunks', () => {
    const ctx = context('POST', '/reviews', [['content-type', 'application/json']], 'h2');
    expect(blocking.onRequestHeaders(ctx)).toBe('continue');
    expect(blocking.onRequestBody!(ctx, Buffer.from('{"sta'), false)).toBe('continue');
    expect(blocking.onRequestBody!(ctx, Buffer.from('rs":9}'), true)).toMatchObject({ localReply: { status: 400, headers: { [OPENAPI_REASON_HEADER]: 'POST /reviews: body.stars must be <= 5' } } });
  });

  test('a bodiless HTTP/1.1 request to an operation that requires a body is refused at once', () => {
    expect(blocking.onRequestHeaders(context('POST', '/reviews', [['content-type', 'application/json']]))).toMatchObject({ localReply: { status: 400 } });
  });

  test('detect mode passes the request and records what block mode would have refused', () => {
    const ctx = context('GET', '/reviewz');
    expect(detecting.onRequestHeaders(ctx)).toBe('continue');
    expect(ctx.metadata.get(OPENAPI_METADATA_KEY)).toEqual({ policy: 'shop/reviews-waf', mode: 'DETECT', blocked: false, status: 404, reason: 'unknown path /reviewz' });
  });

  test('reasons echoing request text stay printable in the header', () => {
    const reply = blocking.onRequestHeaders(context('GET', '/r\u00e9views')) as { localReply: { headers: Record<string, string> } };
    expect(reply.localReply.headers[OPENAPI_REASON_HEADER]).toBe('unknown path /r?views');
  });

  test('a config without a usable document is refused when the filter is built', () => {
    expect(() => openApiFilterFactory.create({ mode: 'BLOCK' })).toThrow(/document is required/);
    expect(() => openApiFilterFactory.create({ document: '{"openapi":' })).toThrow(/not JSON/);
    expect(() => openApiFilterFactory.create({ document: '{"openapi":"3.0.0","paths":{"x":{}}}' })).toThrow('paths.x: a path must start with /');
  });
});

describe('OpenAPI filter on a real proxy listener', () => {
  const HOST = '127.0.1.21';
  let app: http.Server;
  let appPort: number;
  /** Closed after the proxies, which hold HTTP/2 sessions to it. */
  let h2App: http2.Http2Server | undefined;
  const proxies: Proxy[] = [];
  /** Audit events as a later filter (like the access log) sees them. */
  const events: unknown[] = [];
  const auditTap = { create: (): HttpFilter => ({ onRequestHeaders: (ctx) => void events.push(ctx.metadata.get(OPENAPI_METADATA_KEY)) }) };

  async function proxyIn(mode: 'BLOCK' | 'DETECT', upstreamPort = appPort): Promise<number> {
    const proxy = new Proxy({ accessLog: null });
    proxy.registerFilter('trellis.openapi', openApiFilterFactory, OPENAPI_TYPE_URL);
    proxy.registerFilter('trellis.test.audit_tap', auditTap);
    await proxy.applyConfig(plainSnapshot({
      endpoints: [upstreamPort],
      listener: { address: HOST },
      httpFilters: [{ name: 'trellis.openapi', typeUrl: OPENAPI_TYPE_URL, typedConfig: { document, mode, policy: 'shop/reviews-waf' } }, { name: 'trellis.test.audit_tap' }],
    }));
    await proxy.start();
    proxies.push(proxy);
    return proxy.listenerPort('http');
  }

  const postReview = (port: number, body: string) =>
    request(port, { host: HOST, method: 'POST', path: '/reviews', headers: { 'content-type': 'application/json', 'content-length': String(body.length) }, body });

  beforeAll(async () => {
    app = echoApp('reviews');
    appPort = await listen(app);
  });

  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.close()));
    await close(app);
    if (h2App) await close(h2App);
  });

  test('block mode: described requests reach the app, the rest get the reason from the proxy', async () => {
    const port = await proxyIn('BLOCK');
    expect((await request(port, { host: HOST, path: '/reviews/7' })).headers['x-app']).toBe('reviews');
    expect(JSON.parse((await postReview(port, '{"stars":4}')).body)).toMatchObject({ app: 'reviews', body: '{"stars":4}' });

    const unknown = await request(port, { host: HOST, path: '/reviewz' });
    expect([unknown.status, unknown.headers[OPENAPI_REASON_HEADER], unknown.headers['x-app']]).toEqual([404, 'unknown path /reviewz', undefined]);
    expect(JSON.parse(unknown.body)).toMatchObject({ reason: 'unknown path /reviewz', policy: 'shop/reviews-waf' });
    const badParameter = await request(port, { host: HOST, path: '/reviews/seven' });
    expect([badParameter.status, badParameter.headers[OPENAPI_REASON_HEADER]]).toEqual([400, 'GET /reviews/{id}: path.id must be integer']);
    const badBody = await postReview(port, '{"stars":"many"}');
    expect([badBody.status, badBody.headers[OPENAPI_REASON_HEADER]]).toEqual([400, 'POST /reviews: body.stars must be integer']);
    // Content-Length: 0 is a body the proxy never calls the body hook for: judged at the head.
    const empty = await request(port, { host: HOST, method: 'POST', path: '/reviews', headers: { 'content-type': 'application/json', 'content-length': '0' } });
    expect([empty.status, empty.headers[OPENAPI_REASON_HEADER]]).toEqual([400, 'POST /reviews: body is required']);
  });

  test('block mode over HTTP/2 (h2c): the body is judged at end of stream', async () => {
    // The upstream protocol follows the downstream one: an h2c app behind this proxy.
    h2App = http2.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ app: 'reviews', body: Buffer.concat(chunks).toString() })));
    });
    const port = await proxyIn('BLOCK', await listen(h2App));
    const session = http2.connect(`http://${HOST}:${port}`);
    const exchange = (headers: http2.OutgoingHttpHeaders, body?: string) => new Promise<{ status: number; reason: unknown; body: string }>((resolve, reject) => {
      const stream = session.request({ ':authority': 'reviews', ...headers });
      let status = 0;
      let reason: unknown;
      const chunks: Buffer[] = [];
      stream.on('response', (h) => ((status = Number(h[':status'])), (reason = h[OPENAPI_REASON_HEADER])));
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => resolve({ status, reason, body: Buffer.concat(chunks).toString() }));
      stream.on('error', reject);
      stream.end(body);
    });
    try {
      const post = (body: string) => exchange({ ':method': 'POST', ':path': '/reviews', 'content-type': 'application/json' }, body);
      expect(JSON.parse((await post('{"stars":5}')).body)).toMatchObject({ app: 'reviews', body: '{"stars":5}' });
      expect(await post('{"stars":6}')).toMatchObject({ status: 400, reason: 'POST /reviews: body.stars must be <= 5' });
      expect(await exchange({ ':method': 'POST', ':path': '/reviews', 'content-type': 'application/json' })).toMatchObject({ status: 400, reason: 'POST /reviews: body is required' });
      // A bodiless GET: the buffered (empty) body must still end the upstream stream.
      expect(await exchange({ ':method': 'GET', ':path': '/reviews/7' })).toMatchObject({ status: 200 });
      expect(await exchange({ ':method': 'GET', ':path': '/reviews/x' })).toMatchObject({ status: 400 });
    } finally {
      session.close();
    }
  });

  test('detect mode: everything reaches the app, mismatches leave an audit event', async () => {
    const port = await proxyIn('DETECT');
    events.length = 0;
    const unknown = await request(port, { host: HOST, path: '/reviewz' });
    expect([unknown.status, unknown.headers['x-app']]).toEqual([200, 'reviews']);
    expect(events).toEqual([{ policy: 'shop/reviews-waf', mode: 'DETECT', blocked: false, status: 404, reason: 'unknown path /reviewz' }]);
    const badBody = await postReview(port, '{"stars":0}');
    expect(JSON.parse(badBody.body)).toMatchObject({ app: 'reviews', body: '{"stars":0}' });
  });
});
