#!/usr/bin/env node
// Proxy-pair benchmark, one run, same machine, same app:
//   direct:  wrk → app
//   trellis: wrk → Trellis A (outbound) → mTLS → Trellis B (inbound) → app
//   nginx:   wrk → nginx A (proxy_pass https + client cert, keepalive) → nginx B (ssl_verify_client on) → app
//   trellis pair, N policies: as the Trellis pair, but B enforces N AuthorizationPolicies translated to
//            Envoy RBAC by @trellis/policy as the control plane does; the request matches the last one.
// The app is a one-worker nginx answering 200 "ok" so neither pair is limited by it.
// Prints req/s, p50/p99, each proxy's RSS (idle and after load) and CPU seconds, and ratios.
//
// Usage: npx tsc -b && node test/bench/proxy-pair.bench.js [--duration 10] [--connections 32] [--rounds 3] [--policies 100] [--warmup 6] [--tunnel]
// (--policies 0 leaves the policy scenario out). The proxies run on the Node that runs this script.
// --baseline <other build's proxy main.js> adds a pair of that build, to measure a change in one run.
// --baseline-node <node binary> runs the baseline pair on that Node (with --baseline, or alone for this
// build): a Node upgrade measured in one run.
// --tunnel adds a raw TLS tunnel pair in Node (net/tls pipe, same certificates, no HTTP): the floor
// that Node's socket and TLS path sets for any proxy pair written on it.
// Needs: wrk, nginx, openssl on PATH. Loopback only; every process is killed at the end.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { ID_A, ID_B, start, makePki, nginxConf, trellisConf, secrets, procStats, waitPort, option: opt, runBench } = require('./proxy-kit');

const args = process.argv.slice(2);
const DURATION = Number(opt('duration', '5'));
const CONNECTIONS = Number(opt('connections', '32'));
const ROUNDS = Number(opt('rounds', '3'));
const POLICIES = Number(opt('policies', '100'));
// nginx's `keepalive` caps the idle upstream connections it caches: below the client concurrency,
// nginx would open a fresh mTLS connection for some requests and the pair would measure handshakes.
const NGINX_KEEPALIVE = Math.max(64, CONNECTIONS);
// Long enough for V8 to finish optimizing the proxies' hot paths: with 2 s, 12% of the inbound
// proxy's CPU during measurement was still TurboFan compiling (perf, Node 24).
const WARMUP = Number(opt('warmup', '6'));
const TUNNEL = args.includes('--tunnel');
const ROOT = path.resolve(__dirname, '..', '..');
const MAIN = path.join(ROOT, 'packages/proxy/dist/main.js');
const BASELINE_NODE = opt('baseline-node', process.execPath);
const BASELINE_MAIN = opt('baseline', BASELINE_NODE !== process.execPath ? MAIN : undefined);
// Loopback address reserved for this benchmark, so it never collides with other work on the machine.
const HOST = '127.0.4.1';
const HOST_B = 'b.default.svc.cluster.local';
const HOST_B_POLICIES = 'b-policies.default.svc.cluster.local';

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, HOST, () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

/** Outbound proxy A: Host picks the inbound proxy without policies (`portB`) or with them (`portP`). */
function outboundConfig(dir, port, portB, portP) {
  const upstreamTls = { certificateSecret: 'default', validationSecret: 'ROOTCA', matchSubjectAltNames: [ID_B] };
  return {
    listeners: [{ name: 'outbound', address: HOST, port, filterChains: [{ name: 'out', network: { kind: 'http', routeConfigName: 'out', httpFilters: [{ name: 'envoy.filters.http.router' }] } }] }],
    routes: [{ name: 'out', virtualHosts: [
      { name: 'b', domains: [HOST_B], routes: [{ match: { prefix: '/' }, route: { cluster: 'b' } }] },
      { name: 'b-policies', domains: [HOST_B_POLICIES], routes: [{ match: { prefix: '/' }, route: { cluster: 'b-policies' } }] },
    ] }],
    clusters: [{ name: 'b', type: 'EDS', tls: upstreamTls }, { name: 'b-policies', type: 'EDS', tls: upstreamTls }],
    endpoints: [{ clusterName: 'b', endpoints: [{ address: HOST, port: portB }] }, { clusterName: 'b-policies', endpoints: [{ address: HOST, port: portP }] }],
    secrets: secrets(dir, 'a'),
  };
}

/** Inbound proxy B: mTLS from A's identity only, then `filters` (RBAC), then the app. */
function inboundConfig(dir, port, appPort, filters) {
  return {
    listeners: [{ name: 'inbound', address: HOST, port, filterChains: [{
      name: 'mtls', match: { transportProtocol: 'tls' },
      tls: { certificateSecret: 'default', validationSecret: 'ROOTCA', requireClientCert: true, matchSubjectAltNames: [ID_A] },
      network: { kind: 'http', httpFilters: [...filters, { name: 'envoy.filters.http.router' }], routeConfig: { name: 'in', virtualHosts: [{ name: 'app', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'app' } }] }] } },
    }] }],
    clusters: [{ name: 'app', type: 'STATIC', loadAssignment: { clusterName: 'app', endpoints: [{ address: HOST, port: appPort }] } }],
    secrets: secrets(dir, 'b'),
  };
}

/**
 * `count` ALLOW policies on workload b, each for one caller, path prefix and methods, as a
 * service with many clients has; only the last (in Envoy's name order) lets A's GET / through,
 * so every request is checked against all of them. Translated as the control plane does.
 */
function rbacFilters(count) {
  const { parseAuthorizationPolicy, toEnvoyHttpRbac, HTTP_RBAC_TYPE_URL } = require(path.join(ROOT, 'packages/policy/dist/index.js'));
  const principal = (id) => id.replace('spiffe://', '');
  const policies = Array.from({ length: count }, (_, i) => {
    const last = i === count - 1;
    return parseAuthorizationPolicy({
      apiVersion: 'security.istio.io/v1',
      kind: 'AuthorizationPolicy',
      metadata: { name: `allow-${String(i).padStart(4, '0')}`, namespace: 'default' },
      spec: {
        selector: { matchLabels: { app: 'b' } },
        action: 'ALLOW',
        rules: [{
          from: [{ source: { principals: [last ? principal(ID_A) : `cluster.local/ns/client-${i}/sa/app`] } }],
          to: [{ operation: { methods: last ? ['GET', 'HEAD'] : ['GET', 'POST'], paths: last ? ['/', '/api/*'] : [`/svc-${i}/*`, `/v2/svc-${i}`] } }],
        }],
      },
    });
  });
  return toEnvoyHttpRbac(policies, { namespace: 'default', labels: { app: 'b' } })
    .map((config, i) => ({ name: `envoy.filters.http.rbac.${i}`, typeUrl: HTTP_RBAC_TYPE_URL, typedConfig: config }));
}

/**
 * `--serve-inbound <file>`: the inbound proxy with the sidecar's HTTP filters registered
 * (the bare proxy main knows none), so RBAC config is enforced as a sidecar would. Same data
 * path as main.js otherwise.
 */
async function serveInbound(file) {
  const { Proxy } = require(path.join(ROOT, 'packages/proxy/dist/index.js'));
  const { STANDARD_HTTP_FILTERS } = require(path.join(ROOT, 'packages/http-filters/dist/index.js'));
  const { adminPort, config } = JSON.parse(fs.readFileSync(file, 'utf8'));
  const proxy = new Proxy({ adminPort, accessLog: null });
  for (const { typeUrl, factory } of STANDARD_HTTP_FILTERS) proxy.registerFilter(typeUrl, factory, typeUrl);
  await proxy.applyConfig(config);
  await proxy.start();
  process.on('SIGTERM', () => process.exit(0));
}

function wrk(port, label, host) {
  const out = execFileSync('wrk', ['-t1', `-c${CONNECTIONS}`, `-d${DURATION}s`, '--latency', '-H', `Host: ${host}`, `http://${HOST}:${port}/`], { encoding: 'utf8' });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)[1]);
  const toMs = (v, unit) => Number(v) * ({ us: 0.001, ms: 1, s: 1000 }[unit]);
  const pct = (p) => {
    const m = new RegExp(`\\s${p}%\\s+([\\d.]+)(us|ms|s)`).exec(out);
    return m ? toMs(m[1], m[2]) : NaN;
  };
  const requests = Number(/(\d+) requests in/.exec(out)[1]);
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  const sockErr = /Socket errors: (.*)/.exec(out);
  return { label, rps, requests, p50: pct(50), p99: pct(99), non2xx: errors ? Number(errors[1]) : 0, socketErrors: sockErr ? sockErr[1] : 'none' };
}

async function main() {
  if (!fs.existsSync(MAIN)) throw new Error('build first: npx tsc -b');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-bench-'));
  makePki(dir);
  const [appPort, tA, tB, tP, nA, nB, adminA, adminB, adminP, baseA, baseB, tunA, tunB] = await Promise.all(Array.from({ length: 13 }, freePort));

  start('nginx', ['-c', nginxConf(dir, 'app', `  server { listen ${HOST}:${appPort}; location / { return 200 "ok\\n"; } }`), '-p', dir], 'app');

  // BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles both Trellis proxies.
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const trellisB = start(process.execPath, [...nodeArgs, MAIN, '--config', trellisConf(dir, 'trellis-b', inboundConfig(dir, tB, appPort, []), adminB)], 'trellis-b');
  // B with policies runs the sidecar's filters, so its RSS includes the WAF and RBAC code.
  const trellisP = POLICIES > 0
    ? start(process.execPath, [...nodeArgs, __filename, '--serve-inbound', trellisConf(dir, 'trellis-p', inboundConfig(dir, tP, appPort, rbacFilters(POLICIES)), adminP)], 'trellis-p')
    : undefined;
  const trellisA = start(process.execPath, [...nodeArgs, MAIN, '--config', trellisConf(dir, 'trellis-a', outboundConfig(dir, tA, tB, tP), adminA)], 'trellis-a');
  const baseline = BASELINE_MAIN && {
    a: start(BASELINE_NODE, [...nodeArgs, BASELINE_MAIN, '--config', trellisConf(dir, 'base-a', outboundConfig(dir, baseA, baseB, tP), undefined)], 'base-a'),
    b: start(BASELINE_NODE, [...nodeArgs, BASELINE_MAIN, '--config', trellisConf(dir, 'base-b', inboundConfig(dir, baseB, appPort, []), undefined)], 'base-b'),
  };
  const tunnel = TUNNEL && {
    a: start(process.execPath, [__filename, '--serve-tunnel', trellisConf(dir, 'tunnel-a', outboundConfig(dir, tunA, tunB, tP), undefined)], 'tunnel-a'),
    b: start(process.execPath, [__filename, '--serve-tunnel', trellisConf(dir, 'tunnel-b', inboundConfig(dir, tunB, appPort, []), undefined)], 'tunnel-b'),
  };

  const nginxB = start('nginx', ['-c', nginxConf(dir, 'nginx-b', `
  upstream app { server ${HOST}:${appPort}; keepalive ${NGINX_KEEPALIVE}; }
  server {
    listen ${HOST}:${nB} ssl;
    ssl_certificate ${dir}/b.crt; ssl_certificate_key ${dir}/b.key;
    ssl_client_certificate ${dir}/ca.crt; ssl_verify_client on;
    location / { proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }`), '-p', dir], 'nginx-b');
  const nginxA = start('nginx', ['-c', nginxConf(dir, 'nginx-a', `
  upstream b { server ${HOST}:${nB}; keepalive ${NGINX_KEEPALIVE}; }
  server {
    listen ${HOST}:${nA};
    location / {
      proxy_pass https://b; proxy_http_version 1.1; proxy_set_header Connection "";
      proxy_ssl_certificate ${dir}/a.crt; proxy_ssl_certificate_key ${dir}/a.key;
      proxy_ssl_trusted_certificate ${dir}/ca.crt; proxy_ssl_verify on; proxy_ssl_verify_depth 2;
      proxy_ssl_name b.default.svc.cluster.local; proxy_ssl_session_reuse on;
    }
  }`), '-p', dir], 'nginx-a');

  await Promise.all([appPort, tA, tB, nA, nB, ...(trellisP ? [tP] : []), ...(baseline ? [baseA, baseB] : []), ...(tunnel ? [tunA, tunB] : [])].map((p) => waitPort(p, HOST)));
  // nginx verifies the chain only (it cannot check a URI SAN); Trellis also checks the SPIFFE ID.
  await new Promise((r) => setTimeout(r, 500));
  const idle = { trellisA: procStats(trellisA.pid), trellisB: procStats(trellisB.pid), nginxA: procStats(nginxA.pid), nginxB: procStats(nginxB.pid) };
  if (trellisP) idle.trellisP = procStats(trellisP.pid);
  if (baseline) Object.assign(idle, { baseA: procStats(baseline.a.pid), baseB: procStats(baseline.b.pid) });
  if (tunnel) Object.assign(idle, { tunnelA: procStats(tunnel.a.pid), tunnelB: procStats(tunnel.b.pid) });

  // Rounds interleave the scenarios so a burst of load from other work on the machine hits
  // all of them alike; each figure below is the median over rounds.
  const scenarios = [
    ['direct', appPort, HOST_B, []],
    ['trellis pair', tA, HOST_B, [['trellis A', trellisA], ['trellis B', trellisB]]],
    ['nginx pair', nA, HOST_B, [['nginx A', nginxA], ['nginx B', nginxB]]],
  ];
  if (trellisP) scenarios.push([`trellis ${POLICIES} pol`, tA, HOST_B_POLICIES, [['trellis A (pol)', trellisA], [`trellis B ${POLICIES} pol`, trellisP]]]);
  if (baseline) scenarios.push(['trellis base', baseA, HOST_B, [['base A', baseline.a], ['base B', baseline.b]]]);
  if (tunnel) scenarios.push(['node tunnel', tunA, HOST_B, [['tunnel A', tunnel.a], ['tunnel B', tunnel.b]]]);
  for (const [, port, host] of scenarios) {
    // warm-up so pools and TLS sessions exist (and the JIT has settled) before measuring
    execFileSync('wrk', ['-t1', `-c${CONNECTIONS}`, `-d${WARMUP}s`, '-H', `Host: ${host}`, `http://${HOST}:${port}/`], { stdio: 'ignore' });
  }
  const runs = new Map(scenarios.map(([label]) => [label, []]));
  const cpuDuring = {};
  for (let round = 0; round < ROUNDS; round++) {
    for (const [label, port, host, procs] of scenarios) {
      const before = procs.map(([, p]) => procStats(p.pid));
      const r = wrk(port, label, host);
      runs.get(label).push(r);
      procs.forEach(([name, p], i) => {
        const after = procStats(p.pid);
        const acc = (cpuDuring[name] ??= { cpuSeconds: 0, sysSeconds: 0, requests: 0, rssMb: 0 });
        acc.cpuSeconds += after.cpu - before[i].cpu;
        acc.sysSeconds += after.sys - before[i].sys;
        acc.requests += r.requests;
        acc.rssMb = Math.max(acc.rssMb, after.rss);
      });
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const results = scenarios.map(([label]) => {
    const rs = runs.get(label);
    return {
      label,
      rps: median(rs.map((r) => r.rps)),
      p50: median(rs.map((r) => r.p50)),
      p99: median(rs.map((r) => r.p99)),
      all: rs.map((r) => Math.round(r.rps)).join('/'),
      non2xx: rs.reduce((n, r) => n + r.non2xx, 0),
      socketErrors: rs.map((r) => r.socketErrors).filter((e) => e !== 'none').join('; ') || 'none',
    };
  });

  const handshakes = async (port, metric) => {
    const text = await (await fetch(`http://127.0.0.1:${port}/stats/prometheus`)).text();
    return text.split('\n').filter((l) => l.startsWith(`trellis_${metric}`)).reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
  };
  const tlsA = await handshakes(adminA, 'upstream_tls_handshakes_total');
  const tlsB = await handshakes(adminB, 'downstream_tls_handshakes_total');
  const fmt = (n, d = 0) => (Number.isFinite(n) ? n.toFixed(d) : '-');
  console.log(`\nproxy pair benchmark: wrk -t1 -c${CONNECTIONS} -d${DURATION}s x ${ROUNDS} interleaved rounds (medians), HTTP/1.1 keep-alive, 3-byte body, ${os.cpus().length} cores (shared), Node ${process.version}`);
  console.log('scenario        req/s     p50 ms   p99 ms   non-2xx  req/s per round   socket errors');
  for (const r of results) {
    console.log(`${r.label.padEnd(14)} ${fmt(r.rps).padStart(7)}  ${fmt(r.p50, 2).padStart(7)}  ${fmt(r.p99, 2).padStart(7)}  ${String(r.non2xx).padStart(7)}  ${r.all.padEnd(16)}  ${r.socketErrors}`);
  }
  console.log('\nprocess      idle RSS MB  max RSS MB  CPU us/request (of which kernel)');
  const processes = [['trellis A', 'trellisA'], ['trellis B', 'trellisB'], ['nginx A', 'nginxA'], ['nginx B', 'nginxB']];
  if (trellisP) processes.push([`trellis B ${POLICIES} pol`, 'trellisP']);
  if (baseline) processes.push(['base A', 'baseA'], ['base B', 'baseB']);
  if (tunnel) processes.push(['tunnel A', 'tunnelA'], ['tunnel B', 'tunnelB']);
  for (const [name, key] of processes) {
    const c = cpuDuring[name];
    console.log(`${name.padEnd(12)} ${fmt(idle[key].rss, 1).padStart(11)}  ${fmt(c.rssMb, 1).padStart(10)}  ${fmt((c.cpuSeconds * 1e6) / c.requests, 1).padStart(14)} (${fmt((c.sysSeconds * 1e6) / c.requests, 1)})`);
  }
  console.log(`\ntrellis mTLS handshakes over the whole run: A upstream ${tlsA}, B downstream ${tlsB} (pooled keep-alive: about one per client connection)`);
  const [direct, trellis, nginx] = results;
  const withPolicies = results.find((r) => r.label.endsWith(' pol'));
  console.log('\nratios');
  console.log(`trellis/nginx req/s: ${fmt(trellis.rps / nginx.rps, 2)}  (target >= 0.60)`);
  console.log(`trellis/nginx p99:   ${fmt(trellis.p99 / nginx.p99, 2)}  (target <= 2.00)`);
  console.log(`trellis/direct req/s: ${fmt(trellis.rps / direct.rps, 2)}   nginx/direct req/s: ${fmt(nginx.rps / direct.rps, 2)}`);
  const cpuPair = (a, b) => (cpuDuring[a].cpuSeconds + cpuDuring[b].cpuSeconds) / cpuDuring[a].requests;
  console.log(`CPU per request, pair vs pair: trellis/nginx ${fmt(cpuPair('trellis A', 'trellis B') / cpuPair('nginx A', 'nginx B'), 2)}`);
  const base = results.find((r) => r.label === 'trellis base');
  if (base) {
    const baseNode = execFileSync(BASELINE_NODE, ['--version'], { encoding: 'utf8' }).trim();
    console.log(`this build on Node ${process.version} / baseline on Node ${baseNode}: req/s ${fmt(trellis.rps / base.rps, 2)}, p99 ${fmt(trellis.p99 / base.p99, 2)}, ` +
      `pair CPU per request ${fmt(cpuPair('trellis A', 'trellis B') / cpuPair('base A', 'base B'), 2)}`);
  }
  const tunnelResult = results.find((r) => r.label === 'node tunnel');
  if (tunnelResult) {
    console.log(`node TLS tunnel pair/nginx req/s: ${fmt(tunnelResult.rps / nginx.rps, 2)}, CPU per request tunnel/nginx ${fmt(cpuPair('tunnel A', 'tunnel B') / cpuPair('nginx A', 'nginx B'), 2)}` +
      `   (trellis/tunnel CPU per request: ${fmt(cpuPair('trellis A', 'trellis B') / cpuPair('tunnel A', 'tunnel B'), 2)})`);
  }
  if (withPolicies) {
    const cpuB = (name) => cpuDuring[name].cpuSeconds / cpuDuring[name].requests;
    console.log(`trellis pair with ${POLICIES} AuthorizationPolicies / without: req/s ${fmt(withPolicies.rps / trellis.rps, 2)}, ` +
      `inbound proxy CPU per request ${fmt(cpuB(`trellis B ${POLICIES} pol`) / cpuB('trellis B'), 2)}`);
  }
  console.log(`trellis idle RSS max: ${fmt(Math.max(idle.trellisA.rss, idle.trellisB.rss), 1)} MB (target <= 60)`);
}

/**
 * `--serve-tunnel <file>`: the same listener, upstream and certificates as a proxy config, but
 * bytes are piped through untouched (mutual TLS between the pair, chain verified, no HTTP).
 */
function serveTunnel(file) {
  const tls = require('node:tls');
  const { config } = JSON.parse(fs.readFileSync(file, 'utf8'));
  const listener = config.listeners[0];
  const secret = (name) => config.secrets.find((s) => s.name === name);
  const { certChainPem: cert, privateKeyPem: key } = secret('default').tlsCertificate;
  const ca = secret('ROOTCA').validationContext.trustedCaPem;
  const splice = (down, up) => {
    down.setNoDelay(true);
    up.setNoDelay(true);
    down.pipe(up).pipe(down);
    down.on('error', () => up.destroy());
    up.on('error', () => down.destroy());
  };
  if (listener.name === 'outbound') {
    const secureContext = tls.createSecureContext({ cert, key, ca });
    const { port } = config.endpoints.find((e) => e.clusterName === 'b').endpoints[0];
    net.createServer((down) => splice(down, tls.connect({ host: HOST, port, secureContext, servername: HOST_B }))).listen(listener.port, HOST);
  } else {
    const app = config.clusters[0].loadAssignment.endpoints[0];
    tls.createServer({ cert, key, ca, requestCert: true, rejectUnauthorized: true }, (down) => splice(down, net.connect(app.port, app.address))).listen(listener.port, HOST);
  }
}

if (args[0] === '--serve-tunnel') {
  serveTunnel(args[1]);
} else if (args[0] === '--serve-inbound') {
  serveInbound(args[1]).catch((e) => {
    console.error(e);
    process.exit(1);
  });
} else {
  runBench(main);
}
