// Pure pieces of the data path: the HTTP/1 codec's body framing, route matching, load
// balancers, outlier ejection, TLS ClientHello inspection, and snapshot validation.
import * as tls from 'node:tls';
import * as net from 'node:net';
import { parseSnapshot } from '../src';
import { BodyTracker, findHeadEnd, parseRequestHead, parseResponseHead } from '../src/http/h1-codec';
import { Headers } from '../src/http/headers';
import { pickWeighted, rewritePath, selectRoute, selectVirtualHost } from '../src/http/route-match';
import { Host } from '../src/balance/host';
import { createLoadBalancer, eligible } from '../src/balance/load-balancer';
import { OutlierDetector } from '../src/balance/outlier';
import { classify } from '../src/inbound/detect';
import { RouteConfiguration } from '../src/config/model';

describe('HTTP/1 codec', () => {
  const head = (s: string): Buffer => Buffer.from(s, 'latin1');

  test('parses a request head and its framing', () => {
    const buf = head('POST /x?y=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nX-A: 1\r\nX-A: 2\r\n\r\nhello');
    const end = findHeadEnd(buf);
    const req = parseRequestHead(buf, end);
    expect([req.method, req.target, req.keepAlive]).toEqual(['POST', '/x?y=1', true]);
    expect(req.framing).toEqual({ kind: 'length', length: 5 });
    expect(req.headers.toObject()['x-a']).toBe('1, 2');
  });

  test('response framing: HEAD, 204 and close-delimited bodies', () => {
    const r = head('HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n');
    expect(parseResponseHead(r, r.length, 'HEAD').framing).toEqual({ kind: 'none' });
    const nc = head('HTTP/1.1 204 No Content\r\n\r\n');
    expect(parseResponseHead(nc, nc.length, 'GET').framing).toEqual({ kind: 'none' });
    const close = head('HTTP/1.0 200 OK\r\n\r\n');
    const parsed = parseResponseHead(close, close.length, 'GET');
    expect([parsed.framing.kind, parsed.keepAlive]).toEqual(['close', false]);
  });

  test('chunked tracker finds the end of the body across arbitrary splits, trailers included', () => {
    const body = Buffer.from('5;ext=1\r\nhello\r\n10\r\n0123456789abcdef\r\n0\r\nx-trailer: t\r\n\r\nNEXT');
    for (let split = 1; split < body.length; split += 3) {
      const t = new BodyTracker({ kind: 'chunked' }, 400);
      const n1 = t.consume(body.subarray(0, split), 0);
      expect(n1).toBe(split > body.length - 4 ? body.length - 4 : split);
      const n2 = t.done ? 0 : t.consume(body, split);
      expect(t.done).toBe(true);
      expect(split + n2 === body.length - 4 || n1 === body.length - 4).toBe(true);
    }
  });

  test('chunked tracker rejects garbage', () => {
    expect(() => new BodyTracker({ kind: 'chunked' }, 400).consume(Buffer.from('5\r\nhelloXX'), 0)).toThrow(/CRLF/);
    expect(() => new BodyTracker({ kind: 'chunked' }, 400).consume(Buffer.from('fffffffffffffffff\r\n'), 0)).toThrow(/too large/);
  });
});

describe('routing', () => {
  const config = parseSnapshot({
    routes: [{
      name: 'r',
      virtualHosts: [
        { name: 'exact', domains: ['api.example.com'], routes: [
          { name: 'v2-header', match: { prefix: '/', headers: [{ name: 'x-version', exact: 'v2' }] }, route: { cluster: 'v2' } },
          { name: 'users-exact', match: { path: '/users' }, route: { cluster: 'users' } },
          { name: 'items-regex', match: { safeRegex: '/items/[0-9]+' }, route: { cluster: 'items' } },
          { name: 'ci-prefix', match: { prefix: '/CI/', caseSensitive: false }, route: { cluster: 'ci', prefixRewrite: '/internal/' } },
          { name: 'fallback', match: { prefix: '/' }, route: { cluster: 'default' } },
        ] },
        { name: 'suffix', domains: ['*.example.com'], routes: [{ name: 's', match: { prefix: '/' }, route: { cluster: 'suffix' } }] },
        { name: 'any', domains: ['*'], routes: [{ name: 'a', match: { prefix: '/' }, route: { cluster: 'any' } }] },
      ],
    }],
  }).routes[0] as RouteConfiguration;

  const route = (authority: string, path: string, h: Record<string, string> = {}): string | undefined => {
    const headers = new Headers();
    for (const [k, v] of Object.entries(h)) headers.add(k, v);
    return selectRoute(config, authority, path, headers)?.route?.cluster;
  };

  test('virtual host precedence: exact, then suffix wildcard, then *; port ignored', () => {
    expect(selectVirtualHost(config, 'API.example.com:8080')?.name).toBe('exact');
    expect(selectVirtualHost(config, 'web.example.com')?.name).toBe('suffix');
    expect(selectVirtualHost(config, 'other.org')?.name).toBe('any');
  });

  test('path, regex, header and case-insensitive matches in order', () => {
    expect(route('api.example.com', '/users?x=1')).toBe('users');
    expect(route('api.example.com', '/users/1')).toBe('default');
    expect(route('api.example.com', '/items/42')).toBe('items');
    expect(route('api.example.com', '/items/4x')).toBe('default');
    expect(route('api.example.com', '/users', { 'x-version': 'v2' })).toBe('v2');
    expect(route('api.example.com', '/ci/build')).toBe('ci');
  });

  test('prefix rewrite and weighted picks', () => {
    const r = selectRoute(config, 'api.example.com', '/CI/a?b', new Headers());
    expect(rewritePath(r!, '/CI/a?b')).toBe('/internal/a?b');
    const clusters = [{ name: 'a', weight: 1 }, { name: 'b', weight: 3 }];
    expect([0, 0.24, 0.25, 0.99].map((roll) => pickWeighted(clusters, roll))).toEqual(['a', 'a', 'b', 'b']);
  });
});

describe('load balancing and outlier detection', () => {
  const hosts = (n: number): Host[] => Array.from({ length: n }, (_, i) => new Host('10.0.0.' + i, 80, 1, 'HEALTHY'));

  test('round robin honours weights', () => {
    const hs = hosts(2);
    hs[1].weight = 3;
    const lb = createLoadBalancer('ROUND_ROBIN');
    const picks = Array.from({ length: 8 }, () => lb.pick(hs, undefined)?.address);
    expect(picks.filter((a) => a === hs[1].address).length).toBe(6);
  });

  test('least request prefers the idle host', () => {
    const hs = hosts(2);
    hs[0].activeRequests = 50;
    const lb = createLoadBalancer('LEAST_REQUEST');
    const picks = Array.from({ length: 50 }, () => lb.pick(hs, undefined));
    expect(picks.filter((h) => h === hs[1]).length).toBeGreaterThan(40);
  });

  test('ring hash is sticky per key and moves few keys when a host leaves', () => {
    const hs = hosts(5);
    const lb = createLoadBalancer('RING_HASH');
    const keys = Array.from({ length: 200 }, (_, i) => `user-${i}`);
    const before = keys.map((k) => lb.pick(hs, k));
    expect(keys.map((k) => lb.pick(hs, k))).toEqual(before);
    const without = hs.slice(0, 4);
    const moved = keys.filter((k, i) => before[i] !== hs[4] && lb.pick(without, k) !== before[i]).length;
    expect(moved).toBe(0);
  });

  test('unhealthy and draining endpoints are skipped; all-ejected falls back to panic mode', () => {
    const hs = hosts(3);
    hs[0].healthStatus = 'UNHEALTHY';
    hs[1].healthStatus = 'DRAINING';
    expect(eligible(hs, Date.now())).toEqual([hs[2]]);
    hs[2].ejectedUntil = Date.now() + 10_000;
    expect(eligible(hs, Date.now())).toEqual([hs[2]]);
  });

  test('outlier detector ejects after N consecutive failures, respecting maxEjectionPercent', () => {
    const hs = hosts(4);
    const od = new OutlierDetector({ consecutive5xx: 2, intervalMs: 1000, baseEjectionTimeMs: 1000, maxEjectionPercent: 25 });
    const now = 1_000_000;
    expect(od.record(hs[0], hs, true, now)).toBe(false);
    od.record(hs[1], hs, false, now);
    expect(od.record(hs[0], hs, true, now)).toBe(true);
    expect(hs[0].isEjected(now + 999)).toBe(true);
    od.record(hs[1], hs, true, now);
    expect(od.record(hs[1], hs, true, now)).toBe(false); // 25% of 4 = 1 host already ejected
  });
});

describe('TLS inspection', () => {
  test('reads SNI and ALPN from a real ClientHello; tells h2c and HTTP/1 apart', async () => {
    const hello = await new Promise<Buffer>((resolve) => {
      const server = net.createServer((s) => {
        s.once('data', (d: Buffer) => {
          resolve(d);
          s.destroy();
          server.close();
        });
      });
      server.listen(0, '127.0.0.1', () => {
        const c = tls.connect({ port: (server.address() as net.AddressInfo).port, host: '127.0.0.1', servername: 'b.default.svc', ALPNProtocols: ['h2', 'http/1.1'] });
        c.on('error', () => undefined);
      });
    });
    expect(classify(hello)).toEqual({ transport: 'tls', sni: 'b.default.svc', applicationProtocols: ['h2', 'http/1.1'] });
    expect(classify(Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n')).applicationProtocols).toEqual(['h2c']);
    expect(classify(Buffer.from('GET / HTTP/1.1\r\n')).applicationProtocols).toEqual(['http/1.1']);
    expect(classify(Buffer.from([0, 1, 2])).transport).toBe('raw_buffer');
  });
});

describe('snapshot validation', () => {
  test('defaults are filled in and references are checked', () => {
    const s = parseSnapshot({ clusters: [{ name: 'c' }] });
    expect(s.clusters[0]).toMatchObject({ type: 'EDS', lbPolicy: 'ROUND_ROBIN', connectTimeoutMs: 5000, circuitBreakers: { maxConnections: 1024 } });
    expect(parseSnapshot(s)).toEqual(s); // validated output is valid input
    expect(() => parseSnapshot({ clusters: [{ name: 'c', tls: { certificateSecret: 'x', validationSecret: 'y', matchSubjectAltNames: ['spiffe://a/b'] } }] }))
      .toThrow('clusters(c).tls.certificateSecret: references unknown tlsCertificate secret "x"');
  });

  test.each([
    [{ clusters: [{ name: 'c', tls: { certificateSecret: 'x', validationSecret: 'y' } }] }, 'clusters[0](c).tls.matchSubjectAltNames: needs at least one expected server SPIFFE ID'],
    [{ clusters: [{ name: 'c' }, { name: 'c' }] }, 'clusters: duplicate name "c"'],
    [{ clusters: [{ name: 'c', type: 'STATIC' }] }, 'clusters[0](c): a STATIC cluster needs a loadAssignment'],
    [{ routes: [{ name: 'r', virtualHosts: [{ name: 'v', domains: ['*'], routes: [{ match: { safeRegex: '(' }, route: { cluster: 'c' } }] }] }] }, 'invalid regex'],
    [{ routes: [{ name: 'r', virtualHosts: [{ name: 'v', domains: ['*'], routes: [{ match: { prefix: '/', path: '/x' }, route: { cluster: 'c' } }] }] }] }, 'exactly one of prefix, path, safeRegex is required'],
    [{ listeners: [{ name: 'l', address: '0.0.0.0', port: 1, filterChains: [{ name: 'f', network: { kind: 'http', routeConfigName: 'nope' } }] }] }, 'references unknown route configuration "nope"'],
    [{ listeners: [{ name: 'l', address: '0.0.0.0', port: 1, filterChains: [{ name: 'f', network: { kind: 'http', routeConfigName: 'r', httpFilters: [{ name: 'envoy.filters.http.router' }, { name: 'x' }] } }] }], routes: [{ name: 'r' }] }, 'router must be present exactly once, as the last filter'],
    [{ secrets: [{ name: 's', tlsCertificate: { certChainPem: 'hello', privateKeyPem: 'k' } }] }, 'secrets[0](s).tlsCertificate.certChainPem: expected PEM containing CERTIFICATE'],
  ])('rejects %j', (input, message) => {
    expect(() => parseSnapshot(input)).toThrow(message);
  });
});
