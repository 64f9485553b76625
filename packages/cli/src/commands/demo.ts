import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { FileSource, formatProxyStatus, nodeIdOf, type ControlPlane, type Workload } from '@trellis/control-plane';
import { proxyCertificates } from './cert';
import { startControlPlane } from './control-plane';
import { untilStopped } from '../output';

/**
 * `trellis demo`: the control plane, one sample app per workload of the demo
 * config, and one real proxy process beside each; then sample traffic that shows
 * mTLS identities, authorization decisions, and the proxies' sync state.
 */

const DEMO_CONFIG = path.resolve(__dirname, '../../../../deploy/local/demo');
const MAIN = path.resolve(__dirname, '../main.js');

export interface MeshDemoOptions {
  stateDir: string;
  /** 0 for free ports (tests); the defaults are Istio-like 15010/15012/15014. */
  basePort: number;
  once: boolean;
  out: (line: string) => void;
}

interface Reply {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
}

function request(host: string, port: number, method: string, authority: string, urlPath: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port, method, path: urlPath, headers: { host: authority }, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A sample app: says who it is and which mesh identity called it (from the proxy's XFCC header). */
function startApp(workload: Workload, port: number): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const caller = /URI=([^;,]+)/.exec(String(req.headers['x-forwarded-client-cert'] ?? ''))?.[1] ?? 'unknown';
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ workload: workload.name, method: req.method, path: req.url, caller }));
  });
  return new Promise((resolve, reject) => {
    server.once('error', (error) => reject(new Error(`app ${workload.name} cannot listen on 127.0.0.1:${port}: ${error.message}`)));
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

function startProxyProcess(workload: Workload, bootstrap: string, logDir: string): ChildProcess {
  const log = fs.openSync(path.join(logDir, `${nodeIdOf(workload)}.log`), 'w');
  return spawn(process.execPath, [MAIN, 'proxy', '--node', nodeIdOf(workload), '--service-account', workload.serviceAccount, '--bootstrap', bootstrap, '--admin-port', '0', '--no-access-log'], {
    stdio: ['ignore', log, log],
  });
}

async function waitUntilSynced(cp: ControlPlane, nodes: string[], out: (line: string) => void, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = -1;
  for (;;) {
    const synced = cp.proxyStatus().filter((s) => nodes.includes(s.node) && s.types.length >= 5 && s.types.every((t) => t.state === 'SYNCED')).length;
    if (synced !== last) out(`  proxies synced: ${synced}/${nodes.length}`);
    last = synced;
    if (synced === nodes.length) return;
    if (Date.now() > deadline) throw new Error(`only ${synced}/${nodes.length} proxies synced within ${timeoutMs / 1000} s; see their logs`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The admin address a proxy reported in its log when it became ready. */
function proxyAdmin(logDir: string, workload: Workload): string | undefined {
  const log = fs.readFileSync(path.join(logDir, `${nodeIdOf(workload)}.log`), 'utf8');
  return /"event":"ready".*?"admin":"([^"]+)"/.exec(log)?.[1];
}

function plaintextRefused(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, host, () => socket.write(`GET / HTTP/1.1\r\nHost: x\r\n\r\n`));
    let answer = '';
    socket.on('data', (d) => (answer += d.toString('latin1')));
    socket.on('error', (e) => resolve(`refused (${e.message})`));
    socket.on('close', () => resolve(answer.startsWith('HTTP/') ? `ANSWERED IN PLAINTEXT: ${answer.split('\r\n')[0]}` : 'refused: the connection was closed without a plaintext answer'));
    socket.setTimeout(3000, () => socket.destroy());
  });
}

function describe(reply: Reply): string {
  if (reply.status === 200) {
    const body = JSON.parse(reply.body) as { workload: string; caller: string };
    return `200 from ${body.workload}, which saw caller ${body.caller}`;
  }
  const deniedBy = reply.headers['x-trellis-denied-by'];
  return deniedBy ? `${reply.status} denied by ${deniedBy}` : `${reply.status} ${reply.body.trim()}`;
}

function describeWaf(reply: Reply): string {
  const rule = reply.headers['x-trellis-waf-rule'];
  return rule ? `${reply.status} blocked by WAF rule ${rule}` : describe(reply);
}

function describeOpenApi(reply: Reply): string {
  const reason = reply.headers['x-trellis-openapi'];
  return reason ? `${reply.status} refused by OpenAPI: ${reason}` : describeWaf(reply);
}

export async function runMeshDemo({ stateDir, basePort, once, out }: MeshDemoOptions): Promise<void> {
  out('Trellis local mesh demo');
  out('=======================');
  const configDir = path.join(stateDir, 'config');
  if (!fs.existsSync(configDir)) fs.cpSync(DEMO_CONFIG, configDir, { recursive: true });
  const logDir = path.join(stateDir, 'logs');
  fs.mkdirSync(logDir, { recursive: true });
  const { model } = new FileSource(configDir).load();
  const port = (offset: number) => (basePort === 0 ? 0 : basePort + offset);

  out(`● control plane (xDS + CA) from ${configDir}`);
  const cp = await startControlPlane(
    { configDir, stateDir, xds: `127.0.0.1:${port(0)}`, ca: `127.0.0.1:${port(2)}`, admin: `127.0.0.1:${port(4)}`, trustDomain: 'cluster.local', defaultMtls: 'STRICT' },
    (event, fields) => fs.appendFileSync(path.join(logDir, 'control-plane.log'), JSON.stringify({ event, ...fields }) + '\n'),
  );
  out(`  xDS ${cp.addresses.xds} (mTLS)   CA ${cp.addresses.ca}   admin http://${cp.addresses.admin}`);

  const apps: http.Server[] = [];
  const proxies: ChildProcess[] = [];
  const stop = async () => {
    for (const p of proxies) p.kill('SIGTERM');
    await Promise.all(proxies.map((p) => new Promise((r) => (p.exitCode !== null ? r(undefined) : p.once('exit', r)))));
    for (const a of apps) a.close();
    await cp.stop();
  };
  try {
    for (const workload of model.workloads) {
      const [portName, meshPort] = Object.entries(workload.ports)[0]!;
      const appPort = workload.sidecar.appPorts[portName] ?? meshPort;
      apps.push(await startApp(workload, appPort));
      proxies.push(startProxyProcess(workload, cp.bootstrapFile, logDir));
      out(`● ${nodeIdOf(workload).padEnd(16)} app 127.0.0.1:${appPort}   proxy: mesh ${workload.address}:${meshPort} (mTLS), outbound http://${workload.address}:${workload.sidecar.outboundPort}`);
    }
    out('  starting proxies (each asks the CA for its certificate, then follows xDS)…');
    await waitUntilSynced(cp, model.workloads.map(nodeIdOf), out);

    const frontend = model.workloads.find((w) => w.labels['app'] === 'frontend')!;
    const reviews = model.workloads.find((w) => w.labels['app'] === 'reviews')!;
    const via = (w: Workload, method: string, authority: string, urlPath: string) => request(w.address, w.sidecar.outboundPort, method, authority, urlPath);

    out('\n1. frontend → GET http://reviews:9080/reviews/1, six times (load-balanced, mTLS between the proxies)');
    const seen = new Map<string, number>();
    for (let i = 0; i < 6; i++) {
      const reply = await via(frontend, 'GET', 'reviews:9080', '/reviews/1');
      const line = describe(reply);
      seen.set(line, (seen.get(line) ?? 0) + 1);
    }
    for (const [line, n] of seen) out(`   ×${n} ${line}`);

    out(`\n2. plaintext straight to a proxy's mesh port (${reviews.address}:${Object.values(reviews.ports)[0]}), mTLS STRICT by default:`);
    out(`   ${await plaintextRefused(reviews.address, Object.values(reviews.ports)[0]!)}`);

    out('\n3. authorization (AuthorizationPolicy, Istio semantics, enforced by the receiving proxy):');
    out(`   frontend → POST reviews         ${describe(await via(frontend, 'POST', 'reviews:9080', '/reviews/1'))}`);
    out(`   frontend → GET  reviews/admin   ${describe(await via(frontend, 'GET', 'reviews:9080', '/admin/users'))}`);
    out(`   frontend → GET  ratings         ${describe(await via(frontend, 'GET', 'ratings:9090', '/ratings/1'))}`);
    out(`   reviews  → GET  ratings         ${describe(await via(reviews, 'GET', 'ratings:9090', '/ratings/1'))}`);

    out('\n4. WAF (WafPolicy reviews-waf: block, built-in rule profile), in the reviews proxies:');
    out(`   frontend → GET  reviews?id=1' OR '1'='1      ${describeWaf(await via(frontend, 'GET', 'reviews:9080', "/reviews?id=1'%20OR%20'1'='1"))}`);
    out(`   frontend → GET  reviews?q=<script>…         ${describeWaf(await via(frontend, 'GET', 'reviews:9080', '/reviews?q=%3Cscript%3Ealert(1)%3C/script%3E'))}`);
    out(`   frontend → GET  reviews?sort=newest          ${describeWaf(await via(frontend, 'GET', 'reviews:9080', '/reviews?sort=newest'))}`);

    out('\n5. OpenAPI enforcement (reviews-waf references the reviews-openapi ConfigMap), in the reviews proxies:');
    out(`   frontend → GET  reviews/abc                 ${describeOpenApi(await via(frontend, 'GET', 'reviews:9080', '/reviews/abc'))}`);

    const reviewsAdmin = proxyAdmin(logDir, reviews);
    if (reviewsAdmin) {
      out(`\n6. ${nodeIdOf(reviews)}'s certificate (its key never left the proxy; \`trellis cert --admin ${reviewsAdmin}\`):`);
      out((await proxyCertificates(reviewsAdmin)).split('\n').filter((l) => /leaf|secret/.test(l)).map((l) => `   ${l}`).join('\n'));
    }

    out('\nproxy-status (what each proxy ACKed vs what the control plane wants):');
    out(formatProxyStatus(cp.proxyStatus()).split('\n').map((l) => `   ${l}`).join('\n'));

    if (once) return;
    out(`\nThe mesh keeps running. Try:`);
    out(`   curl -H 'Host: reviews:9080' http://${frontend.address}:${frontend.sidecar.outboundPort}/reviews/1`);
    out(`   curl 'http://${cp.addresses.admin}/debug/proxy-status?format=text'`);
    out(`   edit ${configDir}/*.yaml — the control plane pushes the change within a second`);
    for (const w of model.workloads) {
      const admin = proxyAdmin(logDir, w);
      if (admin) out(`   ${nodeIdOf(w).padEnd(16)} proxy admin http://${admin}/stats/prometheus   trellis config-dump --admin ${admin}`);
    }
    out(`Logs: ${logDir}. Ctrl-C stops everything.`);
    await untilStopped();
  } finally {
    await stop();
  }
}
