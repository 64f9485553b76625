#!/usr/bin/env node
// ADS fan-out benchmark: N concurrent SotW ADS streams from a separate process
// against one server; one ClusterLoadAssignment change must reach all of them.
// Prints p50/p99 push latency and the server's RSS (and /usr/bin/time -v peak).
//
//   npm run build && node test/bench/ads-fanout.bench.js [--streams 1000] [--changes 5]
//
// Target (issue 2): p99 < 1 s and server RSS < 300 MB at 1,000 streams.
'use strict';
const { spawn } = require('node:child_process');
const path = require('node:path');

const args = Object.fromEntries(process.argv.slice(2).join(' ').split('--').filter(Boolean).map((a) => a.trim().split(/\s+/)));
const streams = Number(args.streams ?? 1000);
const changes = Number(args.changes ?? 5);
const here = path.join(__dirname, 'ads-fanout');

function startServer() {
  const child = spawn('/usr/bin/time', ['-v', process.execPath, path.join(here, 'server.js')], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  child.stdout.on('data', (d) => process.stdout.write(`[server] ${d}`));
  child.on('exit', (code) => { if (code) { console.error(`server exited with ${code}:\n${stderr}`); process.exit(1); } });
  return { child, stderr: () => stderr };
}

function once(child, type) {
  return new Promise((resolve) => child.on('message', function handler(m) {
    if (m.type === type) { child.off('message', handler); resolve(m); }
  }));
}

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function main() {
  const server = startServer();
  const { port } = await once(server.child, 'listening');
  const clients = spawn(process.execPath, [path.join(here, 'clients.js'), String(port), String(streams)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const t0 = Date.now();
  await once(clients, 'synced');
  console.log(`${streams} streams connected and synced in ${Date.now() - t0} ms`);
  server.child.send({ type: 'stats' });
  const idle = await once(server.child, 'stats');
  const latencies = [];
  for (let i = 0; i < changes; i++) {
    clients.send({ type: 'arm' });
    await once(clients, 'armed');
    const received = once(clients, 'received');
    server.child.send({ type: 'change', round: i });
    const { sentAt } = await once(server.child, 'changed');
    const { times } = await received;
    const perRound = times.map((t) => t - sentAt).sort((a, b) => a - b);
    latencies.push(...perRound);
    console.log(`change ${i + 1}: reached ${times.length}/${streams} streams, p50 ${pct(perRound, 50).toFixed(1)} ms, p99 ${pct(perRound, 99).toFixed(1)} ms, max ${perRound.at(-1).toFixed(1)} ms`);
  }
  server.child.send({ type: 'stats' });
  const busy = await once(server.child, 'stats');
  clients.kill();
  server.child.send({ type: 'exit' });
  await new Promise((r) => server.child.on('exit', r));
  const peakKb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(server.stderr())?.[1] ?? 0);
  latencies.sort((a, b) => a - b);
  const p99 = pct(latencies, 99);
  const peakMb = peakKb / 1024;
  console.log('\n== ADS fan-out ==');
  console.log(`streams                 ${streams}`);
  console.log(`push latency p50        ${pct(latencies, 50).toFixed(1)} ms`);
  console.log(`push latency p99        ${p99.toFixed(1)} ms   (target < 1000 ms: ${(p99 / 1000).toFixed(2)}x of budget)`);
  console.log(`server RSS idle/after   ${idle.rssMb.toFixed(0)} / ${busy.rssMb.toFixed(0)} MB`);
  console.log(`server peak RSS (time -v) ${peakMb.toFixed(0)} MB   (target < 300 MB: ${(peakMb / 300).toFixed(2)}x of budget; istiod ~1.5 GB for 2,000 sidecars)`);
  console.log(`server CPU per change   ${((busy.cpuMs - idle.cpuMs) / changes).toFixed(0)} ms`);
}

main().catch((e) => { console.error(e); process.exit(1); });
