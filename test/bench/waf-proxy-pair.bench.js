#!/usr/bin/env node
// What the WAF costs in the proxy, one run, same machine, same app (a one-worker nginx
// answering 200), same requests (a benign browser GET, a 1 KB urlencoded form POST):
//   direct:         wrk → app
//   trellis off:    wrk → Trellis A → mTLS → Trellis B → app
//   trellis CRS:    the same, B running OWASP CRS 3.3.4 PL1 in BLOCK mode
//   nginx:          wrk → nginx (one process) → app
//   nginx+ModSec:   the same nginx with ModSecurity v3 + the same CRS at PL1 (recommended config)
// Prints req/s, p50/p99 (medians over interleaved rounds), CPU µs per request of every proxy
// process (from /proc/<pid>/stat), the WAF's own cost per request (B with CRS minus B
// without; nginx+ModSecurity minus nginx) and ours over ModSecurity's (target <= 0.5).
//
//   npx tsc -b && node test/bench/waf-proxy-pair.bench.js [--seconds 4] [--rounds 2] [--connections 8]
// Needs nginx, libnginx-mod-http-modsecurity, modsecurity-crs, wrk, openssl. Loopback
// 127.0.2.3, ports 21200-21206; every process is stopped at the end. About 100 s.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { makePki, option, procStats, runBench } = require('./proxy-kit');
const { SERVICE_B, startApp, startTrellisPair, rssMb } = require('./waf-pair');
const { REQUESTS, wrkScript, runWrk } = require('./waf-requests');
const { startReference } = require('../waf-reference/nginx-modsecurity');

const SECONDS = Number(option('seconds', '4'));
const ROUNDS = Number(option('rounds', '2'));
const CONNECTIONS = Number(option('connections', '8'));
const HOST = '127.0.2.3';
const PORTS = { app: 21200, offA: 21201, offB: 21202, onA: 21203, onB: 21204, modsec: 21205, nginx: 21206 };

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const f = (n, d = 0) => (Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }) : '-');

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-waf-pair-'));
  makePki(dir);
  await startApp(dir, HOST, PORTS.app);
  const app = { host: HOST, port: PORTS.app };
  const refs = [];
  try {
    const [off, on, modsec, nginx] = await Promise.all([
      startTrellisPair(dir, { host: HOST, portA: PORTS.offA, portB: PORTS.offB, appPort: PORTS.app }),
      startTrellisPair(dir, { host: HOST, portA: PORTS.onA, portB: PORTS.onB, appPort: PORTS.app, waf: { mode: 'BLOCK', rule_set: 'OWASP_CRS', paranoia_level: 1 } }),
      startReference({ host: HOST, port: PORTS.modsec, app, paranoiaLevel: 1, marker: false }),
      startReference({ host: HOST, port: PORTS.nginx, app, modsecurity: false }),
    ]);
    refs.push(modsec, nginx);
    const scenarios = [
      { label: 'direct', port: PORTS.app, procs: [] },
      { label: 'trellis pair, WAF off', port: PORTS.offA, procs: [['A', off.a.pid], ['B', off.b.pid]] },
      { label: 'trellis pair, CRS PL1', port: PORTS.onA, procs: [['A', on.a.pid], ['B', on.b.pid]] },
      { label: 'nginx', port: PORTS.nginx, procs: [['nginx', nginx.pid]] },
      { label: 'nginx + ModSec CRS PL1', port: PORTS.modsec, procs: [['nginx', modsec.pid]] },
    ];
    const scripts = { get: wrkScript(dir, 'get', REQUESTS.get, SERVICE_B), post: wrkScript(dir, 'post', REQUESTS.post, SERVICE_B) };
    const runs = new Map();
    for (const key of ['get', 'post']) {
      for (const s of scenarios) await runWrk(`http://${HOST}:${s.port}/`, scripts[key], { seconds: 1, connections: CONNECTIONS }); // warm-up
      // Rounds interleave the scenarios so a burst of other work on the machine hits all alike.
      for (let round = 0; round < ROUNDS; round++) {
        for (const s of scenarios) {
          const before = s.procs.map(([, pid]) => procStats(pid).cpu);
          const r = await runWrk(`http://${HOST}:${s.port}/`, scripts[key], { seconds: SECONDS, connections: CONNECTIONS });
          r.cpuUs = s.procs.map(([, pid], i) => ((procStats(pid).cpu - before[i]) * 1e6) / r.requests);
          const k = `${key}|${s.label}`;
          runs.set(k, [...(runs.get(k) ?? []), r]);
        }
      }
    }

    console.log(`WAF in the proxy: wrk -t1 -c${CONNECTIONS} -d${SECONDS}s x ${ROUNDS} interleaved rounds (medians); ${os.cpus().length} cores (shared), load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
    const cost = {};
    for (const key of ['get', 'post']) {
      console.log(`\n${REQUESTS[key].name}`);
      console.log(`${'scenario'.padEnd(24)} ${'req/s'.padStart(7)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'non-2xx'.padStart(8)}  CPU µs/request per process`);
      const cpu = {};
      for (const s of scenarios) {
        const rs = runs.get(`${key}|${s.label}`);
        const perProc = s.procs.map(([name], i) => [name, median(rs.map((r) => r.cpuUs[i]))]);
        cpu[s.label] = Object.fromEntries(perProc);
        const non2xx = rs.reduce((n, r) => n + r.non2xx, 0);
        console.log(`${s.label.padEnd(24)} ${f(median(rs.map((r) => r.rps))).padStart(7)} ${f(median(rs.map((r) => r.p50)), 2).padStart(7)} ${f(median(rs.map((r) => r.p99)), 2).padStart(7)} ${String(non2xx).padStart(8)}  ${perProc.map(([n, us]) => `${n} ${f(us, 1)}`).join(', ')}`);
      }
      const ours = cpu['trellis pair, CRS PL1'].B - cpu['trellis pair, WAF off'].B;
      const theirs = cpu['nginx + ModSec CRS PL1'].nginx - cpu.nginx.nginx;
      cost[key] = ours / theirs;
      console.log(`WAF CPU per request: Trellis B ${f(ours, 1)} µs (CRS on − off), ModSecurity ${f(theirs, 1)} µs (nginx+ModSec − nginx); ours/ModSecurity ${f(ours / theirs, 2)} (target <= 0.50, moonshot 0.10)`);
      // A does the same work per request either way: its rise is what a lower request rate alone costs (less batching).
      console.log(`  (Trellis A, no WAF work, costs ${f(cpu['trellis pair, CRS PL1'].A / cpu['trellis pair, WAF off'].A, 1)}x per request at the CRS pair's lower rate: on − off over-counts both sides' WAF)`);
    }
    console.log(`\nRSS MB now / peak: trellis B with CRS ${f(rssMb(on.b.pid).rss)} / ${f(rssMb(on.b.pid).peak)}, without ${f(rssMb(off.b.pid).rss)} / ${f(rssMb(off.b.pid).peak)}; nginx+ModSec ${f(rssMb(modsec.pid).rss)} / ${f(rssMb(modsec.pid).peak)}`);
  } finally {
    for (const ref of refs) await ref.stop();
  }
}

runBench(main);
