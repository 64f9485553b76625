import * as grpc from '@grpc/grpc-js';
import {
  AdsServer, Snapshot, SnapshotCache, TypeUrl, apiListener, clusterLoadAssignment, edsCluster, weightedRoute, type StreamStatusView,
} from '@trellis/xds';
import { untilStopped } from '../output';

/**
 * `trellis proxyless-demo`: our ADS server with sample resources, two real gRPC
 * backends, and an independent xDS client (@grpc/grpc-js-xds) that resolves
 * `xds:///greeter` through what we push — proxyless gRPC following our xDS.
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

  const stop = () => {
    client.close();
    for (const b of backends) b.server.forceShutdown();
    server.forceShutdown();
  };
  if (once) return stop();
  log(`\nStill running: ADS at 127.0.0.1:${boundPort}, backends at ${backends.map((b) => `127.0.0.1:${b.port}`).join(', ')}. Ctrl-C to stop.`);
  await untilStopped();
  stop();
}
