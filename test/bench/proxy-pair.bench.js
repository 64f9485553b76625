#!/usr/bin/env node
// Proxy-pair benchmark, one run, same machine, same app:
//   direct:  wrk → app
//   trellis: wrk → Trellis A (outbound) → mTLS → Trellis B (inbound) → app
//   nginx:   wrk → nginx A (proxy_pass https + client cert, keepalive) → nginx B (ssl_verify_client on) → app
// The app is a one-worker nginx answering 200 "ok" so neither pair is limited by it.
// Prints req/s, p50/p99, each proxy's RSS (idle and after load) and CPU seconds, and ratios.
//
// Usage: npx tsc -b && node test/bench/proxy-pair.bench.js [--duration 10] [--connections 32] [--rounds 3]
// Needs: wrk, nginx, openssl on PATH. Loopback only; every process is killed at the end.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { cleanup, start, makePki, nginxConf, trellisConf, secrets, procStats } = require('./proxy-kit');

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const DURATION = Number(opt('duration', '5'));
const CONNECTIONS = Number(opt('connections', '32'));
const ROUNDS = Number(opt('rounds', '3'));
const ROOT = path.resolve(__dirname, '..', '..');
const MAIN = path.join(ROOT, 'packages/proxy/dist/main.js');
const ID_A = 'spiffe://cluster.local/ns/default/sa/a';
const ID_B = 'spiffe://cluster.local/ns/default/sa/b';

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

function waitPort(port, ms = 5000) {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tryOnce = () => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve();
      });
      s.once('error', () => {
        if (Date.now() > deadline) reject(new Error(`port ${port} did not open`));
        else setTimeout(tryOnce, 50);
      });
    };
    tryOnce();
  });
}

function wrk(port, label) {
  const out = execFileSync('wrk', ['-t1', `-c${CONNECTIONS}`, `-d${DURATION}s`, '--latency', '-H', 'Host: b.default.svc.cluster.local', `http://127.0.0.1:${port}/`], { encoding: 'utf8' });
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
  const [appPort, tA, tB, nA, nB, adminA, adminB] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort(), freePort(), freePort()]);

  start('nginx', ['-c', nginxConf(dir, 'app', `  server { listen 127.0.0.1:${appPort}; location / { return 200 "ok\\n"; } }`), '-p', dir], 'app');

  // BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles both Trellis proxies.
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const trellisB = start('node', [...nodeArgs, MAIN, '--config', trellisConf(dir, 'trellis-b', {
    listeners: [{ name: 'inbound', address: '127.0.0.1', port: tB, filterChains: [{
      name: 'mtls', match: { transportProtocol: 'tls' },
      tls: { certificateSecret: 'default', validationSecret: 'ROOTCA', requireClientCert: true, matchSubjectAltNames: [ID_A] },
      network: { kind: 'http', httpFilters: [{ name: 'envoy.filters.http.router' }], routeConfig: { name: 'in', virtualHosts: [{ name: 'app', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'app' } }] }] } },
    }] }],
    clusters: [{ name: 'app', type: 'STATIC', loadAssignment: { clusterName: 'app', endpoints: [{ address: '127.0.0.1', port: appPort }] } }],
    secrets: secrets(dir, 'b'),
  }, adminB)], 'trellis-b');
  const trellisA = start('node', [...nodeArgs, MAIN, '--config', trellisConf(dir, 'trellis-a', {
    listeners: [{ name: 'outbound', address: '127.0.0.1', port: tA, filterChains: [{ name: 'out', network: { kind: 'http', routeConfigName: 'out', httpFilters: [{ name: 'envoy.filters.http.router' }] } }] }],
    routes: [{ name: 'out', virtualHosts: [{ name: 'b', domains: ['b.default.svc.cluster.local'], routes: [{ match: { prefix: '/' }, route: { cluster: 'b' } }] }] }],
    clusters: [{ name: 'b', type: 'EDS', tls: { certificateSecret: 'default', validationSecret: 'ROOTCA', matchSubjectAltNames: [ID_B] } }],
    endpoints: [{ clusterName: 'b', endpoints: [{ address: '127.0.0.1', port: tB }] }],
    secrets: secrets(dir, 'a'),
  }, adminA)], 'trellis-a');

  const nginxB = start('nginx', ['-c', nginxConf(dir, 'nginx-b', `
  upstream app { server 127.0.0.1:${appPort}; keepalive 64; }
  server {
    listen 127.0.0.1:${nB} ssl;
    ssl_certificate ${dir}/b.crt; ssl_certificate_key ${dir}/b.key;
    ssl_client_certificate ${dir}/ca.crt; ssl_verify_client on;
    location / { proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }`), '-p', dir], 'nginx-b');
  const nginxA = start('nginx', ['-c', nginxConf(dir, 'nginx-a', `
  upstream b { server 127.0.0.1:${nB}; keepalive 64; }
  server {
    listen 127.0.0.1:${nA};
    location / {
      proxy_pass https://b; proxy_http_version 1.1; proxy_set_header Connection "";
      proxy_ssl_certificate ${dir}/a.crt; proxy_ssl_certificate_key ${dir}/a.key;
      proxy_ssl_trusted_certificate ${dir}/ca.crt; proxy_ssl_verify on; proxy_ssl_verify_depth 2;
      proxy_ssl_name b.default.svc.cluster.local; proxy_ssl_session_reuse on;
    }
  }`), '-p', dir], 'nginx-a');

  await Promise.all([appPort, tA, tB, nA, nB].map((p) => waitPort(p)));
  // nginx verifies the chain only (it cannot check a URI SAN); Trellis also checks the SPIFFE ID.
  await new Promise((r) => setTimeout(r, 500));
  const idle = { trellisA: procStats(trellisA.pid), trellisB: procStats(trellisB.pid), nginxA: procStats(nginxA.pid), nginxB: procStats(nginxB.pid) };

  // Rounds interleave the scenarios so a burst of load from other work on the machine hits
  // all of them alike; each figure below is the median over rounds.
  const scenarios = [
    ['direct', appPort, []],
    ['trellis pair', tA, [['trellis A', trellisA], ['trellis B', trellisB]]],
    ['nginx pair', nA, [['nginx A', nginxA], ['nginx B', nginxB]]],
  ];
  for (const [, port] of scenarios) {
    // warm-up so pools and TLS sessions exist before measuring
    execFileSync('wrk', ['-t1', `-c${CONNECTIONS}`, '-d2s', '-H', 'Host: b.default.svc.cluster.local', `http://127.0.0.1:${port}/`], { stdio: 'ignore' });
  }
  const runs = new Map(scenarios.map(([label]) => [label, []]));
  const cpuDuring = {};
  for (let round = 0; round < ROUNDS; round++) {
    for (const [label, port, procs] of scenarios) {
      const before = procs.map(([, p]) => procStats(p.pid));
      const r = wrk(port, label);
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
  console.log(`\nproxy pair benchmark: wrk -t1 -c${CONNECTIONS} -d${DURATION}s x ${ROUNDS} interleaved rounds (medians), HTTP/1.1 keep-alive, 3-byte body, ${os.cpus().length} cores (shared)`);
  console.log('scenario        req/s     p50 ms   p99 ms   non-2xx  req/s per round   socket errors');
  for (const r of results) {
    console.log(`${r.label.padEnd(14)} ${fmt(r.rps).padStart(7)}  ${fmt(r.p50, 2).padStart(7)}  ${fmt(r.p99, 2).padStart(7)}  ${String(r.non2xx).padStart(7)}  ${r.all.padEnd(16)}  ${r.socketErrors}`);
  }
  console.log('\nprocess      idle RSS MB  max RSS MB  CPU us/request (of which kernel)');
  for (const [name, key] of [['trellis A', 'trellisA'], ['trellis B', 'trellisB'], ['nginx A', 'nginxA'], ['nginx B', 'nginxB']]) {
    const c = cpuDuring[name];
    console.log(`${name.padEnd(12)} ${fmt(idle[key].rss, 1).padStart(11)}  ${fmt(c.rssMb, 1).padStart(10)}  ${fmt((c.cpuSeconds * 1e6) / c.requests, 1).padStart(14)} (${fmt((c.sysSeconds * 1e6) / c.requests, 1)})`);
  }
  console.log(`\ntrellis mTLS handshakes over the whole run: A upstream ${tlsA}, B downstream ${tlsB} (pooled keep-alive: about one per client connection)`);
  const [direct, trellis, nginx] = results;
  console.log('\nratios');
  console.log(`trellis/nginx req/s: ${fmt(trellis.rps / nginx.rps, 2)}  (target >= 0.60)`);
  console.log(`trellis/nginx p99:   ${fmt(trellis.p99 / nginx.p99, 2)}  (target <= 2.00)`);
  console.log(`trellis/direct req/s: ${fmt(trellis.rps / direct.rps, 2)}   nginx/direct req/s: ${fmt(nginx.rps / direct.rps, 2)}`);
  const cpuPair = (a, b) => (cpuDuring[a].cpuSeconds + cpuDuring[b].cpuSeconds) / cpuDuring[a].requests;
  console.log(`CPU per request, pair vs pair: trellis/nginx ${fmt(cpuPair('trellis A', 'trellis B') / cpuPair('nginx A', 'nginx B'), 2)}`);
  console.log(`trellis idle RSS max: ${fmt(Math.max(idle.trellisA.rss, idle.trellisB.rss), 1)} MB (target <= 60)`);
}

process.on('exit', cleanup);
process.on('SIGINT', () => process.exit(130));
process.on('SIGTERM', () => process.exit(143));
main()
  .catch((e) => {
    console.error(e);
    process.exitCode = 1;
  })
  // The children's stderr pipes keep the event loop alive: exit explicitly so 'exit' runs cleanup.
  .finally(() => process.exit());
