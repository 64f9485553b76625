import * as grpc from '@grpc/grpc-js';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { CONTROL_PLANE_IDENTITY, ControlPlane, spiffeId } from '@trellis/control-plane';
import { GrpcAgent } from '@trellis/sidecar';
import {
  AdsServer, Snapshot, SnapshotCache, TypeUrl, apiListener, clusterLoadAssignment, edsCluster, weightedRoute, type StreamStatusView,
} from '@trellis/xds';
import { untilStopped } from '../output';

/**
 * `trellis proxyless-demo`: our ADS server with sample resources, two real gRPC
 * backends, and an independent xDS client (@grpc/grpc-js-xds) that resolves
 * `xds:///greeter` through what we push — proxyless gRPC following our xDS. Then the
 * same library in the mesh: a grpc-js-xds client and server, each beside a grpc agent,
 * talking mTLS with mesh identities, the server enforcing an AuthorizationPolicy.
 */

const SERVICE = 'greeter';
const CLIENT_NODE = 'demo-client';
const WHO_PATH = '/trellis.demo.Greeter/Who';
const raw = { serialize: (b: Buffer) => b, deserialize: (b: Buffer) => b };

interface Backend { name: string; port: number; server: grpc.Server }

function listen(server: grpc.Server, address: string): Promise<number> {
  return new Promise((resolve, reject) =>
    server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (error, port) => (error ? reject(error) : resolve(port))),
  );
}

async function startBackend(name: string): Promise<Backend> {
  const server = new grpc.Server();
  server.addService(
    { Who: { path: WHO_PATH, requestStream: false, responseStream: false, requestSerialize: raw.serialize, requestDeserialize: raw.deserialize, responseSerialize: raw.serialize, responseDeserialize: raw.deserialize } },
    { Who: (_call: unknown, done: grpc.sendUnaryData<Buffer>) => done(null, Buffer.from(name)) },
  );
  return { name, server, port: await listen(server, '127.0.0.1:0') };
}

function meshSnapshot(backends: Backend[], weights: Record<string, number>, clusterOverrides: Record<string, object> = {}): Snapshot {
  return Snapshot.create({
    [TypeUrl.Listener]: { resources: [apiListener(SERVICE, `${SERVICE}-route`)] },
    [TypeUrl.RouteConfiguration]: { resources: [weightedRoute(`${SERVICE}-route`, SERVICE, weights)] },
    [TypeUrl.Cluster]: { resources: backends.map((b) => edsCluster(b.name, clusterOverrides[b.name])) },
    [TypeUrl.ClusterLoadAssignment]: { resources: backends.map((b) => clusterLoadAssignment(b.name, [{ host: '127.0.0.1', port: b.port }])) },
  });
}

function ask(client: grpc.Client): Promise<string> {
  return new Promise((resolve, reject) =>
    client.makeUnaryRequest(WHO_PATH, raw.serialize, raw.deserialize, Buffer.alloc(0), { deadline: Date.now() + 5000 }, (e, r) => (e ? reject(e) : resolve(r!.toString()))),
  );
}

async function tally(client: grpc.Client, calls: number): Promise<string> {
  const seen = new Map<string, number>();
  for (let i = 0; i < calls; i++) {
    const who = await ask(client);
    seen.set(who, (seen.get(who) ?? 0) + 1);
  }
  return [...seen].sort().map(([who, n]) => `${who} ×${n}`).join(', ');
}

async function waitFor<T>(probe: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting for the xDS client');
    await new Promise((r) => setTimeout(r, 50));
  }
}

function statusTable(streams: StreamStatusView[]): string {
  const rows = streams.flatMap((s) => s.types.map((t) => {
    const state = t.lastNack && t.lastNack.version === t.lastSentVersion ? `NACKED: ${t.lastNack.message}` : t.lastAckedVersion === t.lastSentVersion ? 'SYNCED' : 'STALE';
    return `  ${s.node.id.padEnd(14)} ${s.protocol.padEnd(6)} ${t.type.padEnd(4)} ${String(t.lastSentVersion ?? '-').padEnd(18)} ${state}`;
  }));
  return ['  NODE           STREAM TYPE VERSION            STATE', ...rows].join('\n');
}

const MESH_GREETER = { address: '127.0.3.11', port: 22201 };
const PROXYLESS_APP = path.join(__dirname, 'proxyless-app.js');
const MESH_CONFIG = `apiVersion: v1
kind: Service
metadata: { name: greeter, namespace: shop }
spec: { selector: { app: greeter }, ports: [{ name: grpc, port: ${MESH_GREETER.port} }] }
---
apiVersion: networking.trellis.dev/v1alpha1
kind: WorkloadEntry
metadata: { name: greeter-1, namespace: shop }
spec: { address: ${MESH_GREETER.address}, serviceAccount: greeter, labels: { app: greeter }, ports: { grpc: ${MESH_GREETER.port} } }
---
apiVersion: networking.trellis.dev/v1alpha1
kind: WorkloadEntry
metadata: { name: frontend-1, namespace: shop }
spec: { address: 127.0.3.12, serviceAccount: frontend, labels: { app: frontend } }
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: greeter-callers, namespace: shop }
spec:
  selector: { matchLabels: { app: greeter } }
  action: ALLOW
  rules: [{ from: [{ source: { principals: [cluster.local/ns/shop/sa/frontend] } }], to: [{ operation: { paths: [/trellis.demo.Greeter/Who] } }] }]
`;

/** A proxyless app process with its agent's bootstrap; its output lines, as they come. */
function startApp(agent: GrpcAgent, args: string[]): { child: ChildProcess; lines: AsyncIterableIterator<string> } {
  const child = spawn(process.execPath, [PROXYLESS_APP, ...args], {
    env: { ...process.env, GRPC_XDS_BOOTSTRAP: agent.bootstrapFile, GRPC_XDS_EXPERIMENTAL_RBAC: 'true' },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  return { child, lines: readline.createInterface({ input: child.stdout! })[Symbol.asyncIterator]() };
}

async function meshSteps(log: (line: string) => void): Promise<() => Promise<void>> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-proxyless-'));
  fs.mkdirSync(path.join(dir, 'config'));
  fs.writeFileSync(path.join(dir, 'config', 'mesh.yaml'), MESH_CONFIG);
  const cp = new ControlPlane({ configDir: path.join(dir, 'config'), stateDir: path.join(dir, 'state'), xdsAddress: '127.0.0.1:0', caAddress: '127.0.0.1:0', adminAddress: '127.0.0.1:0' });
  await cp.start();
  const agentFor = (name: string, serviceAccount: string) => new GrpcAgent({
    nodeId: `${name}.shop`, identity: { trustDomain: cp.trustDomain, namespace: 'shop', serviceAccount },
    xdsAddress: cp.addresses.xds, caAddress: cp.addresses.ca, tokenFile: cp.tokenFile({ name, namespace: 'shop' }),
    controlPlaneRootsPem: [cp.trustBundlePem()], controlPlaneId: spiffeId(cp.trustDomain, CONTROL_PLANE_IDENTITY.namespace, CONTROL_PLANE_IDENTITY.serviceAccount),
    dir: path.join(dir, name), relayHost: '127.0.3.10',
  });
  const agents = [agentFor('greeter-1', 'greeter'), agentFor('frontend-1', 'frontend')];
  await Promise.all(agents.map((a) => a.start()));
  const [greeterAgent, frontendAgent] = agents as [GrpcAgent, GrpcAgent];
  log('\n4. In the mesh: a control plane, and beside each proxyless app a grpc agent (SVID by CSR as');
  log(`   certificate files, a gRPC bootstrap, an ADS relay over mTLS): ${agents.map((a) => `${a.relayAddress}`).join(', ')}`);
  const server = startApp(greeterAgent, ['serve', 'greeter-1', `${MESH_GREETER.address}:${MESH_GREETER.port}`]);
  log(`   grpc-js-xds server greeter-1: ${(await server.lines.next()).value} (mTLS STRICT, RBAC from AuthorizationPolicy shop/greeter-callers)`);
  const target = `xds:///greeter.shop.svc.cluster.local:${MESH_GREETER.port}`;
  const client = startApp(frontendAgent, ['call', target, '/trellis.demo.Greeter/Who', '/trellis.demo.Greeter/Admin']);
  log(`   grpc-js-xds client frontend-1 → ${target}:`);
  for await (const line of client.lines) log(`     ${line}`);
  return async () => {
    server.child.kill('SIGTERM');
    for (const a of agents) a.stop();
    await cp.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  };
}

export interface DemoOptions {
  port: number;
  /** Exit after the scripted steps instead of staying up. */
  once: boolean;
  log: (line: string) => void;
}

export async function runXdsDemo({ port, once, log }: DemoOptions): Promise<void> {
  log('Trellis proxyless demo: an independent xDS client, @grpc/grpc-js-xds, follows the');
  log('configuration our ADS server pushes, with no proxy in between.\n');

  const cache = new SnapshotCache();
  const ads = new AdsServer(cache, { controlPlaneId: 'trellis-demo' });
  const server = new grpc.Server();
  ads.addTo(server);
  const boundPort = await listen(server, `127.0.0.1:${port}`);
  const backends = [await startBackend('greeter-v1'), await startBackend('greeter-v2')];
  log(`● ADS server (SotW + delta) listening on 127.0.0.1:${boundPort}`);
  for (const b of backends) log(`● backend ${b.name} on 127.0.0.1:${b.port}`);

  cache.setSnapshot(CLIENT_NODE, meshSnapshot(backends, { 'greeter-v1': 1 }));
  process.env.GRPC_XDS_BOOTSTRAP_CONFIG = JSON.stringify({
    xds_servers: [{ server_uri: `127.0.0.1:${boundPort}`, channel_creds: [{ type: 'insecure' }], server_features: ['xds_v3'] }],
    node: { id: CLIENT_NODE, locality: { region: 'local', zone: 'a' } },
  });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('@grpc/grpc-js-xds').register();
  const client = new grpc.Client(`xds:///${SERVICE}`, grpc.credentials.createInsecure());

  log(`\n1. pushed LDS/RDS/CDS/EDS: "${SERVICE}" → 100% greeter-v1`);
  log(`   10 calls to xds:///${SERVICE}: ${await tally(client, 10)}`);

  cache.setSnapshot(CLIENT_NODE, meshSnapshot(backends, { 'greeter-v1': 1, 'greeter-v2': 1 }));
  await waitFor(() => (ads.streamStatuses()[0]?.types.every((t) => t.lastAckedVersion === t.lastSentVersion) ? true : undefined));
  log('\n2. pushed a route change: 50% greeter-v1 / 50% greeter-v2 (only RDS changed)');
  log(`   40 calls: ${await tally(client, 40)}`);

  cache.setSnapshot(CLIENT_NODE, meshSnapshot(backends, { 'greeter-v1': 1, 'greeter-v2': 1 }, { 'greeter-v2': { lb_policy: 'MAGLEV' } }));
  const nack = await waitFor(() => ads.streamStatuses()[0]?.types.find((t) => t.typeUrl === TypeUrl.Cluster)?.lastNack);
  log('\n3. pushed a cluster the client cannot use (lb_policy MAGLEV); it answered with a NACK:');
  log(`   "${nack.message}"`);
  log(`   and keeps serving its last good config — 10 calls: ${await tally(client, 10)}`);

  log('\nproxy-status:');
  log(statusTable(ads.streamStatuses()));

  const stopMesh = await meshSteps(log);
  const stop = async () => {
    client.close();
    for (const b of backends) b.server.forceShutdown();
    server.forceShutdown();
    await stopMesh();
  };
  if (once) return stop();
  log(`\nStill running: ADS at 127.0.0.1:${boundPort}, backends at ${backends.map((b) => `127.0.0.1:${b.port}`).join(', ')}. Ctrl-C to stop.`);
  await untilStopped();
  await stop();
}
