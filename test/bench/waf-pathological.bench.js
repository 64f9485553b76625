#!/usr/bin/env node
// Does a hostile request slow down everyone else's? One run, same machine:
//   wrk (benign GET, -c8) → Trellis A → mTLS → Trellis B (WAF: CRS 3.3.4 PL1, BLOCK) → nginx app
// Benign p50/p99 are measured alone, then while a bounded stream of 1 MB pathological POSTs
// (bodies crafted against the slowest CRS rules, found with the engine section below) goes
// through the same pair, for B judging big requests on a worker thread (the default) and for
// B judging everything inline. Prints the p99 ratio (target <= 2x) and B's peak RSS. First,
// the crossover: worst-case inline cost by inspected size against a worker round trip.
//
//   npx tsc -b && node test/bench/waf-pathological.bench.js [--seconds 8] [--connections 8] [--hostile 1]
// Needs nginx, wrk, openssl, Debian's modsecurity-crs. Loopback 127.0.2.2, ports 21100-21104;
// every process is killed at the end. About 70 s.
'use strict';
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { makePki, option, runBench } = require('./proxy-kit');
const { SERVICE_B, startApp, startTrellisPair, rssMb } = require('./waf-pair');
const { BROWSER_HEADERS, REQUESTS, formBody, wrkScript, runWrk } = require('./waf-requests');

const SECONDS = Number(option('seconds', '8'));
const CONNECTIONS = Number(option('connections', '8'));
const HOSTILE_CONCURRENCY = Number(option('hostile', '1'));
const HOST = '127.0.2.2';
const PORTS = { app: 21100, isolatedA: 21101, isolatedB: 21102, inlineA: 21103, inlineB: 21104 };
const ROOT = path.resolve(__dirname, '..', '..');
const MB = 1 << 20;

/**
 * Urlencoded bodies that cost CRS PL1 the most per byte (measured with the engine section):
 * every argument runs the ARGS rules again; '<a ' runs keep 941xxx's tag patterns busy;
 * SQL tautology fragments and comment openers feed 942xxx and 932xxx long candidate runs.
 */
const HOSTILE = {
  'many arguments': (n) => Array.from({ length: Math.ceil(n / 8) }, (_, i) => `a${i}=b`).join('&').slice(0, n),
  "'<a ' runs": (n) => `x=${'<a '.repeat(n / 3)}`.slice(0, n),
  'SQL tautologies': (n) => `x=${"'or 1=1 ".repeat(n / 9)}`.slice(0, n),
  "'/*' runs": (n) => `x=${'/*'.repeat(n / 2)}`.slice(0, n),
};

function engineSection() {
  const { Waf, crsDirectives, evaluateBuffered } = require(path.join(ROOT, 'packages/waf/dist/index.js'));
  const directives = crsDirectives({ paranoiaLevel: 1 });
  const waf = Waf.fromDirectives(directives);
  const request = (body) => ({
    id: 'x', clientIp: '10.0.0.1', serverPort: 80, method: 'POST', uri: '/upload', httpVersion: 'HTTP/1.1',
    headers: [...BROWSER_HEADERS, ['Content-Type', 'application/x-www-form-urlencoded'], ['Content-Length', String(body.length)]],
    body: Buffer.from(body), bodyTruncated: false,
  });
  const timeMs = (fn, times = 3) => {
    fn();
    const t = process.hrtime.bigint();
    for (let i = 0; i < times; i++) fn();
    return Number(process.hrtime.bigint() - t) / 1e6 / times;
  };
  console.log('engine, in-process: worst inline cost by body size (ms; the slowest of the hostile bodies, then a benign form)');
  const sizes = [1024, 4096, 8192, 16384, 65536];
  console.log(`${'body bytes'.padEnd(22)}${sizes.map((s) => String(s).padStart(9)).join('')}`);
  for (const [name, make] of Object.entries(HOSTILE)) {
    console.log(`${name.padEnd(22)}${sizes.map((s) => timeMs(() => evaluateBuffered(waf, request(make(s)))).toFixed(2).padStart(9)).join('')}`);
  }
  console.log(`${'benign form'.padEnd(22)}${sizes.map((s) => timeMs(() => evaluateBuffered(waf, request(formBody(s)))).toFixed(2).padStart(9)).join('')}`);
  for (const [name, make] of Object.entries(HOSTILE)) {
    console.log(`1 MB of ${name}: ${timeMs(() => evaluateBuffered(waf, request(make(MB))), 1).toFixed(0)} ms inline`);
  }
  return { directives, request };
}

async function workerRoundTrip({ directives, request }) {
  const { WafWorkerPool, Waf, evaluateBuffered } = require(path.join(ROOT, 'packages/waf/dist/index.js'));
  const pool = new WafWorkerPool(directives);
  const waf = Waf.fromDirectives(directives);
  const small = request('a=b');
  await pool.evaluate(small);
  const n = 200;
  let t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await pool.evaluate(small);
  const viaWorker = Number(process.hrtime.bigint() - t) / 1e3 / n;
  t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) evaluateBuffered(waf, small);
  const inline = Number(process.hrtime.bigint() - t) / 1e3 / n;
  console.log(`worker round trip for a tiny request: ${viaWorker.toFixed(0)} µs via the worker vs ${inline.toFixed(0)} µs inline (hop ≈ ${(viaWorker - inline).toFixed(0)} µs)\n`);
  await pool.close();
}

/** POSTs `body` as a form through the pair at `port`; resolves to { status, ms }. */
function postForm(port, body) {
  const started = Date.now();
  return new Promise((resolve) => {
    const req = http.request({ host: HOST, port, method: 'POST', path: '/upload', agent: false, headers: {
      host: SERVICE_B, 'content-type': 'application/x-www-form-urlencoded', 'content-length': body.length,
    } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode, ms: Date.now() - started }));
    });
    req.on('error', (e) => resolve({ status: e.code, ms: Date.now() - started }));
    req.end(body);
  });
}

/** Sends hostile 1 MB POSTs through `port` back to back (`concurrency` at a time) until `stop()`. */
function hostileStream(port, concurrency) {
  const bodies = Object.entries(HOSTILE).map(([name, make]) => [name, Buffer.from(make(MB))]);
  const outcomes = [];
  let running = true;
  let next = 0;
  const loops = Array.from({ length: concurrency }, async () => {
    while (running) {
      const [name, body] = bodies[next++ % bodies.length];
      outcomes.push({ name, ...(await postForm(port, body)) });
    }
  });
  return { stop: async () => ((running = false), await Promise.all(loops), outcomes) };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

async function measure(label, portA, pid, script) {
  const url = `http://${HOST}:${portA}/`;
  await runWrk(url, script, { seconds: 2, connections: CONNECTIONS }); // warm-up
  // A big benign form starts B's worker (it compiles the CRS on first use, at low priority).
  await postForm(portA, Buffer.from(formBody(64 * 1024)));
  const alone = await runWrk(url, script, { seconds: SECONDS, connections: CONNECTIONS });
  const stream = hostileStream(portA, HOSTILE_CONCURRENCY);
  const loaded = await runWrk(url, script, { seconds: SECONDS, connections: CONNECTIONS });
  const outcomes = await stream.stop();
  return { label, alone, loaded, outcomes, rss: rssMb(pid) };
}

async function main() {
  const shared = engineSection();
  await workerRoundTrip(shared);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-waf-patho-'));
  makePki(dir);
  const waf = { mode: 'BLOCK', rule_set: 'OWASP_CRS', paranoia_level: 1 };
  await startApp(dir, HOST, PORTS.app);
  const [isolated, inline] = await Promise.all([
    startTrellisPair(dir, { host: HOST, portA: PORTS.isolatedA, portB: PORTS.isolatedB, appPort: PORTS.app, waf }),
    startTrellisPair(dir, { host: HOST, portA: PORTS.inlineA, portB: PORTS.inlineB, appPort: PORTS.app, waf: { ...waf, offload_threshold_bytes: -1 } }),
  ]);
  const script = wrkScript(dir, 'get', REQUESTS.get, SERVICE_B);
  const results = [
    await measure('B judges big requests on a worker', PORTS.isolatedA, isolated.b.pid, script),
    await measure('B judges everything inline', PORTS.inlineA, inline.b.pid, script),
  ];
  const f = (n, d = 2) => (Number.isFinite(n) ? n.toFixed(d) : '-');
  console.log(`benign GET via the pair: wrk -t1 -c${CONNECTIONS} -d${SECONDS}s, alone then beside ${HOSTILE_CONCURRENCY} stream(s) of 1 MB hostile POSTs; ${os.cpus().length} cores (shared)`);
  console.log(`${'setup'.padEnd(36)} ${'req/s alone'.padStart(11)} ${'p50'.padStart(6)} ${'p99'.padStart(7)} ${'req/s loaded'.padStart(12)} ${'p50'.padStart(6)} ${'p99'.padStart(7)} ${'p99 ratio'.padStart(9)} ${'B peak RSS MB'.padStart(13)}`);
  for (const r of results) {
    console.log(`${r.label.padEnd(36)} ${f(r.alone.rps, 0).padStart(11)} ${f(r.alone.p50).padStart(6)} ${f(r.alone.p99).padStart(7)} ${f(r.loaded.rps, 0).padStart(12)} ${f(r.loaded.p50).padStart(6)} ${f(r.loaded.p99).padStart(7)} ${f(r.loaded.p99 / r.alone.p99).padStart(9)} ${f(r.rss.peak, 0).padStart(13)}`);
    if (r.alone.non2xx || r.loaded.non2xx) console.log(`  warning: ${r.alone.non2xx + r.loaded.non2xx} benign requests answered non-2xx`);
    // wrk leaves requests that time out (2 s) out of its percentiles: count them beside.
    if (r.alone.timeouts || r.loaded.timeouts) console.log(`  benign requests timed out (> 2 s, not in p99): ${r.alone.timeouts} alone, ${r.loaded.timeouts} loaded`);
  }
  console.log('\nhostile requests (status: count, median ms)');
  for (const r of results) {
    const byKey = new Map();
    for (const o of r.outcomes) {
      const key = `${o.name} → ${o.status}`;
      byKey.set(key, [...(byKey.get(key) ?? []), o.ms]);
    }
    console.log(`${r.label}: ${r.outcomes.length} sent`);
    for (const [key, ms] of byKey) console.log(`  ${key}: ${ms.length}, ${median(ms)} ms`);
  }
  const [iso, inl] = results;
  console.log(`\np99 loaded/alone: worker ${f(iso.loaded.p99 / iso.alone.p99)}x (target <= 2), inline ${f(inl.loaded.p99 / inl.alone.p99)}x`);
  console.log(`req/s loaded/alone: worker ${f(iso.loaded.rps / iso.alone.rps)}, inline ${f(inl.loaded.rps / inl.alone.rps)}`);
}

runBench(main);
