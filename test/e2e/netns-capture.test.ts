/**
 * Transparent capture for real: three "pods" — network namespaces on a bridge — each with an
 * unmodified app (a plain user) and our proxy (UID 1337) after `trellis capture-init`. The apps
 * dial plain IP:port; iptables hands every connection to the proxies, which match it on its
 * original destination, originate and terminate mTLS, authorize and run the WAF. tshark on the
 * bridge checks that only TLS crosses between pods. A destination outside the mesh (in the root
 * namespace) is refused under REGISTRY_ONLY; switched to ALLOW_ANY, the same running mesh passes it
 * through to where the app was going, in plain TCP and as sent.
 *
 *   root namespace: the control plane, in-process, on 10.231.0.1 (veth trellis-t-root)
 *   trellis-t-hub:  the bridge br0 joining the root veth and every pod's veth
 *   trellis-t-a:    10.231.0.11, the client app (service account "client")
 *   trellis-t-b:    10.231.0.12, the web app on :18080 (service "web", cluster IP 10.231.0.200)
 *   trellis-t-c:    10.231.0.13, a TCP echo app on :19000 (service "db")
 *
 * Needs root, iproute2 and iptables (else it is skipped, saying why) and tshark (else its test fails).
 */
import { execFile, execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { ControlPlane, type ProxyBootstrap } from '@trellis/control-plane';
import { until } from './mesh-harness';
import { buildNetwork, inNetns, netnsOf, removeNetwork } from './netns-pods';

const CLI = path.resolve(__dirname, '../../packages/cli/dist/main.js');
const APPS = path.resolve(__dirname, 'netns-capture-apps.js');
const PREFIX = 'trellis-t-';
const HUB = netnsOf(PREFIX, 'hub');
const ROOT_LINK = `${PREFIX}root`;
const HOST_IP = '10.231.0.1';
const CLUSTER_IP = '10.231.0.200';
const PROXY_UID = 1337;
const APP_UID = 1000;
const MARKER = `marker-${randomBytes(6).toString('hex')}`;

interface Pod { name: string; ip: string; serviceAccount: string; ports: string; app: string[] }
const PODS: Pod[] = [
  { name: 'a', ip: '10.231.0.11', serviceAccount: 'client', ports: '{}', app: [] },
  { name: 'b', ip: '10.231.0.12', serviceAccount: 'web', ports: '{ http: 18080 }', app: ['http', 'web', '18080'] },
  { name: 'c', ip: '10.231.0.13', serviceAccount: 'db', ports: '{ tcp-echo: 19000 }', app: ['echo', '19000'] },
];
const netns = (pod: Pod) => netnsOf(PREFIX, pod.name);
const NETWORK = { prefix: PREFIX, rootLink: ROOT_LINK, hostIp: HOST_IP, pods: PODS };
const [A, B, C] = PODS as [Pod, Pod, Pod];

const MESH = [
  `apiVersion: v1\nkind: Service\nmetadata: { name: web, namespace: shop }\nspec: { clusterIP: ${CLUSTER_IP}, selector: { app: web }, ports: [{ name: http, port: 18080 }] }\n`,
  'apiVersion: v1\nkind: Service\nmetadata: { name: db, namespace: shop }\nspec: { selector: { app: db }, ports: [{ name: tcp-echo, port: 19000 }] }\n',
  ...PODS.map((p) => `apiVersion: networking.trellis.dev/v1alpha1
kind: WorkloadEntry
metadata: { name: ${p.name}, namespace: shop, annotations: { sidecar.trellis.dev/capture: "true" } }
spec: { address: ${p.ip}, serviceAccount: ${p.serviceAccount}, labels: { app: ${p.serviceAccount} }, ports: ${p.ports} }
`),
  'apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: { name: web-no-admin, namespace: shop }\nspec: { selector: { matchLabels: { app: web } }, action: DENY, rules: [{ to: [{ operation: { paths: ["/admin*"] } }] }] }\n',
  'apiVersion: security.trellis.dev/v1alpha1\nkind: WafPolicy\nmetadata: { name: web-waf, namespace: shop }\nspec: { selector: { matchLabels: { app: web } }, mode: block, ruleSet: trellis-default }\n',
].join('---\n');

function run(command: string, args: string[]): string {
  return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

const runAsync = promisify(execFile);

const installed = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;

/** Why this machine cannot run the test, or undefined when it can. */
function unavailable(): string | undefined {
  if (process.platform !== 'linux') return `network namespaces need Linux, not ${process.platform}`;
  if (process.getuid?.() !== 0) return 'not root: network namespaces and iptables need root (CI runs as root)';
  for (const tool of ['ip', 'iptables-restore', 'iptables-save']) if (!installed(tool)) return `${tool} is not installed (apt-get install iproute2 iptables)`;
  const probe = `${PREFIX}probe`;
  try {
    spawnSync('ip', ['netns', 'del', probe]);
    run('ip', ['netns', 'add', probe]);
    run('ip', ['netns', 'exec', probe, 'iptables-save', '-t', 'nat']);
  } catch (e) {
    return `cannot make a network namespace with a nat table: ${(e as Error).message.split('\n')[0]}`;
  } finally {
    spawnSync('ip', ['netns', 'del', probe]);
  }
  return undefined;
}

function spawnIn(ns: string, uid: number | undefined, command: string[]): ChildProcess {
  return spawn('ip', inNetns(ns, uid, command), { stdio: ['ignore', 'pipe', 'pipe'] });
}

function outputOf(child: ChildProcess): { text: () => string; until: (pattern: RegExp, ms?: number) => Promise<void> } {
  let text = '';
  child.stdout?.on('data', (d) => (text += d));
  child.stderr?.on('data', (d) => (text += d));
  return {
    text: () => text,
    until: (pattern, ms = 15_000) => until(() => pattern.test(text) || child.exitCode !== null, ms).then(() => {
      if (!pattern.test(text)) throw new Error(`exited (${child.exitCode}) before ${pattern}: ${text}`);
    }),
  };
}

const stopped = (child: ChildProcess) => new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(undefined) : child.once('exit', resolve)));

interface Reply { status?: number; headers?: Record<string, string>; body?: string; data?: string; error?: string }

const reason = unavailable();
if (reason) console.log(`netns-capture: skipped — ${reason}`);
const describeIfPossible = reason ? describe.skip : describe;

describeIfPossible('transparent capture in network namespaces', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-netns-'));
  const children: ChildProcess[] = [];
  const logs = new Map<string, () => string>();
  let cp: ControlPlane | undefined;
  let replies: Reply[] = [];
  let passthroughReplies: Reply[] = [];
  /** What had reached the outside servers when the mesh switched to ALLOW_ANY. */
  let reachedWhileRegistryOnly = -1;
  // Outside the mesh but reachable from the pods: an HTTP server and a TCP one that record what reaches them.
  const outsideRequests: { url?: string; rawHeaders: string[] }[] = [];
  const outside = http.createServer((req, res) => {
    outsideRequests.push({ url: req.url, rawHeaders: req.rawHeaders });
    res.end('outside');
  });
  const outsideTcpReceived: Buffer[] = [];
  const outsideTcp = net.createServer((socket) => socket.on('data', (d: Buffer) => {
    outsideTcpReceived.push(d);
    socket.write(`echo:${d}`);
  }).on('error', () => socket.destroy()));
  const outsidePort = (server: net.Server) => (server.address() as net.AddressInfo).port;
  const pcap = path.join(dir, 'bridge.pcapng');

  /** One pod's own copy of what its proxy reads, owned by the proxy's user: the bootstrap, the root, its token. */
  function podBootstrap(pod: Pod): string {
    const bootstrap = JSON.parse(fs.readFileSync(cp!.bootstrapFile, 'utf8')) as ProxyBootstrap;
    const podDir = path.join(dir, `pod-${pod.name}`);
    fs.mkdirSync(podDir, { mode: 0o700 });
    const node = `${pod.name}.shop`;
    fs.copyFileSync(path.join(bootstrap.tokenDir, `${node}.token`), path.join(podDir, `${node}.token`));
    fs.copyFileSync(bootstrap.rootCertFile, path.join(podDir, 'root-cert.pem'));
    const file = path.join(podDir, 'bootstrap.json');
    fs.writeFileSync(file, JSON.stringify({ ...bootstrap, rootCertFile: path.join(podDir, 'root-cert.pem'), tokenDir: podDir }));
    for (const f of [podDir, ...fs.readdirSync(podDir).map((n) => path.join(podDir, n))]) fs.chownSync(f, PROXY_UID, PROXY_UID);
    return file;
  }

  beforeAll(async () => {
    removeNetwork(PREFIX, ROOT_LINK);
    buildNetwork(NETWORK);
    fs.chmodSync(dir, 0o755);
    fs.mkdirSync(path.join(dir, 'config'));
    fs.writeFileSync(path.join(dir, 'config', 'mesh.yaml'), MESH);
    cp = new ControlPlane({
      configDir: path.join(dir, 'config'), stateDir: path.join(dir, 'state'), xdsAddress: `${HOST_IP}:0`, caAddress: `${HOST_IP}:0`, adminAddress: '127.0.0.1:0',
      // Refused first; ALLOW_ANY (the default) is switched on after the first round of calls.
      outboundTrafficPolicy: 'REGISTRY_ONLY',
    });
    await cp.start();
    await Promise.all([outside, outsideTcp].map((server) => new Promise<void>((resolve) => server.listen(0, HOST_IP, resolve))));
    await Promise.all(PODS.map(async (pod) => {
      // As istio-init would: root, in the pod's namespace, before the pod's containers start.
      await runAsync('ip', ['netns', 'exec', netns(pod), process.execPath, CLI, 'capture-init', '--proxy-uid', String(PROXY_UID), '--exclude-inbound-ports', '22']);
      const proxy = spawnIn(netns(pod), PROXY_UID, [process.execPath, CLI, 'proxy', '--node', `${pod.name}.shop`, '--service-account', pod.serviceAccount, '--bootstrap', podBootstrap(pod), '--no-access-log']);
      children.push(proxy);
      logs.set(`proxy ${pod.name}`, outputOf(proxy).text);
      if (pod.app.length === 0) return;
      const app = spawnIn(netns(pod), APP_UID, [process.execPath, APPS, ...pod.app]);
      children.push(app);
      await outputOf(app).until(/listening/);
    }));
    const nodes = PODS.map((p) => `${p.name}.shop`);
    await until(() => {
      const status = cp!.proxyStatus();
      return nodes.every((n) => status.some((s) => s.node === n && s.types.length >= 5 && s.types.every((t) => t.state === 'SYNCED')));
    }, 20_000);

    // Pod-to-pod traffic only: the control plane's (xDS, CSR) is mTLS too, but not what is under test.
    const tshark = installed('tshark') ? spawnIn(HUB, undefined, ['tshark', '-i', 'br0', '-w', pcap, '-f', `tcp and not host ${HOST_IP}`]) : undefined;
    if (tshark) {
      children.push(tshark);
      await outputOf(tshark).until(/Capturing on/);
    }

    const calls = [
      { url: `http://${B.ip}:18080/hello?${MARKER}` },
      { url: `http://${CLUSTER_IP}:18080/via-cluster-ip` },
      { url: `http://${B.ip}:18080/admin/users` },
      { url: `http://${B.ip}:18080/search?id=1'%20OR%20'1'='1` },
      { tcp: { host: C.ip, port: 19000, payload: `tcp-${MARKER}` } },
      { url: `http://${HOST_IP}:${outsidePort(outside)}/not-in-the-mesh` },
      { tcp: { host: HOST_IP, port: outsidePort(outsideTcp), payload: `outside-${MARKER}` } },
    ];
    replies = await clientCalls(calls, 'calls.json');
    // The same mesh, now passing unknown destinations through: the client retries its first call
    // until its proxy has the new listener, then makes them all.
    reachedWhileRegistryOnly = outsideRequests.length + outsideTcpReceived.length;
    cp.setOutboundTrafficPolicy('ALLOW_ANY');
    passthroughReplies = await clientCalls([calls[5]!, calls[6]!, calls[0]!], 'passthrough-calls.json');
    if (tshark) {
      // Let the last segments reach the capture before it stops.
      await new Promise((r) => setTimeout(r, 300));
      tshark.kill('SIGINT');
      await stopped(tshark);
    }
  }, 45_000);

  /** Pod a's app makes `calls` (see netns-capture-apps.js) and returns their replies. */
  async function clientCalls(calls: object[], file: string): Promise<Reply[]> {
    const callsFile = path.join(dir, file);
    fs.writeFileSync(callsFile, JSON.stringify(calls), { mode: 0o644 });
    const client = spawnIn(netns(A), APP_UID, [process.execPath, APPS, 'client', callsFile]);
    children.push(client);
    const output = outputOf(client);
    await stopped(client);
    return JSON.parse(output.text().trim().split('\n').at(-1)!) as Reply[];
  }

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await Promise.all(children.map(stopped));
    await cp?.stop();
    outside.close();
    outsideTcp.close();
    removeNetwork(PREFIX, ROOT_LINK);
    fs.rmSync(dir, { recursive: true, force: true });
  }, 20_000);

  const explain = () => [...logs].map(([name, text]) => `--- ${name}\n${text().slice(-2000)}`).join('\n');

  it('an app calling another pod\'s IP:port is served, and the callee sees the caller\'s SPIFFE identity', () => {
    const [reply] = replies;
    expect({ reply, logs: reply?.status === 200 ? '' : explain() }).toMatchObject({ reply: { status: 200 } });
    const body = JSON.parse(reply!.body!) as { app: string; path: string; xfcc: string };
    expect(body.app).toBe('web');
    expect(body.path).toBe(`/hello?${MARKER}`);
    expect(body.xfcc).toContain('URI=spiffe://cluster.local/ns/shop/sa/client');
  });

  it('a service\'s cluster IP reaches its endpoints', () => {
    expect(replies[1]).toMatchObject({ status: 200 });
    expect(JSON.parse(replies[1]!.body!)).toMatchObject({ app: 'web', path: '/via-cluster-ip' });
  });

  it('an AuthorizationPolicy denies and the WAF blocks captured requests', () => {
    expect(replies[2]).toMatchObject({ status: 403, headers: { 'x-trellis-denied-by': expect.stringContaining('web-no-admin') } });
    expect(replies[3]).toMatchObject({ status: 403, headers: { 'x-trellis-waf-rule': expect.any(String) } });
  });

  it('raw TCP is captured and carried too', () => {
    expect(replies[4]).toEqual({ data: `echo:tcp-${MARKER}` });
  });

  it('REGISTRY_ONLY: a destination outside the mesh is refused by the proxy, though reachable', () => {
    expect(replies[5]?.error).toBeDefined();
    expect(replies[6]?.data ?? '').toBe('');
    expect(reachedWhileRegistryOnly).toBe(0);
  });

  it('ALLOW_ANY: the same destination is reached, in plain TCP and unmodified; mesh destinations keep mTLS', () => {
    expect({ reply: passthroughReplies[0], logs: passthroughReplies[0]?.status === 200 ? '' : explain() }).toMatchObject({ reply: { status: 200, body: 'outside' } });
    // Exactly what the app sent (Node's http.get: Host and Connection): no client certificate, no added header.
    expect(outsideRequests.at(-1)).toEqual({ url: '/not-in-the-mesh', rawHeaders: ['Host', `${HOST_IP}:${outsidePort(outside)}`, 'Connection', 'close'] });
    expect(passthroughReplies[1]).toEqual({ data: `echo:outside-${MARKER}` });
    // The bytes as sent (not a TLS ClientHello, which starts 0x16).
    expect(Buffer.concat(outsideTcpReceived).toString()).toBe(`outside-${MARKER}`);
    expect(passthroughReplies[2]).toMatchObject({ status: 200 });
    expect(JSON.parse(passthroughReplies[2]!.body!)).toMatchObject({ app: 'web', xfcc: expect.stringContaining('URI=spiffe://cluster.local/ns/shop/sa/client') });
  });

  it('only TLS crosses the bridge: no HTTP, no payload in the clear', () => {
    expect({ tshark: installed('tshark') ? 'installed' : 'not installed (apt-get install tshark)' }).toEqual({ tshark: 'installed' });
    const raw = fs.readFileSync(pcap);
    for (const clear of [MARKER, 'x-forwarded-client-cert', 'HTTP/1.1', 'echo:']) expect({ clear, seen: raw.includes(clear) }).toEqual({ clear, seen: false });
    const tshark = (filter: string, field: string) => run('tshark', ['-r', pcap, '-d', 'tcp.port==18080,tls', '-d', 'tcp.port==19000,tls', '-Y', filter, '-T', 'fields', '-e', field]).split('\n').filter(Boolean);
    // The mesh hops were there, as TLS with the outbound SNI, to the ports the apps dialled.
    const sni = tshark('tls.handshake.type == 1', 'tls.handshake.extensions_server_name');
    expect(sni).toEqual(expect.arrayContaining(['outbound_.18080_._.web.shop.svc.cluster.local', 'outbound_.19000_._.db.shop.svc.cluster.local']));
    expect(tshark('tls.app_data', 'frame.number').length).toBeGreaterThan(0);
    const asHttp = run('tshark', ['-r', pcap, '-d', 'tcp.port==18080,http', '-d', 'tcp.port==19000,http', '-Y', 'http.request || http.response', '-T', 'fields', '-e', 'frame.number']);
    expect(asHttp.trim()).toBe('');
  });
});
