#!/usr/bin/env node
// Transparent capture against explicit proxy ports, same mesh, same run: two pods call over
// their proxies with mTLS the explicit way (the app dials its proxy's outbound port with a Host
// header; the callee's proxy listens on the pod IP), two pods the captured way (the app dials
// the callee's IP:port; iptables redirects both ends). Prints req/s for each, captured/explicit
// as a ratio, the proxies' CPU per request and their RSS. Beside them, a call outside the mesh
// (pod o, no proxy, no WorkloadEntry): passed through by a2's proxy (ALLOW_ANY, ORIGINAL_DST)
// against a1's app dialling it directly (a1 is not captured), as a ratio too.
// Needs root, iproute2 and iptables.
//
//   npx tsc -b && sudo /usr/bin/time -v node test/bench/capture-pair.bench.js [--seconds 5] [--rounds 3] [--connections 16]
//
// Network namespaces trellis-t-* on a bridge in 10.231.0.0/24; the control plane runs in the
// root namespace on 10.231.0.1. The proxies run as root here (capture-init --proxy-uid 0 exempts
// them), the apps as UID 1000.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { buildNetwork, inNetns, netnsOf, removeNetwork } = require('../e2e/netns-pods');
const { option, procStats, runBench, start } = require('./proxy-kit');

const CLI = path.resolve(__dirname, '../../packages/cli/dist/main.js');
const APPS = path.resolve(__dirname, '../e2e/netns-capture-apps.js');
const seconds = Number(option('seconds', '5'));
const connections = Number(option('connections', '16'));
const rounds = Number(option('rounds', '3'));
const PREFIX = 'trellis-t-bench-';
const ROOT_LINK = 'trellis-t-bench';
const HOST_IP = '10.231.0.1';

// Explicit: the app behind b1 listens on 18081, its proxy on the pod IP's 18080. Captured: the app is on 18080 itself.
const PODS = [
  { name: 'a1', ip: '10.231.0.21', capture: false, ports: '{}' },
  { name: 'b1', ip: '10.231.0.22', capture: false, ports: '{ http: 18080 }', appPort: 18081 },
  { name: 'a2', ip: '10.231.0.23', capture: true, ports: '{}' },
  { name: 'b2', ip: '10.231.0.24', capture: true, ports: '{ http: 18080 }', appPort: 18080 },
  { name: 'o', ip: '10.231.0.25', outside: true, appPort: 18080 },
];
const meshPods = PODS.filter((p) => !p.outside);
const netns = (pod) => netnsOf(PREFIX, pod.name);

const MESH = [
  'apiVersion: v1\nkind: Service\nmetadata: { name: web1, namespace: shop }\nspec: { selector: { app: b1 }, ports: [{ name: http, port: 18080 }] }\n',
  'apiVersion: v1\nkind: Service\nmetadata: { name: web2, namespace: shop }\nspec: { selector: { app: b2 }, ports: [{ name: http, port: 18080 }] }\n',
  ...meshPods.map((p) => {
    const annotations = p.capture ? '"sidecar.trellis.dev/capture": "true"' : `"sidecar.trellis.dev/app-ports": "${p.appPort ? `http=${p.appPort}` : ''}"`;
    return `apiVersion: networking.trellis.dev/v1alpha1\nkind: WorkloadEntry\nmetadata: { name: ${p.name}, namespace: shop, annotations: { ${annotations} } }\nspec: { address: ${p.ip}, serviceAccount: ${p.name}, labels: { app: ${p.name} }, ports: ${p.ports} }\n`;
  }),
].join('---\n');

const sh = (command, args) => execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const asApp = (pod, args) => inNetns(netns(pod), 1000, [process.execPath, APPS, ...args]);

async function until(probe, what, ms = 20000) {
  const deadline = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function loadFrom(pod, url, host, secs) {
  const out = sh('ip', asApp(pod, ['load', url, host, String(secs), String(connections)]));
  return JSON.parse(out.trim().split('\n').at(-1));
}

runBench(async () => {
  removeNetwork(PREFIX, ROOT_LINK);
  process.on('exit', () => removeNetwork(PREFIX, ROOT_LINK));
  buildNetwork({ prefix: PREFIX, rootLink: ROOT_LINK, hostIp: HOST_IP, pods: PODS });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-capture-bench-'));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  fs.mkdirSync(path.join(dir, 'config'));
  fs.writeFileSync(path.join(dir, 'config', 'mesh.yaml'), MESH);
  const bootstrap = path.join(dir, 'state', 'bootstrap.json');
  start(process.execPath, [CLI, 'control-plane', '--config-dir', path.join(dir, 'config'), '--state-dir', path.join(dir, 'state'),
    '--xds', `${HOST_IP}:0`, '--ca', `${HOST_IP}:0`, '--admin', '127.0.0.1:0'], 'control-plane');
  await until(() => fs.existsSync(bootstrap), 'the control plane');
  const proxies = {};
  for (const pod of PODS) {
    if (pod.outside) {
      start('ip', asApp(pod, ['http', pod.name, String(pod.appPort)]), `app ${pod.name}`);
      continue;
    }
    if (pod.capture) sh('ip', inNetns(netns(pod), undefined, [process.execPath, CLI, 'capture-init', '--proxy-uid', '0']));
    proxies[pod.name] = start('ip', inNetns(netns(pod), undefined, [process.execPath, CLI, 'proxy', '--node', `${pod.name}.shop`, '--service-account', pod.name, '--bootstrap', bootstrap, '--no-access-log']), `proxy ${pod.name}`);
    if (pod.appPort) start('ip', asApp(pod, ['http', pod.name, String(pod.appPort)]), `app ${pod.name}`);
  }
  const [a1, b1, a2, b2, o] = PODS;
  console.log(`${connections} keep-alive connections, ${rounds} alternating rounds of ${seconds} s each way, Node ${process.version}, ${os.cpus().length} CPUs`);
  // Alternating rounds, so a change in the machine's load falls on both sides alike.
  const ways = [
    { name: 'explicit', what: `a1 → a1:15001 (Host web1) → b1:18080`, pods: [a1, b1], run: (secs) => loadFrom(a1, `http://${a1.ip}:15001/`, 'web1:18080', secs) },
    { name: 'captured', what: `a2 → ${b2.ip}:18080 (redirected)     `, pods: [a2, b2], run: (secs) => loadFrom(a2, `http://${b2.ip}:18080/`, '-', secs) },
    { name: 'passthrough', what: `a2 → ${o.ip}:18080 (outside the mesh)`, pods: [a2], run: (secs) => loadFrom(a2, `http://${o.ip}:18080/`, '-', secs) },
    { name: 'no proxy', what: `a1 → ${o.ip}:18080 (not captured)   `, pods: [], run: (secs) => loadFrom(a1, `http://${o.ip}:18080/`, '-', secs) },
  ].map((w) => ({ ...w, ok: 0, failed: 0, cpu: 0 }));
  const cpuOf = (pods) => pods.reduce((sum, pod) => sum + procStats(proxies[pod.name].pid).cpu, 0);
  for (const way of ways) way.run(2); // warm-up (JIT, pools), not counted
  for (let round = 0; round < rounds; round++) {
    for (const way of ways) {
      const cpuBefore = cpuOf(way.pods);
      const result = way.run(seconds);
      way.cpu += cpuOf(way.pods) - cpuBefore;
      way.ok += result.ok;
      way.failed += result.failed;
    }
  }
  for (const way of ways) {
    const rss = way.pods.map((pod) => `${pod.name} ${procStats(proxies[pod.name].pid).rss.toFixed(0)} MB`).join(', ') || '-';
    console.log(`${way.name}  ${way.what}  ${(way.ok / (rounds * seconds)).toFixed(0)} req/s, ${way.failed} failed, proxies in the path ${((way.cpu / way.ok) * 1e6).toFixed(0)} µs CPU/request, RSS ${rss}`);
  }
  const [explicit, captured, passthrough, direct] = ways;
  console.log(`captured / explicit: ${(captured.ok / explicit.ok).toFixed(2)}x req/s, ${(captured.cpu / captured.ok / (explicit.cpu / explicit.ok)).toFixed(2)}x CPU per request`);
  console.log(`passthrough / no proxy: ${(passthrough.ok / direct.ok).toFixed(2)}x req/s`);
});
