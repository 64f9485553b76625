#!/usr/bin/env node
// Control-plane scale (issue 5): S services × 5 endpoints in 10 namespaces, P simulated
// proxies (their own certificates, mTLS ADS streams) against the real control plane,
// which runs in its own process under /usr/bin/time -v. Prints the full-push time,
// endpoint-change propagation p50/p99, bytes pushed per change and the types they
// carried, and the control plane's RSS and CPU.
//
//   npm run build && node test/bench/control-plane-scale.bench.js [--services 1000] [--proxies 1000] [--scope namespace|mesh] [--protocol sotw|delta]
//
// Targets: propagation p99 < 1 s; RSS < 750 MB (istiod: 1.5 GB for 1,000 services / 2,000 sidecars); an endpoint change pushes only EDS.
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const args = Object.fromEntries(process.argv.slice(2).join(' ').split('--').filter(Boolean).map((a) => a.trim().split(/\s+/)));
const SERVICES = Number(args.services ?? 1000);
const PROXIES = Number(args.proxies ?? 1000);
const SCOPE = args.scope ?? 'namespace';
const PROTOCOL = args.protocol ?? 'sotw';
const NAMESPACES = 10;
const here = path.join(__dirname, 'control-plane-scale');

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-scale-'));
const configDir = path.join(dir, 'config');
fs.mkdirSync(configDir);
const workloads = [];
for (let s = 0; s < SERVICES; s++) {
  const ns = `ns-${s % NAMESPACES}`;
  const name = `svc-${s}`;
  const docs = [`apiVersion: v1\nkind: Service\nmetadata: { name: ${name}, namespace: ${ns} }\nspec: { selector: { app: ${name} }, ports: [{ name: http, port: 8080 }] }\n`];
  for (let e = 0; e < 5; e++) {
    const w = { name: `${name}-${e}`, namespace: ns, serviceAccount: name };
    workloads.push(w);
    const egress = SCOPE === 'namespace' ? `, sidecar.trellis.dev/egress-namespaces: "."` : '';
    docs.push(`apiVersion: networking.trellis.dev/v1alpha1\nkind: WorkloadEntry\nmetadata: { name: ${w.name}, namespace: ${ns}, annotations: { sidecar.trellis.dev/app-ports: "http=18080"${egress} } }\nspec: { address: 10.${s >> 8}.${s & 255}.${e + 1}, serviceAccount: ${name}, labels: { app: ${name} }, ports: { http: 8080 } }\n`);
  }
  fs.writeFileSync(path.join(configDir, `${name}.yaml`), docs.join('---\n'));
}
// One proxy per service (its first endpoint), spread over the namespaces.
const proxied = workloads.filter((_, i) => i % 5 === 0);

function once(child, type) {
  return new Promise((resolve) => child.on('message', function handler(m) { if (m.type === type) { child.off('message', handler); resolve(m); } }));
}
const stats = async (cp) => { cp.send({ type: 'stats' }); return once(cp, 'stats'); };
const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const mb = (bytes) => (bytes / 1048576).toFixed(2);

/**
 * Resolves once the edit was pushed and every proxy ACKed it (all SYNCED), or after 60 s.
 * A fixed window cut off slow pushes: a mesh-wide service add takes longer than 4 s.
 */
async function settled(cp) {
  const deadline = Date.now() + 60_000;
  let pushed = false;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    const s = await stats(cp);
    pushed ||= s.pushes.length > 0;
    if (pushed && s.synced === s.connected) return;
  }
  console.log('(the change did not settle within 60 s)');
}

async function change(cp, proxies, label, edit) {
  const since = Date.now();
  proxies.send({ type: 'arm', since });
  const before = await stats(cp);
  edit();
  await settled(cp);
  proxies.send({ type: 'collect' });
  const { received } = await once(proxies, 'window');
  const after = await stats(cp);
  const perProxy = new Map();
  for (const r of received) if (!perProxy.has(r.proxy)) perProxy.set(r.proxy, r.at - since);
  const latencies = [...perProxy.values()].sort((a, b) => a - b);
  const types = [...new Set(received.map((r) => r.type))].sort();
  const bytes = received.reduce((n, r) => n + r.bytes, 0);
  console.log(`${label}: reached ${perProxy.size} proxies (those with svc-0 in scope); p50 ${pct(latencies, 50)} ms, p99 ${pct(latencies, 99)} ms (from the file write, incl. 100 ms debounce); ` +
    `${received.length} responses, ${mb(bytes)} MB of resources, types ${types.join('+')}; control-plane CPU ${(after.cpuMs - before.cpuMs).toFixed(0)} ms`);
  return { latencies, types, bytes, cpu: after.cpuMs - before.cpuMs };
}

async function main() {
  console.log(`${SERVICES} services × 5 endpoints in ${NAMESPACES} namespaces, ${PROXIES} simulated proxies, egress scope: ${SCOPE}, ADS ${PROTOCOL}`);
  const cp = spawn('/usr/bin/time', ['-v', process.execPath, ...(process.env.TRELLIS_PROFILE_DIR ? ['--cpu-prof', '--cpu-prof-dir', process.env.TRELLIS_PROFILE_DIR] : []), path.join(here, 'control-plane.js'), configDir, path.join(dir, 'state')], { stdio: ['ignore', 'inherit', 'pipe', 'ipc'] });
  let timeOutput = '';
  cp.stderr.on('data', (d) => (timeOutput += d));
  const ready = await once(cp, 'ready');
  const idle = await stats(cp);
  const proxies = spawn(process.execPath, [path.join(here, 'proxies.js'), ready.xds, ready.caDir, String(PROXIES), JSON.stringify(proxied), PROTOCOL], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  await once(proxies, 'certified');
  const t0 = await stats(cp);
  proxies.send({ type: 'go' });
  const { ms: fullPush } = await once(proxies, 'all-synced');
  const synced = await stats(cp);
  console.log(`full push: all ${PROXIES} proxies connected over mTLS and received all five types in ${fullPush} ms (control-plane CPU ${(synced.cpuMs - t0.cpuMs).toFixed(0)} ms, RSS ${synced.rssMb.toFixed(0)} MB)`);

  const file = path.join(configDir, 'svc-0.yaml');
  const original = fs.readFileSync(file, 'utf8');
  const results = [];
  // Move an endpoint whose workload has no proxy of ours: only the endpoint set changes.
  for (let i = 1; i <= 3; i++) results.push(await change(cp, proxies, `endpoint change ${i}`, () => fs.writeFileSync(file, original.replace('address: 10.0.0.2,', `address: 10.200.0.${i},`))));
  const serviceAdd = await change(cp, proxies, 'service added', () => fs.writeFileSync(path.join(configDir, 'svc-new.yaml'), `apiVersion: v1\nkind: Service\nmetadata: { name: svc-new, namespace: ns-0 }\nspec: { selector: { app: svc-new }, ports: [{ name: http, port: 8080 }] }\n`));

  const final = await stats(cp);
  proxies.kill();
  cp.send({ type: 'exit' });
  await new Promise((r) => cp.on('exit', r));
  fs.rmSync(dir, { recursive: true, force: true });
  const peakMb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(timeOutput)?.[1] ?? 0) / 1024;
  const all = results.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const onlyEds = results.every((r) => r.types.join() === 'ClusterLoadAssignment');
  console.log('\n== control-plane scale ==');
  console.log(`services / endpoints / proxies     ${SERVICES} / ${SERVICES * 5} / ${PROXIES} (egress scope: ${SCOPE}, ADS ${PROTOCOL})`);
  console.log(`full push (connect + all types)    ${fullPush} ms`);
  console.log(`endpoint change propagation        p50 ${pct(all, 50)} ms, p99 ${pct(all, 99)} ms  (target p99 < 1000 ms: ${(pct(all, 99) / 1000).toFixed(2)}x of budget)`);
  console.log(`endpoint change pushes only EDS    ${onlyEds ? 'yes' : 'NO: ' + results.map((r) => r.types.join('+')).join(', ')}`);
  console.log(`bytes pushed per endpoint change   ${mb(results[0].bytes)} MB to all proxies (${(results[0].bytes / PROXIES).toFixed(0)} B per proxy)`);
  console.log(`service added (CDS+EDS+RDS)        p99 ${pct(serviceAdd.latencies, 99)} ms, ${mb(serviceAdd.bytes)} MB`);
  console.log(`control-plane RSS idle/final/peak  ${idle.rssMb.toFixed(0)} / ${final.rssMb.toFixed(0)} / ${peakMb.toFixed(0)} MB  (target < 750 MB: ${(peakMb / 750).toFixed(2)}x; istiod ~1.5 GB)`);
  console.log(`control-plane CPU per endpoint change ${(results.reduce((n, r) => n + r.cpu, 0) / results.length).toFixed(0)} ms`);
}

main().catch((e) => { console.error(e); process.exit(1); });
