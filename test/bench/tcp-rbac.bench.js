// Network RBAC's cost per TCP connection: mTLS connections (handshake, one echoed line,
// close) through a proxy tcp_proxy listener with no network filter (the baseline, measured
// in the same run), then with the Istio translation of 1 and 1,000 ALLOW policies; plus the
// filter's own decision time per connection. Figures are ratios against the baseline.
//
// Run: npx tsc -b && /usr/bin/time -v node test/bench/tcp-rbac.bench.js [--connections 400] [--rounds 5]
'use strict';
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const tls = require('node:tls');
const { Proxy } = require('../../packages/proxy/dist/index.js');
const { networkRbacFilterFactory, NETWORK_RBAC_TYPE_URL } = require('../../packages/http-filters/dist/index.js');
const { parseAuthorizationPolicy, toEnvoyNetworkRbac } = require('../../packages/policy/dist/index.js');
const { makePki, secrets, option, runBench } = require('./proxy-kit');

const HOST = '127.0.9.20';
const CONNECTIONS = Number(option('connections', '400'));
const CONCURRENCY = 8;
const ROUNDS = Number(option('rounds', '5'));
const WORKLOAD = { namespace: 'default', labels: { app: 'b' } };

/** n ALLOW policies, one caller each; the bench's caller (sa/a) is allowed by the last one. */
function policies(n) {
  return Array.from({ length: n }, (_, i) => parseAuthorizationPolicy({
    apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: `allow-${String(i).padStart(4, '0')}`, namespace: 'default' },
    spec: { rules: [{ from: [{ source: { principals: [i === n - 1 ? 'cluster.local/ns/default/sa/a' : `cluster.local/ns/client-${i}/sa/app`] } }] }] },
  }));
}

function config(dir, appPort, n) {
  const networkFilters = n === 0 ? [] : toEnvoyNetworkRbac(policies(n), WORKLOAD).map((typedConfig, i) => ({ name: `rbac.${i}`, typeUrl: NETWORK_RBAC_TYPE_URL, typedConfig }));
  return {
    listeners: [{
      name: 'inbound', address: HOST, port: 0,
      filterChains: [{ name: 'mtls', tls: { certificateSecret: 'default', validationSecret: 'ROOTCA', requireClientCert: true, matchSubjectAltNames: [] }, networkFilters, network: { kind: 'tcp', cluster: 'app' } }],
    }],
    clusters: [{ name: 'app', type: 'STATIC', connectTimeoutMs: 1000, loadAssignment: { clusterName: 'app', endpoints: [{ address: '127.0.0.1', port: appPort }] } }],
    secrets: secrets(dir, 'b'),
  };
}

function oneConnection(port, client) {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: HOST, port, ...client, checkServerIdentity: () => undefined }, () => socket.write('ping\n'));
    let answer = '';
    socket.on('data', (d) => {
      answer += d;
      if (answer === 'ping\n') socket.end();
    });
    socket.on('error', reject);
    socket.on('close', () => (answer === 'ping\n' ? resolve() : reject(new Error(`refused: ${JSON.stringify(answer)}`))));
  });
}

async function connectionsPerSecond(port, client) {
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next++ < CONNECTIONS) await oneConnection(port, client);
  }));
  return CONNECTIONS / (Number(process.hrtime.bigint() - started) / 1e9);
}

/** The filter's decision alone, ns per connection. */
function decisionNs(n) {
  if (n === 0) return 0;
  const filters = toEnvoyNetworkRbac(policies(n), WORKLOAD).map((c) => networkRbacFilterFactory.create(c));
  const connection = { listenerName: 'inbound', peer: { spiffeId: 'spiffe://cluster.local/ns/default/sa/a', address: '127.0.0.1', port: 40000 }, local: { address: HOST, port: 15006 } };
  const rounds = n > 100 ? 2_000 : 200_000;
  const started = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) for (const f of filters) f.onNewConnection(connection);
  return Number(process.hrtime.bigint() - started) / rounds;
}

runBench(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-tcp-rbac-'));
  makePki(dir);
  const client = { ca: fs.readFileSync(path.join(dir, 'ca.crt')), cert: fs.readFileSync(path.join(dir, 'a.crt')), key: fs.readFileSync(path.join(dir, 'a.key')) };
  const app = net.createServer((s) => s.on('error', () => undefined).pipe(s));
  await new Promise((r) => app.listen(0, '127.0.0.1', r));
  const proxy = new Proxy({ accessLog: null });
  proxy.registerNetworkFilter(NETWORK_RBAC_TYPE_URL, networkRbacFilterFactory, NETWORK_RBAC_TYPE_URL);
  await proxy.applyConfig(config(dir, app.address().port, 0));
  await proxy.start();
  const port = proxy.listenerPort('inbound');
  await connectionsPerSecond(port, client); // warm-up
  // Variants alternate over several rounds and each reports its median: the machine's drift hits all alike.
  const VARIANTS = [0, 1, 1000];
  const rates = new Map(VARIANTS.map((n) => [n, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const n of VARIANTS) {
      await proxy.applyConfig(config(dir, app.address().port, n));
      rates.get(n).push(await connectionsPerSecond(port, client).catch((e) => Promise.reject(new Error(`${n} policies: ${e.message}`))));
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  const baseline = median(rates.get(0));
  console.log(`${CONNECTIONS} mTLS connections per round, ${CONCURRENCY} at a time, one echoed line each, median of ${ROUNDS} rounds (Node ${process.version}); baseline ${baseline.toFixed(0)} connections/s`);
  for (const n of VARIANTS) {
    const label = n === 0 ? 'no network filter (baseline)' : `network RBAC, ${n} ALLOW polic${n === 1 ? 'y' : 'ies'}`;
    console.log(`${label.padEnd(36)} ${(median(rates.get(n)) / baseline).toFixed(3)}x baseline connection rate; decision ${(decisionNs(n) / 1000).toFixed(2)} µs per connection`);
  }
  await proxy.close();
  app.close();
  fs.rmSync(dir, { recursive: true, force: true });
});
