// `Expect: 100-continue` through the real RBAC and WAF filters: RBAC's denial comes before
// the client sends a byte of body, and a body the client sends after the proxy's 100 is
// still judged by the WAF (on its worker when big).
import * as http from 'node:http';
import { Proxy } from '@trellis/proxy';
import { plainSnapshot } from '../../proxy/test/helpers/plain';
import { close, echoApp, h1PostExpecting, listen } from '../../proxy/test/helpers/net';
import { HTTP_RBAC_TYPE_URL, rbacFilterFactory, WAF_TYPE_URL, wafFilterFactory } from '../src';

const HOST = '127.0.10.3';
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
/** Anyone may post comments; nothing else is allowed. */
const commentsOnly = {
  rules: {
    action: 'ALLOW',
    policies: { 'ns[shop]-policy[comments]-rule[0]': { principals: [{ any: true }], permissions: [{ header: { name: ':path', string_match: { prefix: '/comments' } } }] } },
  },
};

let app: http.Server;
let proxy: Proxy;
let port: number;

beforeAll(async () => {
  app = echoApp('app');
  proxy = new Proxy({ accessLog: null });
  proxy.registerFilter('envoy.filters.http.rbac', rbacFilterFactory, HTTP_RBAC_TYPE_URL);
  proxy.registerFilter('trellis.waf', wafFilterFactory, WAF_TYPE_URL);
  await proxy.applyConfig(plainSnapshot({
    endpoints: [await listen(app)],
    listener: { address: HOST },
    httpFilters: [
      { name: 'envoy.filters.http.rbac', typeUrl: HTTP_RBAC_TYPE_URL, typedConfig: commentsOnly },
      { name: 'trellis.waf', typeUrl: WAF_TYPE_URL, typedConfig: { rule_set: 'TRELLIS_DEFAULT', mode: 'BLOCK', offload_threshold_bytes: 256 } },
    ],
  }));
  await proxy.start();
  port = proxy.listenerPort('http');
});

afterAll(async () => {
  await proxy.close();
  await close(app);
});

test('RBAC denies from the head alone: 403, and the client never sends the body', async () => {
  const res = await h1PostExpecting(HOST, port, '/admin', `text=${'x'.repeat(10_000)}`, FORM);
  expect([res.continued, res.status]).toEqual([false, 403]);
});

test('an allowed request gets the 100, then the WAF judges the body it sent (worker past 256 bytes)', async () => {
  const benign = `text=${'hello '.repeat(2000)}`;
  const [attack, ok] = await Promise.all([
    h1PostExpecting(HOST, port, '/comments', `${benign}&q=<script>alert(1)</script>`, FORM),
    h1PostExpecting(HOST, port, '/comments', benign, FORM),
  ]);
  expect([attack.continued, attack.status]).toEqual([true, 403]);
  expect([ok.continued, ok.status, JSON.parse(ok.body).body]).toEqual([true, 200, benign]);
});
