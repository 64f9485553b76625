import { TypeUrl, type DeltaDiscoveryRequest, type DeltaDiscoveryResponse } from '../src';
import { RawStream, NODE, endpoints, meshSnapshot, startServer, type RunningServer } from './fixtures';

type Delta = RawStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse>;
let running: RunningServer;
const streams: Delta[] = [];

beforeEach(async () => {
  running = await startServer();
});
afterEach(async () => {
  streams.splice(0).forEach((s) => s.close());
  await running.stop();
});

function open(): Delta {
  const stream = new RawStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse>(running.address, 'DeltaAggregatedResources');
  streams.push(stream);
  return stream;
}
const sent = (r: DeltaDiscoveryResponse) => r.resources.map((x) => x.name).sort();

/** A stream subscribed to every resource of the four mesh types of `services`, each first response ACKed. */
async function subscribedToMesh(services: Record<string, number[]>): Promise<Delta> {
  running.cache.setSnapshot(NODE.id, meshSnapshot(services));
  const s = open();
  for (const type of [TypeUrl.Listener, TypeUrl.RouteConfiguration, TypeUrl.Cluster, TypeUrl.ClusterLoadAssignment]) {
    s.send({ node: NODE, type_url: type, resource_names_subscribe: ['*'] });
    s.send({ type_url: type, response_nonce: (await s.next()).nonce });
  }
  await s.quiet(50);
  return s;
}

describe('delta ADS server', () => {
  test('wildcard (legacy: no names) gets all; an ACK gets nothing more; a change sends only the changed resource', async () => {
    running.cache.setSnapshot(NODE.id, meshSnapshot({ a: [1], b: [2] }));
    const s = open();
    s.send({ node: NODE, type_url: TypeUrl.ClusterLoadAssignment, resource_names_subscribe: ['*'] });
    const first = await s.next();
    expect(sent(first)).toEqual(['a', 'b']);
    s.send({ type_url: TypeUrl.ClusterLoadAssignment, response_nonce: first.nonce });
    expect(await s.quiet()).toBe(true);
    const snapshot = running.cache.getSnapshot(NODE.id)!;
    running.cache.setSnapshot(NODE.id, snapshot.withType(TypeUrl.ClusterLoadAssignment, [endpoints('a', [1]), endpoints('b', [2, 3])]));
    const second = await s.next();
    expect(sent(second)).toEqual(['b']);
    expect(second.removed_resources).toEqual([]);
  });

  test('named subscribe / unsubscribe; a name that does not exist yet is sent when it appears', async () => {
    running.cache.setSnapshot(NODE.id, meshSnapshot({ a: [1], b: [2] }));
    const s = open();
    s.send({ node: NODE, type_url: TypeUrl.ClusterLoadAssignment, resource_names_subscribe: ['a', 'c'] });
    const first = await s.next();
    expect(sent(first)).toEqual(['a']);
    s.send({ type_url: TypeUrl.ClusterLoadAssignment, response_nonce: first.nonce, resource_names_subscribe: ['b'], resource_names_unsubscribe: ['a'] });
    const second = await s.next();
    expect(sent(second)).toEqual(['b']);
    s.send({ type_url: TypeUrl.ClusterLoadAssignment, response_nonce: second.nonce });
    running.cache.setSnapshot(NODE.id, meshSnapshot({ a: [1, 5], b: [2], c: [3] }));
    const third = await s.next();
    expect(sent(third)).toEqual(['c']); // a changed, but is no longer subscribed
  });

  test('removal of a resource is sent as removed_resources', async () => {
    running.cache.setSnapshot(NODE.id, meshSnapshot({ a: [1], b: [2] }));
    const s = open();
    s.send({ node: NODE, type_url: TypeUrl.Cluster });
    const first = await s.next();
    expect(sent(first)).toEqual(['a', 'b']);
    s.send({ type_url: TypeUrl.Cluster, response_nonce: first.nonce });
    running.cache.setSnapshot(NODE.id, meshSnapshot({ a: [1] }));
    const second = await s.next();
    expect(second.resources).toEqual([]);
    expect(second.removed_resources).toEqual(['b']);
  });

  test('NACK keeps the rejected resource version from being resent; a new version is', async () => {
    running.cache.setSnapshot(NODE.id, meshSnapshot({ a: [1] }));
    const s = open();
    s.send({ node: NODE, type_url: TypeUrl.ClusterLoadAssignment, resource_names_subscribe: ['a'] });
    const first = await s.next();
    s.send({ type_url: TypeUrl.ClusterLoadAssignment, response_nonce: first.nonce, error_detail: { code: 3, message: 'ClusterLoadAssignment "a": bad' } });
    expect(await s.quiet()).toBe(true);
    const status = running.ads.streamStatuses()[0]!.types[0]!;
    expect(status.lastNack?.message).toBe('ClusterLoadAssignment "a": bad');
    running.cache.setSnapshot(NODE.id, meshSnapshot({ a: [1, 2] }));
    const fixed = await s.next();
    expect(sent(fixed)).toEqual(['a']);
  });

  test('a reconnecting client declares what it holds and is sent only the difference', async () => {
    running.cache.setSnapshot(NODE.id, meshSnapshot({ a: [1], b: [2] }));
    const s = open();
    s.send({ node: NODE, type_url: TypeUrl.ClusterLoadAssignment, resource_names_subscribe: ['a', 'b'] });
    const first = await s.next();
    const held = Object.fromEntries(first.resources.map((r) => [r.name, r.version]));
    s.close();
    running.cache.setSnapshot(NODE.id, meshSnapshot({ a: [1], b: [2, 4] }));
    const again = open();
    again.send({ node: NODE, type_url: TypeUrl.ClusterLoadAssignment, resource_names_subscribe: ['a', 'b'], initial_resource_versions: held });
    const resumed = await again.next();
    expect(sent(resumed)).toEqual(['b']);
  });
});

test('one change across types is pushed clusters → endpoints → listeners → routes; removal-only responses go last, in reverse', async () => {
  const s = await subscribedToMesh({ a: [1], b: [2] });
  const summary = (r: DeltaDiscoveryResponse) => `${r.type_url.split('.').pop()}:+${r.resources.length}-${r.removed_resources.length}`;
  const take = async (n: number) => {
    const out: DeltaDiscoveryResponse[] = [];
    for (let i = 0; i < n; i++) {
      const r = await s.next();
      out.push(r);
      s.send({ type_url: r.type_url, response_nonce: r.nonce });
    }
    return out.map(summary);
  };
  running.cache.setSnapshot(NODE.id, meshSnapshot({ a: [1], b: [2], c: [3] }));
  expect(await take(4)).toEqual(['Cluster:+1-0', 'ClusterLoadAssignment:+1-0', 'Listener:+1-0', 'RouteConfiguration:+1-0']);
  await s.quiet(50); // let the last ACK land: a type with a response in flight waits for its answer
  running.cache.setSnapshot(NODE.id, meshSnapshot({ a: [1] }));
  expect(await take(4)).toEqual(['RouteConfiguration:+0-2', 'Listener:+0-2', 'ClusterLoadAssignment:+0-2', 'Cluster:+0-2']);
});

test('a change that adds and removes sends every type\'s additions first, then the removals in reverse (make-before-break)', async () => {
  const s = await subscribedToMesh({ a: [1], b: [2] });
  running.cache.setSnapshot(NODE.id, meshSnapshot({ a: [1], c: [3] }));
  // Sent back to back, before any ACK: one type may have its additions and its removals in flight together.
  const pushed: DeltaDiscoveryResponse[] = [];
  for (let i = 0; i < 8; i++) pushed.push(await s.next());
  expect(pushed.map((r) => `${r.type_url.split('.').pop()}:+${r.resources.map((x) => x.name)}-${r.removed_resources}`)).toEqual([
    'Cluster:+c-', 'ClusterLoadAssignment:+c-', 'Listener:+c-', 'RouteConfiguration:+c-route-',
    'RouteConfiguration:+-b-route', 'Listener:+-b', 'ClusterLoadAssignment:+-b', 'Cluster:+-b',
  ]);
  // Each is answered by its own nonce, and then nothing is left to send.
  for (const r of pushed) s.send({ type_url: r.type_url, response_nonce: r.nonce });
  expect(await s.quiet()).toBe(true);
});
