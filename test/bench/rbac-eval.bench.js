// RBAC evaluation cost per request, for 1, 100 and 1,000 AuthorizationPolicies
// translated to Envoy RBAC and enforced by @trellis/rbac, as ratios against an empty
// policy set measured in the same run (absolute ns vary by machine; ratios less so).
//
// Run: npx tsc -b && node test/bench/rbac-eval.bench.js
'use strict';

const { compileRbacChain } = require('../../packages/rbac/dist/index.js');
const { parseAuthorizationPolicy, toEnvoyHttpRbac } = require('../../packages/policy/dist/index.js');

const WORKLOAD = { namespace: 'foo', labels: { app: 'httpbin' } };

/** Policy i allows one caller to one path prefix with GET/HEAD; a typical per-service policy. */
function allowPolicy(i) {
  return parseAuthorizationPolicy({
    apiVersion: 'security.istio.io/v1',
    kind: 'AuthorizationPolicy',
    metadata: { name: `allow-${String(i).padStart(4, '0')}`, namespace: 'foo' },
    spec: {
      selector: { matchLabels: { app: 'httpbin' } },
      rules: [
        {
          from: [{ source: { principals: [`cluster.local/ns/client-${i}/sa/app`], namespaces: [`client-${i}`] } }],
          to: [{ operation: { methods: ['GET', 'HEAD'], paths: [`/svc-${i}/*`] } }],
          when: [{ key: 'request.headers[x-tenant]', values: ['acme', 'tenant-*'] }],
        },
      ],
    },
  });
}

/** Matches the last policy in Envoy's (name) order, so every policy is tried first. */
function request(n) {
  const last = Math.max(n - 1, 0);
  return {
    sourceAddress: '10.0.1.5',
    destinationAddress: '10.0.2.7',
    destinationPort: 8000,
    peerCertificate: { uriSans: [`spiffe://cluster.local/ns/client-${last}/sa/app`] },
    headers: { ':method': 'GET', ':path': `/svc-${last}/items?limit=10`, ':authority': 'httpbin.foo', 'x-tenant': 'acme', 'user-agent': 'bench' },
  };
}

function measure(chain, ctx, targetMs) {
  let iterations = 1000;
  for (;;) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) chain.evaluate(ctx);
    const elapsedNs = Number(process.hrtime.bigint() - start);
    if (elapsedNs >= targetMs * 1e6) return elapsedNs / iterations;
    iterations *= 2;
  }
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const sizes = [0, 1, 100, 1000];
const benches = sizes.map((n) => {
  const policies = Array.from({ length: n }, (_, i) => allowPolicy(i));
  const chain = compileRbacChain(toEnvoyHttpRbac(policies, WORKLOAD));
  const ctx = request(n);
  const result = chain.evaluate(ctx);
  if (n > 0 && !result.allowed) throw new Error(`bench request should be allowed with ${n} policies`);
  return { n, chain, ctx, samples: [] };
});

// Interleave rounds so drift (thermal, GC) hits every size alike.
for (let round = 0; round < 7; round++) {
  for (const b of benches) {
    const ns = measure(b.chain, b.ctx, 100);
    if (round > 0) b.samples.push(ns); // round 0 is warm-up
  }
}

const baseline = median(benches[0].samples);
console.log('RBAC evaluation per request (HTTP, request matches the last policy; median of 6 rounds)');
console.log('policies   ns/request   x baseline');
for (const b of benches) {
  const ns = median(b.samples);
  const label = b.n === 0 ? '0 (base)' : String(b.n);
  console.log(`${label.padEnd(10)} ${ns.toFixed(0).padStart(11)}   ${(ns / baseline).toFixed(1).padStart(10)}`);
}
