/**
 * Interop with an independent xDS client: @grpc/grpc-js-xds, pointed at our ADS
 * server by its bootstrap, resolves `xds:///echo` and makes real gRPC calls to
 * real backends chosen by the endpoints we push.
 */
import * as grpc from '@grpc/grpc-js';
import { Snapshot, TypeUrl } from '../src';
import { apiListener, edsCluster, endpoints, route, startServer, type RunningServer } from './fixtures';

const NODE_ID = 'proxyless-client';
const ECHO_PATH = '/trellis.test.Echo/Who';
const raw = { serialize: (b: Buffer) => b, deserialize: (b: Buffer) => b };

let running: RunningServer;
const backends: { name: string; server: grpc.Server; port: number }[] = [];
let client: grpc.Client;

async function startBackend(name: string): Promise<{ name: string; server: grpc.Server; port: number }> {
  const server = new grpc.Server();
  server.addService(
    { Who: { path: ECHO_PATH, requestStream: false, responseStream: false, requestSerialize: raw.serialize, requestDeserialize: raw.deserialize, responseSerialize: raw.serialize, responseDeserialize: raw.deserialize } },
    { Who: (_call: unknown, callback: grpc.sendUnaryData<Buffer>) => callback(null, Buffer.from(name)) },
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  return { name, server, port };
}

function snapshot(weights: Record<string, number>, clusterOverrides: Record<string, object> = {}): Snapshot {
  return Snapshot.create({
    [TypeUrl.Listener]: { resources: [apiListener('echo', 'echo-route')] },
    [TypeUrl.RouteConfiguration]: { resources: [route('echo-route', 'echo', weights)] },
    [TypeUrl.Cluster]: { resources: backends.map((b) => edsCluster(b.name, clusterOverrides[b.name])) },
    [TypeUrl.ClusterLoadAssignment]: { resources: backends.map((b) => endpoints(b.name, [b.port])) },
  });
}

function call(): Promise<string> {
  return new Promise((resolve, reject) =>
    client.makeUnaryRequest(ECHO_PATH, raw.serialize, raw.deserialize, Buffer.alloc(0), { deadline: Date.now() + 5000 }, (e, r) => (e ? reject(e) : resolve(r!.toString()))),
  );
}

async function distribution(n: number): Promise<Record<string, number>> {
  const seen: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const who = await call();
    seen[who] = (seen[who] ?? 0) + 1;
  }
  return seen;
}

async function until<T>(probe: () => Promise<T>, ok: (t: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (ok(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  running = await startServer();
  backends.push(await startBackend('backend-a'), await startBackend('backend-b'));
  running.cache.setSnapshot(NODE_ID, snapshot({ 'backend-a': 1 }));
  process.env.GRPC_XDS_BOOTSTRAP_CONFIG = JSON.stringify({
    xds_servers: [{ server_uri: running.address, channel_creds: [{ type: 'insecure' }], server_features: ['xds_v3'] }],
    node: { id: NODE_ID, locality: { region: 'local', zone: 'a' } },
  });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('@grpc/grpc-js-xds').register();
  client = new grpc.Client('xds:///echo', grpc.credentials.createInsecure());
});

afterAll(async () => {
  client?.close();
  for (const b of backends) b.server.forceShutdown();
  await running.stop();
});

test('grpc-js-xds resolves xds:///echo through our LDS → RDS → CDS → EDS and calls the backend we chose', async () => {
  expect(await distribution(5)).toEqual({ 'backend-a': 5 });
  const status = running.ads.streamStatuses()[0]!;
  expect(status.node.id).toBe(NODE_ID);
  for (const type of status.types) expect(type.lastAckedVersion).toBe(type.lastSentVersion);
});

test('a route weight change we push moves its traffic', async () => {
  running.cache.setSnapshot(NODE_ID, snapshot({ 'backend-b': 1 }));
  expect(await until(() => distribution(5), (d) => d['backend-b'] === 5)).toEqual({ 'backend-b': 5 });
  running.cache.setSnapshot(NODE_ID, snapshot({ 'backend-a': 1, 'backend-b': 1 }));
  const split = await until(() => distribution(40), (d) => (d['backend-a'] ?? 0) > 5 && (d['backend-b'] ?? 0) > 5);
  expect(split['backend-a']).toBeGreaterThan(5);
  expect(split['backend-b']).toBeGreaterThan(5);
});

test('a resource it must reject comes back as a NACK that our server records, and traffic keeps flowing', async () => {
  running.cache.setSnapshot(NODE_ID, snapshot({ 'backend-a': 1 }, { 'backend-b': { lb_policy: 'MAGLEV' } }));
  const nack = await until(
    async () => running.ads.streamStatuses()[0]!.types.find((t) => t.typeUrl === TypeUrl.Cluster)!.lastNack,
    (n) => n !== undefined,
  );
  expect(nack?.message).toMatch(/unsupported lb_policy: MAGLEV/);
  expect(await until(() => distribution(5), (d) => d['backend-a'] === 5)).toEqual({ 'backend-a': 5 });
});
