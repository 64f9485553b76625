// Cost per request of the HTTP RBAC filter (envoy.filters.http.rbac) with 100 AuthorizationPolicies,
// as a ratio against the engine alone deciding the same request from a context built once: the
// difference is what the filter spends handing the request (headers, peer) to the engine.
// Requests carry 13 headers, like a browser or a mesh client behind an ingress.
//
// Run: npx tsc -b && /usr/bin/time -v node test/bench/rbac-filter.bench.js [--baseline <other build>/packages/http-filters/dist/rbac.js]
// --baseline measures another build's filter too, in the same rounds: a before/after of a filter change.
'use strict';

const { parseAuthorizationPolicy, toEnvoyHttpRbac } = require('../../packages/policy/dist/index.js');
const { compileRbacChain } = require('../../packages/rbac/dist/index.js');
const { rbacFilterFactory } = require('../../packages/http-filters/dist/index.js');
const { Headers } = require('../../packages/proxy/dist/index.js');
const path = require('node:path');

const POLICIES = 100;
const WORKLOAD = { namespace: 'foo', labels: { app: 'httpbin' } };

/** Per-caller policies: a principal to a path prefix with GET/HEAD and a header condition, or a namespace to one path with POST. */
function policy(i) {
  const rule = i % 2 === 0
    ? {
        from: [{ source: { principals: [`cluster.local/ns/client-${i}/sa/app`] } }],
        to: [{ operation: { methods: ['GET', 'HEAD'], paths: [`/svc-${i}/*`] } }],
        when: [{ key: 'request.headers[x-tenant]', values: ['acme', 'tenant-*'] }],
      }
    : { from: [{ source: { namespaces: [`client-${i}`] } }], to: [{ operation: { methods: ['POST'], paths: [`/orders/${i}`] } }] };
  return parseAuthorizationPolicy({
    apiVersion: 'security.istio.io/v1',
    kind: 'AuthorizationPolicy',
    metadata: { name: `allow-${String(i).padStart(4, '0')}`, namespace: 'foo' },
    spec: { selector: { matchLabels: { app: 'httpbin' } }, rules: [rule] },
  });
}

const CLIENT = POLICIES - 2; // matches the last GET policy
const METHOD = 'GET';
const PATH = `/svc-${CLIENT}/items?limit=10`;
const AUTHORITY = 'httpbin.foo.svc.cluster.local';
const HEADER_LINES = [
  ['user-agent', 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36'],
  ['accept', 'application/json, text/plain, */*'],
  ['accept-encoding', 'gzip, deflate, br'],
  ['accept-language', 'en-GB,en;q=0.9'],
  ['cookie', 'session=3f2a9c; theme=dark'],
  ['x-request-id', '7d1c2b8e-5f0a-4c7e-9a51-2b6f3d8e1a04'],
  ['x-forwarded-for', '203.0.113.7'],
  ['x-forwarded-proto', 'https'],
  ['x-b3-traceid', '80f198ee56343ba864fe8b2a57d3eff7'],
  ['x-b3-spanid', 'e457b5a2e4d86bd1'],
  ['x-tenant', 'acme'],
  ['traceparent', '00-80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-01'],
  ['content-length', '0'],
];
const PEER = { address: '10.0.1.5', port: 41000, spiffeId: `spiffe://cluster.local/ns/client-${CLIENT}/sa/app` };
const LOCAL = { address: '10.0.2.7', port: 8000 };

// ALLOW policies only, so one RBAC filter config: the one the proxy's filter chain would hold.
const configs = toEnvoyHttpRbac(Array.from({ length: POLICIES }, (_, i) => policy(i)), WORKLOAD);
if (configs.length !== 1) throw new Error('expected a single ALLOW RBAC config');
const expected = `ns[foo]-policy[allow-${String(CLIENT).padStart(4, '0')}]-rule[0]`;

// Baseline: the engine alone, on a context built once outside the loop.
const chain = compileRbacChain(configs);
const prebuilt = {
  sourceAddress: PEER.address,
  destinationAddress: LOCAL.address,
  destinationPort: LOCAL.port,
  peerCertificate: { uriSans: [PEER.spiffeId] },
  headers: { ':method': METHOD, ':path': PATH, ':authority': AUTHORITY, ...Object.fromEntries(HEADER_LINES) },
};
if (chain.evaluate(prebuilt).matchedPolicy !== expected) throw new Error(`the engine should match ${expected}`);

// The filter, on a request as the proxy hands it over (a fresh metadata map each time, as per request).
const baselineAt = process.argv.indexOf('--baseline');
const filters = [['filter onRequestHeaders, this build', rbacFilterFactory.create(configs[0], undefined)]];
if (baselineAt > 0) filters.push(['filter onRequestHeaders, baseline build', require(path.resolve(process.argv[baselineAt + 1])).rbacFilterFactory.create(configs[0], undefined)]);
const headers = new Headers();
for (const [name, value] of HEADER_LINES) headers.add(name, value);
const request = () => ({
  protocol: 'http/1.1', method: METHOD, authority: AUTHORITY, path: PATH, headers, hasBody: false, peer: PEER, local: LOCAL,
  requestId: 'r', listenerName: 'inbound', metadata: new Map(),
});
for (const [name, filter] of filters) {
  const ctx = request();
  if (filter.onRequestHeaders(ctx) !== 'continue' || ctx.metadata.get('rbac').policy !== expected) throw new Error(`${name} should allow by ${expected}`);
}

function measure(run, targetMs) {
  let iterations = 1000;
  for (;;) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) run();
    const elapsedNs = Number(process.hrtime.bigint() - start);
    if (elapsedNs >= targetMs * 1e6) return elapsedNs / iterations;
    iterations *= 2;
  }
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const benches = [
  { name: 'engine, context built once (base)', run: () => chain.evaluate(prebuilt), samples: [] },
  ...filters.map(([name, filter]) => ({ name, run: () => filter.onRequestHeaders(request()), samples: [] })),
];
// Interleave rounds so drift (thermal, GC, other load) hits both alike; round 0 is warm-up.
for (let round = 0; round < 9; round++) {
  for (const b of benches) {
    const ns = measure(b.run, 100);
    if (round > 0) b.samples.push(ns);
  }
}
const base = median(benches[0].samples);
console.log(`HTTP RBAC per request, ${POLICIES} policies, ${HEADER_LINES.length} headers (median of 8 rounds)`);
for (const b of benches) {
  const ns = median(b.samples);
  const overhead = b === benches[0] ? '' : `   filter overhead ${(ns - base).toFixed(0)} ns`;
  console.log(`${b.name.padEnd(40)} ${ns.toFixed(0).padStart(8)} ns   x${(ns / base).toFixed(2)}${overhead}`);
}
console.log(`max RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(1)} MB`);
