#!/usr/bin/env node
// WAF cost, one run, same machine, same requests:
//   (a) nginx alone (no ModSecurity), driven by wrk;
//   (b) nginx + ModSecurity v3 + OWASP CRS 3.3.4 at paranoia level 1, driven by wrk;
//   (c) @trellis/waf in-process, compiling the very rules file (b) loads, over the same
//       requests (whole transaction: request headers and body, response headers and body,
//       logging, as ModSecurity runs them inside nginx).
// Requests: a benign browser GET and a 1 KB urlencoded form POST (the same as
// test/bench/waf-engine.bench.js). nginx runs one process (master_process off) proxying to a
// `return 200` server inside that same process; its CPU is read from /proc/<pid>/stat
// before and after each wrk run, so CPU µs per request counts nginx only, not wrk.
//
//   npx tsc -b && node test/bench/waf-vs-modsecurity.bench.js [--duration 5] [--rounds 3] [--connections 8] [--seconds 3] [--json FILE]
// Why proxy_pass and not `return 200` in the inspected location: `return` ends the request in
// nginx's rewrite phase, and with ModSecurity-nginx 1.0.3 here an SQLi in the query string then
// passes with 200 and nothing logged (phase 2, where nearly all CRS attack rules run, never
// happens), while ~670 µs per GET are still spent: such a setup measures a WAF that is not
// working. nginx-modsecurity.js keeps it as backend: 'return' only to show this.
// Needs nginx, libnginx-mod-http-modsecurity, modsecurity-crs and wrk. Loopback only; nginx
// is a child process stopped at the end.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { detect, startReference, rulesFileText, processCpuMicros, sendRaw } = require('../waf-reference/nginx-modsecurity');

const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : dflt);
const DURATION = Number(opt('duration', '5'));
const CONNECTIONS = Number(opt('connections', '8'));
const SECONDS = Number(opt('seconds', '3'));
const ROUNDS = Number(opt('rounds', '3'));
const ROOT = path.resolve(__dirname, '..', '..');
const { REQUESTS, wrkScript, runWrk } = require('./waf-requests');
/** The lead's earlier measurement on this machine (ModSecurity 3.0.9 + CRS 3.3.4 PL1). */
const LEAD = { get: 1304, post: 3155, nginxRps: 43000, modsecRps: 751 };

function wireRequest(r) {
  const headers = r.headers.map(([k, v]) => (k === 'Connection' ? [k, 'close'] : [k, v]));
  return Buffer.from(`${r.method} ${r.uri} HTTP/1.1\r\n${headers.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n${r.body}`);
}

/** wrk against the reference for `seconds`: runWrk's figures plus nginx's CPU delta. */
async function wrk(ref, script, seconds) {
  const before = processCpuMicros(ref.pid);
  const r = await runWrk(`http://127.0.0.1:${ref.port}/`, script, { seconds, connections: CONNECTIONS });
  const cpuUs = processCpuMicros(ref.pid) - before;
  return { ...r, cpuUs, perRequestUs: cpuUs / r.requests };
}

/** Checks that `r` passes `ref` with 200 and ModSecurity logs nothing for it. */
async function checkBenign(ref, r) {
  const size = fs.statSync(ref.errorLog).size;
  const res = await sendRaw(ref.port, wireRequest(r));
  await new Promise((resolve) => setTimeout(resolve, 50));
  const fd = fs.openSync(ref.errorLog, 'r');
  const buf = Buffer.alloc(fs.fstatSync(fd).size - size);
  fs.readSync(fd, buf, 0, buf.length, size);
  fs.closeSync(fd);
  const ids = [...buf.toString('latin1').matchAll(/ModSecurity: .*?\[id "(\d+)"\]/g)].map((m) => m[1]);
  if (res.status !== 200 || ids.length) throw new Error(`${r.name} is not benign to ${ref.label}: status ${res.status}, rules ${ids.join(' ')}`);
}

/** (c): CPU µs per whole transaction through @trellis/waf, best of 5 rounds after a warm-up. */
function trellisMeasure(waf, r, seconds, requestOnly = false) {
  const responseHeaders = [
    ['Server', 'nginx/1.22.1'],
    ['Date', new Date().toUTCString()],
    ['Content-Type', 'text/html'],
    ['Content-Length', '3'],
    ['Connection', 'keep-alive'],
  ];
  const once = () => {
    const tx = waf.newTransaction({ clientIp: '127.0.0.1', serverPort: 80 });
    let interruption = tx.processRequestHeaders(r.method, r.uri, '1.1', r.headers);
    if (!interruption && r.body) interruption = tx.appendRequestBody(r.body);
    if (!interruption) interruption = tx.processRequestBody();
    if (requestOnly) return tx;
    if (!interruption) interruption = tx.processResponseHeaders(200, responseHeaders);
    if (!interruption) {
      tx.appendResponseBody('ok\n');
      interruption = tx.processResponseBody();
    }
    tx.processLogging();
    return tx;
  };
  const check = once();
  const logged = check.matchedRules.filter((m) => m.logged).map((m) => m.id);
  if (logged.length) throw new Error(`${r.name} is not benign to Trellis: rules ${logged.join(' ')}`);
  for (let i = 0; i < 300; i++) once();
  let best = Infinity;
  const ROUNDS = 5;
  for (let round = 0; round < ROUNDS; round++) {
    let n = 0;
    const start = process.cpuUsage();
    const end = Date.now() + (seconds * 1000) / ROUNDS;
    while (Date.now() < end) {
      for (let i = 0; i < 10; i++) once();
      n += 10;
    }
    const used = process.cpuUsage(start);
    best = Math.min(best, (used.user + used.system) / n);
  }
  return best;
}

async function main() {
  const found = detect();
  if (found.missing.length) throw new Error(`missing: ${found.missing.join('; ')}`);
  const { Waf } = require(path.join(ROOT, 'packages/waf/dist/index.js'));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-waf-bench-'));
  const refs = [];
  const results = {};
  try {
    const scripts = { get: wrkScript(tmp, 'get', REQUESTS.get), post: wrkScript(tmp, 'post', REQUESTS.post) };
    const setups = [
      ['nginx', { modsecurity: false }],
      ['modsecNoCrs', { crs: false, marker: false }],
      ['modsec', { paranoiaLevel: 1, marker: false }],
    ];
    for (const [label, options] of setups) {
      const ref = await startReference(options);
      ref.label = { nginx: 'nginx alone', modsecNoCrs: 'nginx + ModSecurity without CRS', modsec: 'nginx + ModSecurity + CRS' }[label];
      refs.push(ref);
      for (const key of ['get', 'post']) {
        await checkBenign(ref, REQUESTS[key]);
        await wrk(ref, scripts[key], 1); // warm-up
        // Best of ROUNDS runs: on a shared machine other processes only ever add to the cost.
        let best;
        for (let i = 0; i < ROUNDS; i++) {
          const r = await wrk(ref, scripts[key], DURATION);
          if (!best || r.perRequestUs < best.perRequestUs) best = { ...r, rpsBest: Math.max(r.rps, best?.rpsBest ?? 0) };
          else best.rpsBest = Math.max(best.rpsBest, r.rps);
        }
        results[`${label}.${key}`] = best;
      }
      await ref.stop();
    }

    // (c) the same rules file (b) loaded: recommended config + crs-setup + CRS at PL1.
    const rulesFile = path.join(tmp, 'modsecurity-rules.conf');
    fs.writeFileSync(rulesFile, rulesFileText(found, tmp, { paranoiaLevel: 1, marker: false }));
    const t0 = Date.now();
    const waf = Waf.fromFiles([rulesFile]);
    const loadMs = Date.now() - t0;
    for (const key of ['get', 'post']) {
      results[`trellis.${key}`] = { perRequestUs: trellisMeasure(waf, REQUESTS[key], SECONDS) };
      results[`trellisRequestOnly.${key}`] = { perRequestUs: trellisMeasure(waf, REQUESTS[key], SECONDS / 2, true) };
    }

    const f = (n, d = 0) => (Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }) : '-');
    console.log(`wrk -t1 -c${CONNECTIONS} -d${DURATION}s, best of ${ROUNDS} runs per cell; nginx 1 process (proxy to a return-200 server in the same process); CPU from /proc/<pid>/stat`);
    console.log(`machine: ${os.cpus().length} CPUs, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} (req/s falls with load; CPU µs per request much less)`);
    console.log(`Trellis: ${waf.ruleCount} rules from the same file, compiled in ${loadMs} ms; best of 5 rounds over ${SECONDS} s, in-process, whole transaction\n`);
    console.log('CPU µs per request (nginx columns: the whole nginx process; ModSec = nginx + ModSecurity minus nginx alone):');
    console.log(
      `${'request'.padEnd(16)} ${'nginx req/s'.padStart(12)} ${'+ModSec req/s'.padStart(14)} ${'nginx'.padStart(7)} ${'ModSec noCRS'.padStart(13)} ${'ModSec+CRS'.padStart(11)} ${'Trellis'.padStart(9)} ${'ours/ModSec'.padStart(12)} ${'Trellis req-only'.padStart(17)}`,
    );
    for (const key of ['get', 'post']) {
      const a = results[`nginx.${key}`];
      const a2 = results[`modsecNoCrs.${key}`];
      const b = results[`modsec.${key}`];
      const c = results[`trellis.${key}`];
      const modsec = b.perRequestUs - a.perRequestUs;
      results[`ratio.${key}`] = c.perRequestUs / modsec;
      console.log(
        `${REQUESTS[key].name.padEnd(16)} ${f(a.rpsBest).padStart(12)} ${f(b.rpsBest).padStart(14)} ${f(a.perRequestUs, 1).padStart(7)} ${f(a2.perRequestUs - a.perRequestUs, 1).padStart(13)} ${f(modsec, 1).padStart(11)} ${f(c.perRequestUs, 1).padStart(9)} ${f(c.perRequestUs / modsec, 3).padStart(12)} ${f(results[`trellisRequestOnly.${key}`].perRequestUs, 1).padStart(17)}`,
      );
      for (const [label, r] of [['nginx', a], ['modsecNoCrs', a2], ['modsec', b]]) if (r.non2xx) console.log(`  warning: ${label} answered ${r.non2xx} non-2xx responses to the ${REQUESTS[key].name}`);
    }
    console.log(`\nlead's earlier figures: ModSecurity + CRS PL1 ${f(LEAD.get)} µs per benign GET, ${f(LEAD.post)} µs per 1 KB form POST; nginx ${f(LEAD.nginxRps)} -> ${f(LEAD.modsecRps)} req/s`);
    console.log(`ours (this run) / lead's ModSecurity figures: GET ${f(results['trellis.get'].perRequestUs / LEAD.get, 3)}, POST ${f(results['trellis.post'].perRequestUs / LEAD.post, 3)}`);
    if (args.includes('--json')) fs.writeFileSync(opt('json'), JSON.stringify({ duration: DURATION, connections: CONNECTIONS, results }, null, 1));
  } finally {
    for (const ref of refs) await ref.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
