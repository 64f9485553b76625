// RBAC evaluation cost per request, for 1, 100 and 1,000 AuthorizationPolicies
// translated to Envoy RBAC and enforced by @trellis/rbac, as ratios against an empty
// policy set measured in the same run (absolute ns vary by machine; ratios less so).
// Two requests per size: one matching the last policy in Envoy's (name) order, the worst
// case for a walk over every policy, and one matching none (an ALLOW engine's denial).
//
// Run: npx tsc -b && /usr/bin/time -v node test/bench/rbac-eval.bench.js [--baseline <other build>/packages/rbac/dist/index.js]
// --baseline measures another build's engine too, in the same process and rounds: a before/after
// of an engine change that does not depend on how loaded the machine was in each run.
'use strict';

const path = require('node:path');
const { parseAuthorizationPolicy, toEnvoyHttpRbac } = require('../../packages/policy/dist/index.js');

const WORKLOAD = { namespace: 'foo', labels: { app: 'httpbin' } };

/**
 * A realistic mix of per-caller policies, by i % 4: a principal and its namespace to a path
 * prefix with GET/HEAD and a header condition; a whole namespace to one exact path with POST;
 * a principal to a path prefix, any method; a namespace to everything but /admin/ with GET.
 */
const RULES = [
  (i) => ({
    from: [{ source: { principals: [`cluster.local/ns/client-${i}/sa/app`], namespaces: [`client-${i}`] } }],
    to: [{ operation: { methods: ['GET', 'HEAD'], paths: [`/svc-${i}/*`] } }],
    when: [{ key: 'request.headers[x-tenant]', values: ['acme', 'tenant-*'] }],
  }),
  (i) => ({ from: [{ source: { namespaces: [`client-${i}`] } }], to: [{ operation: { methods: ['POST'], paths: [`/orders/${i}`] } }] }),
  (i) => ({ from: [{ source: { principals: [`cluster.local/ns/client-${i}/sa/app`] } }], to: [{ operation: { paths: [`/api/${i}/*`] } }] }),
  (i) => ({ from: [{ source: { namespaces: [`client-${i}`] } }], to: [{ operation: { methods: ['GET'], notPaths: ['/admin/*'] } }] }),
];

/** What a request from client-i must look like to match policy i's rule. */
const REQUESTS = [
  (i) => ({ method: 'GET', path: `/svc-${i}/items?limit=10` }),
  (i) => ({ method: 'POST', path: `/orders/${i}` }),
  (i) => ({ method: 'PUT', path: `/api/${i}/settings` }),
  () => ({ method: 'GET', path: '/status' }),
];

function policy(i) {
  return parseAuthorizationPolicy({
    apiVersion: 'security.istio.io/v1',
    kind: 'AuthorizationPolicy',
    metadata: { name: `allow-${String(i).padStart(4, '0')}`, namespace: 'foo' },
    spec: { selector: { matchLabels: { app: 'httpbin' } }, rules: [RULES[i % RULES.length](i)] },
  });
}

function request(client, { method, path }) {
  return {
    sourceAddress: '10.0.1.5',
    destinationAddress: '10.0.2.7',
    destinationPort: 8000,
    peerCertificate: { uriSans: [`spiffe://cluster.local/ns/client-${client}/sa/app`] },
    headers: { ':method': method, ':path': path, ':authority': 'httpbin.foo', 'x-tenant': 'acme', 'user-agent': 'bench' },
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

const baselineAt = process.argv.indexOf('--baseline');
const builds = [['this build', require('../../packages/rbac/dist/index.js')]];
if (baselineAt > 0) builds.push(['baseline build', require(path.resolve(process.argv[baselineAt + 1]))]);

const sizes = [0, 1, 100, 1000];
const benches = builds.flatMap(([build, { compileRbacChain }]) => sizes.map((n) => {
  const chain = compileRbacChain(toEnvoyHttpRbac(Array.from({ length: n }, (_, i) => policy(i)), WORKLOAD));
  const last = Math.max(n - 1, 0);
  const matchingLast = request(last, REQUESTS[last % REQUESTS.length](last));
  const matchingNone = request(n + 1, { method: 'DELETE', path: '/nowhere' });
  const expected = `ns[foo]-policy[allow-${String(last).padStart(4, '0')}]-rule[0]`;
  if (n > 0 && chain.evaluate(matchingLast).matchedPolicy !== expected) throw new Error(`with ${n} policies the request should match ${expected}`);
  if (chain.evaluate(matchingNone).allowed !== (n === 0)) throw new Error(`with ${n} policies the unknown caller should be denied`);
  return { build, n, chain, requests: { last: matchingLast, none: matchingNone }, samples: { last: [], none: [] } };
}));

// Interleave rounds so drift (thermal, GC, other load) hits every size and build alike.
for (let round = 0; round < 7; round++) {
  for (const b of benches) {
    for (const kind of ['last', 'none']) {
      const ns = measure(b.chain, b.requests[kind], 100);
      if (round > 0) b.samples[kind].push(ns); // round 0 is warm-up
    }
  }
}

const medians = (b) => ({ last: median(b.samples.last), none: median(b.samples.none) });
for (const [build] of builds) {
  const rows = benches.filter((b) => b.build === build);
  const baseline = medians(rows[0]).last;
  console.log(`RBAC evaluation per request, ${build} (HTTP; median of 6 rounds; baseline: no policies)`);
  console.log('policies   matches last: ns   x baseline   matches none: ns   x baseline');
  for (const b of rows) {
    const { last, none } = medians(b);
    const label = b.n === 0 ? '0 (base)' : String(b.n);
    console.log(
      `${label.padEnd(10)} ${last.toFixed(0).padStart(16)}   ${(last / baseline).toFixed(1).padStart(10)}   ${none.toFixed(0).padStart(16)}   ${(none / baseline).toFixed(1).padStart(10)}`,
    );
  }
}
if (builds.length > 1) {
  console.log('this build / baseline build, per request');
  for (const n of sizes.slice(1)) {
    const [mine, theirs] = builds.map(([build]) => medians(benches.find((b) => b.build === build && b.n === n)));
    console.log(`${String(n).padEnd(10)} matches last: ${(mine.last / theirs.last).toFixed(3)}   matches none: ${(mine.none / theirs.none).toFixed(3)}`);
  }
}
console.log(`max RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(1)} MB`);
