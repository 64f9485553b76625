import * as grpc from '@grpc/grpc-js';
import { once } from 'node:events';
import { AdsClient, ENVOY_RESOURCE_TYPES, SnapshotCache, TypeUrl, type ClusterLoadAssignment, type ResourceUpdate } from '../src';
import { edsCluster, endpoints, meshSnapshot, startServer, type RunningServer } from './fixtures';

const NODE_ID = 'proxy-1';
let running: RunningServer;
let client: AdsClient | undefined;

afterEach(async () => {
  client?.close();
  client = undefined;
  await running?.stop();
});

function newClient(protocol: 'sotw' | 'delta', address = running.address): AdsClient {
  client = new AdsClient({
    target: address,
    credentials: grpc.credentials.createInsecure(),
    node: { id: NODE_ID, cluster: 'demo', metadata: { namespace: 'default' } },
    protocol,
    types: ENVOY_RESOURCE_TYPES,
    backoff: { initialMs: 50, maxMs: 200 },
  });
  return client;
}

async function nextUpdate(c: AdsClient, typeUrl: string): Promise<ResourceUpdate> {
  for (;;) {
    const [update] = (await once(c, 'update')) as [ResourceUpdate];
    if (update.typeUrl === typeUrl) return update;
  }
}

function portsOf(c: AdsClient, name: string): number[] {
  const cla = c.resources<ClusterLoadAssignment>(TypeUrl.ClusterLoadAssignment).get(name)!;
  return cla.endpoints.flatMap((l) => l.lb_endpoints.map((e) => e.endpoint!.address!.socket_address!.port_value));
}

describe.each(['sotw', 'delta'] as const)('AdsClient (%s)', (protocol) => {
  test('receives, validates and ACKs; the server sees it synced', async () => {
    running = await startServer();
    running.cache.setSnapshot(NODE_ID, meshSnapshot({ a: [1] }));
    const c = newClient(protocol);
    c.subscribe(TypeUrl.Cluster, '*');
    c.subscribe(TypeUrl.ClusterLoadAssignment, ['a']);
    c.start();
    await nextUpdate(c, TypeUrl.ClusterLoadAssignment);
    expect(portsOf(c, 'a')).toEqual([1]);
    await new Promise((r) => setTimeout(r, 50));
    const eds = running.ads.streamStatuses()[0]!.types.find((t) => t.typeUrl === TypeUrl.ClusterLoadAssignment)!;
    expect(eds.lastAckedVersion).toBe(eds.lastSentVersion);
    expect(running.ads.streamStatuses()[0]!.node.metadata).toEqual({ namespace: 'default' });
  });

  test('an invalid resource is NACKed with a precise error and the last good config is kept', async () => {
    running = await startServer();
    running.cache.setSnapshot(NODE_ID, meshSnapshot({ a: [1] }));
    const c = newClient(protocol);
    c.subscribe(TypeUrl.ClusterLoadAssignment, ['a']);
    c.start();
    await nextUpdate(c, TypeUrl.ClusterLoadAssignment);
    const snapshot = running.cache.getSnapshot(NODE_ID)!;
    running.cache.setSnapshot(NODE_ID, snapshot.withType(TypeUrl.ClusterLoadAssignment, [endpoints('a', [0])]));
    const [nack] = await once(c, 'nack');
    expect(nack.message).toBe('ClusterLoadAssignment "a": endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value: must be 1-65535');
    expect(portsOf(c, 'a')).toEqual([1]);
    await new Promise((r) => setTimeout(r, 50));
    const eds = running.ads.streamStatuses()[0]!.types.find((t) => t.typeUrl === TypeUrl.ClusterLoadAssignment)!;
    expect(eds.lastNack?.message).toBe(nack.message);
    running.cache.setSnapshot(NODE_ID, snapshot.withType(TypeUrl.ClusterLoadAssignment, [endpoints('a', [2])]));
    await nextUpdate(c, TypeUrl.ClusterLoadAssignment);
    expect(portsOf(c, 'a')).toEqual([2]);
  });

  test('a removed cluster is reported as removed', async () => {
    running = await startServer();
    running.cache.setSnapshot(NODE_ID, meshSnapshot({ a: [1], b: [2] }));
    const c = newClient(protocol);
    c.subscribe(TypeUrl.Cluster, '*');
    c.start();
    const first = await nextUpdate(c, TypeUrl.Cluster);
    expect([...first.resources.keys()].sort()).toEqual(['a', 'b']);
    running.cache.setSnapshot(NODE_ID, meshSnapshot({ a: [1] }));
    const second = await nextUpdate(c, TypeUrl.Cluster);
    expect(second.removed).toEqual(['b']);
    expect([...second.resources.keys()]).toEqual(['a']);
  });

  test('reconnects with backoff after the server goes away and resumes with what it holds', async () => {
    running = await startServer();
    const port = running.port;
    running.cache.setSnapshot(NODE_ID, meshSnapshot({ a: [1] }));
    const c = newClient(protocol);
    c.subscribe(TypeUrl.ClusterLoadAssignment, ['a']);
    c.start();
    await nextUpdate(c, TypeUrl.ClusterLoadAssignment);
    const disconnected = once(c, 'disconnected');
    await running.stop();
    await disconnected;
    const cache = new SnapshotCache();
    cache.setSnapshot(NODE_ID, meshSnapshot({ a: [1, 3] }));
    running = await startServer(cache, port);
    await nextUpdate(c, TypeUrl.ClusterLoadAssignment);
    expect(portsOf(c, 'a')).toEqual([1, 3]);
    expect(c.resources(TypeUrl.ClusterLoadAssignment).size).toBe(1);
  });
});

test('SotW: a response mixing valid and invalid clusters is rejected whole, naming the bad field', async () => {
  running = await startServer(new SnapshotCache({ requireConsistent: false }));
  const snapshot = meshSnapshot({ a: [1] });
  running.cache.setSnapshot(NODE_ID, snapshot.withType(TypeUrl.Cluster, [edsCluster('a'), { name: 'bad', message: { name: 'bad', type: 'STATIC', lb_policy: 'ROUND_ROBIN' } }]));
  const c = newClient('sotw');
  c.subscribe(TypeUrl.Cluster, '*');
  c.start();
  const [nack] = await once(c, 'nack');
  expect(nack.message).toBe('Cluster "bad": load_assignment: a STATIC cluster needs its endpoints inline');
  expect(c.resources(TypeUrl.Cluster).size).toBe(0);
});
