import { Headers, type HttpFilterContext } from '@trellis/proxy';
import { compileRbac, type RbacContext } from '@trellis/rbac';
import { DENIED_BY_HEADER, WAF_BLOCKED_BY_HEADER, WAF_METADATA_KEY, rbacFilterFactory, wafFilterFactory, type WafAuditEvent } from '../src';

function context(method: string, path: string, spiffeId?: string, headers: [string, string][] = []): HttpFilterContext {
  const h = new Headers();
  for (const [k, v] of headers) h.add(k, v);
  return {
    protocol: 'http/1.1', method, authority: 'reviews:9080', path, headers: h,
    hasBody: h.has('transfer-encoding') || Number(h.get('content-length') ?? 0) > 0,
    peer: { address: '127.0.0.11', port: 40000, ...(spiffeId ? { spiffeId } : {}) },
    local: { address: '127.0.0.12', port: 9080 }, requestId: 'req-1', listenerName: 'inbound|9080', metadata: new Map(),
  };
}

describe('RBAC filter', () => {
  const allowFrontendGets = {
    rules: {
      action: 'ALLOW',
      policies: {
        'ns[shop]-policy[readers]-rule[0]': {
          principals: [{ authenticated: { principal_name: { exact: 'spiffe://cluster.local/ns/shop/sa/frontend' } } }],
          permissions: [{ header: { name: ':method', string_match: { exact: 'GET' } } }],
        },
      },
    },
  };
  const filter = rbacFilterFactory.create(allowFrontendGets);

  test('allows what a policy allows, and records which', () => {
    const ctx = context('GET', '/reviews/1', 'spiffe://cluster.local/ns/shop/sa/frontend');
    expect(filter.onRequestHeaders(ctx)).toBe('continue');
    expect(ctx.metadata.get('rbac')).toMatchObject({ allowed: true, policy: 'ns[shop]-policy[readers]-rule[0]' });
  });

  test('denies with a 403 that says why', () => {
    const reply = filter.onRequestHeaders(context('POST', '/reviews/1', 'spiffe://cluster.local/ns/shop/sa/frontend'));
    expect(reply).toMatchObject({ localReply: { status: 403, headers: { [DENIED_BY_HEADER]: 'no ALLOW policy matched' } } });
    expect(filter.onRequestHeaders(context('GET', '/reviews/1'))).toMatchObject({ localReply: { status: 403 } });
  });

  test('a config it cannot enforce is refused when the filter is built', () => {
    expect(() => rbacFilterFactory.create({ rules: { action: 'ALLOW', policies: { p: { permissions: [{ uri_template: {} }], principals: [{ any: true }] } } } })).toThrow(/uri_template/);
  });
});

describe('RBAC filter header lookup', () => {
  /** The filter used to copy every header into a record; the lazy lookup must decide exactly as that record did. */
  function recordContext(ctx: HttpFilterContext): RbacContext {
    const headers: Record<string, string | string[]> = { ':method': ctx.method, ':path': ctx.path, ':authority': ctx.authority };
    ctx.headers.forEach((name, value) => {
      const existing = headers[name];
      headers[name] = existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
    });
    return { sourceAddress: ctx.peer.address, destinationAddress: ctx.local.address, destinationPort: ctx.local.port, headers };
  }

  const MATCHERS: Record<string, unknown>[] = [
    { name: 'x-tenant', string_match: { exact: 'acme' } },
    { name: 'x-tenant', string_match: { exact: 'acme,beta' } },
    { name: 'X-Tenant', string_match: { exact: 'b' } },
    { name: 'x-tenant', string_match: { exact: 'a' } },
    { name: 'x-tenant', present_match: true },
    { name: 'x-tenant', present_match: false },
    { name: 'x-tenant', string_match: { exact: '' }, treat_missing_header_as_empty: true },
    { name: 'x-tenant', string_match: { contains: 'eta' }, invert_match: true },
    { name: ':method', string_match: { exact: 'GET,POST' } },
    { name: ':method', string_match: { exact: 'GET' } },
    { name: ':authority', string_match: { prefix: 'reviews' } },
    { name: ':path', string_match: { suffix: '/1' } },
  ];
  const HEADER_LISTS: [string, string][][] = [
    [],
    [['x-tenant', 'acme']],
    [['x-tenant', 'acme'], ['accept', '*/*'], ['x-tenant', 'beta']],
    [['x-tenant', '']],
    [['X-Tenant', 'acme']],
    [['x-tenant', 'a'], ['X-Tenant', 'b']],
    [['X-Tenant', 'a'], ['x-TENANT', 'b'], ['X-Tenant', 'c']],
    [[':method', 'POST']],
  ];

  test('repeated, mixed-case and pseudo-headers decide as the copied record did', () => {
    for (const header of MATCHERS) {
      const config = { rules: { action: 'ALLOW', policies: { p: { permissions: [{ header }], principals: [{ any: true }] } } } };
      const filter = rbacFilterFactory.create(config);
      const engine = compileRbac(config);
      for (const headers of HEADER_LISTS) {
        const ctx = context('GET', '/reviews/1', undefined, headers);
        const lazy = filter.onRequestHeaders(ctx) === 'continue';
        expect({ header, headers, allowed: lazy }).toEqual({ header, headers, allowed: engine.evaluate(recordContext(ctx)).allowed });
      }
    }
  });

  test('a repeated header is its values joined with a comma, in order', () => {
    const config = { rules: { action: 'ALLOW', policies: { p: { permissions: [{ header: { name: 'x-tenant', string_match: { exact: 'acme,beta' } } }], principals: [{ any: true }] } } } };
    const ctx = context('GET', '/', undefined, [['x-tenant', 'acme'], ['x-tenant', 'beta']]);
    expect(rbacFilterFactory.create(config).onRequestHeaders(ctx)).toBe('continue');
  });
});

describe('WAF filter (built-in profile)', () => {
  const blocking = wafFilterFactory.create({ mode: 'BLOCK', rule_set: 'TRELLIS_DEFAULT', policy: 'shop/reviews-waf', exclude_paths: ['/raw/*'], exclude_parameters: ['sql'] });
  const detecting = wafFilterFactory.create({ mode: 'DETECT', rule_set: 'TRELLIS_DEFAULT', policy: 'shop/reviews-waf' });
  const attack = "/reviews?id=1'%20OR%20'1'='1";

  test('blocks an attack with a 403 naming the rule, and leaves an audit event', () => {
    const ctx = context('GET', attack);
    // A bodiless HTTP/1.1 request is judged on its headers: no body callback will come.
    const reply = blocking.onRequestHeaders(ctx);
    expect(reply).toMatchObject({ localReply: { status: 403, headers: { [WAF_BLOCKED_BY_HEADER]: '1000100' } } });
    const event = ctx.metadata.get(WAF_METADATA_KEY) as WafAuditEvent;
    expect(event).toMatchObject({ policy: 'shop/reviews-waf', mode: 'BLOCK', blocked: true, ruleId: 1000100 });
    expect(event.matched[0]!.data.length).toBeLessThanOrEqual(64);
  });

  test('detect mode reports the same attack and lets it through (HTTP/2: phase 2 at end of stream)', () => {
    const ctx = { ...context('GET', attack), protocol: 'h2' as const, hasBody: true };
    expect(detecting.onRequestHeaders(ctx)).toBe('continue');
    expect(detecting.onRequestBody!(ctx, Buffer.alloc(0), true)).toBe('continue');
    expect(ctx.metadata.get(WAF_METADATA_KEY)).toMatchObject({ mode: 'DETECT', blocked: false });
  });

  test('excluded paths and parameters are not inspected; benign requests pass', () => {
    for (const path of ["/raw/x?id=1'%20OR%20'1'='1", "/reviews?sql=1'%20OR%20'1'='1", '/reviews/1?sort=desc']) {
      expect(blocking.onRequestHeaders(context('GET', path))).toBe('continue');
    }
  });

  test('a body attack is caught in phase 2: the headers hook continues, the end of the body decides', async () => {
    const ctx = context('POST', '/comments', undefined, [['content-type', 'application/x-www-form-urlencoded'], ['content-length', '30']]);
    expect(blocking.onRequestHeaders(ctx)).toBe('continue');
    // Small enough to be judged inline: the verdict comes synchronously.
    expect(blocking.onRequestBody!(ctx, Buffer.from('text=<script>alert(1)</script>'), true)).toMatchObject({ localReply: { status: 403, headers: { [WAF_BLOCKED_BY_HEADER]: '1000200' } } });
  });
});
