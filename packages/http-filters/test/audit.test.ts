// What filters decide reaches the operator: each request's access-log line carries the
// RBAC decision and the WAF's audit event, and /stats/prometheus counts them by policy,
// decision and rule, on a real proxy listener in front of a real app.
import * as http from 'node:http';
import { PassThrough } from 'node:stream';
import { Proxy } from '@trellis/proxy';
import { plainSnapshot } from '../../proxy/test/helpers/plain';
import { close, echoApp, listen, request } from '../../proxy/test/helpers/net';
import { HTTP_RBAC_TYPE_URL, rbacFilterFactory, WAF_TYPE_URL, wafFilterFactory } from '../src';

const HOST = '127.0.1.31';
const denyAdmin = {
  rules: {
    action: 'DENY',
    policies: { 'ns[shop]-policy[no-admin]-rule[0]': { permissions: [{ url_path: { path: { prefix: '/admin' } } }], principals: [{ any: true }] } },
  },
};

let app: http.Server;
let proxy: Proxy;
const lines: Record<string, unknown>[] = [];

beforeAll(async () => {
  app = echoApp('reviews');
  const appPort = await listen(app);
  const accessLog = new PassThrough();
  let pending = '';
  accessLog.on('data', (chunk: Buffer) => {
    const parts = (pending + chunk.toString()).split('\n');
    pending = parts.pop() ?? '';
    for (const line of parts) lines.push(JSON.parse(line));
  });
  proxy = new Proxy({ accessLog });
  proxy.registerFilter('envoy.filters.http.rbac', rbacFilterFactory, HTTP_RBAC_TYPE_URL);
  proxy.registerFilter('trellis.waf', wafFilterFactory, WAF_TYPE_URL);
  await proxy.applyConfig(plainSnapshot({
    endpoints: [appPort],
    listener: { address: HOST },
    httpFilters: [
      { name: 'envoy.filters.http.rbac', typeUrl: HTTP_RBAC_TYPE_URL, typedConfig: denyAdmin },
      { name: 'trellis.waf', typeUrl: WAF_TYPE_URL, typedConfig: { mode: 'BLOCK', rule_set: 'TRELLIS_DEFAULT', policy: 'shop/reviews-waf' } },
    ],
  }));
  await proxy.start();
});

afterAll(async () => {
  await proxy.close();
  await close(app);
});

test('access log lines and metrics carry the deciding policy, rule and verdict', async () => {
  const port = proxy.listenerPort('http');
  expect((await request(port, { host: HOST, path: '/reviews/1' })).status).toBe(200);
  expect((await request(port, { host: HOST, path: '/admin/users' })).status).toBe(403);
  const sqli = await request(port, { host: HOST, path: "/reviews?id=1'%20OR%20'1'='1" });
  expect(sqli.status).toBe(403);
  await new Promise((r) => setTimeout(r, 50)); // the access log flushes once per event-loop turn

  const byPath = (prefix: string) => lines.find((l) => String(l['path']).startsWith(prefix)) as { filters?: Record<string, unknown> } | undefined;
  expect(byPath('/reviews/1')?.filters).toEqual({ rbac: { allowed: true, policy: 'no policy matched' } });
  expect(byPath('/admin')?.filters).toEqual({ rbac: { allowed: false, policy: 'ns[shop]-policy[no-admin]-rule[0]' } });
  const waf = byPath('/reviews?id')?.filters?.['waf'] as { blocked: boolean; policy: string; matched: { id: number; data: string }[] };
  expect(waf).toMatchObject({ blocked: true, policy: 'shop/reviews-waf' });
  expect(waf.matched.length).toBeGreaterThan(0);

  const metrics = proxy.stats.renderPrometheus();
  expect(metrics).toContain('trellis_rbac_decisions_total{policy="ns[shop]-policy[no-admin]-rule[0]",decision="deny"} 1');
  expect(metrics).toContain('trellis_waf_verdicts_total{policy="shop/reviews-waf",verdict="blocked"} 1');
  expect(metrics).toMatch(new RegExp(`trellis_waf_rule_matches_total\\{policy="shop/reviews-waf",rule="${waf.matched[0]!.id}"\\} 1`));
});
