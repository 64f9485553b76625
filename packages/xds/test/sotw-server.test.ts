import { TypeUrl, unpackAny, type DiscoveryRequest, type DiscoveryResponse } from '../src';
import { RawStream, NODE, endpoints, meshSnapshot, startServer, type RunningServer } from './fixtures';

type Sotw = RawStream<DiscoveryRequest, DiscoveryResponse>;
let running: RunningServer;
const streams: Sotw[] = [];

beforeEach(async () => {
  running = await startServer();
});
afterEach(async () => {
  streams.splice(0).forEach((s) => s.close());
  await running.stop();
});

function open(): Sotw {
  const stream = new RawStream<DiscoveryRequest, DiscoveryResponse>(running.address, 'StreamAggregatedResources');
  streams.push(stream);
  return stream;
}
/** The names of a response's resources (a cluster's, or the cluster an endpoint set is for). */
const names = (r: DiscoveryResponse) => r.resources.map((a) => {
  const m = unpackAny<{ name?: string; cluster_name?: string }>(a);
  return m.name || m.cluster_name;
});

describe('SotW ADS server', () => {
  test('wildcard CDS gets every cluster; ACK of the same version gets nothing more', async () => {
    running.cache.setSnapshot(NODE.id, meshSnapshot({ a: [1], b: [2] }));
    const s = open();
    s.send({ node: NODE, type_url: TypeUrl.Cluster });
    const first = await s.next();
    expect(first.resources).toHaveLength(2);
    expect(first.version_info).toBe(running.cache.getSnapshot(NODE.id)!.version(TypeUrl.Cluster));
    s.send({ type_url: TypeUrl.Cluster, version_info: first.version_info, response_nonce: first.nonce });
    expect(await s.quiet()).toBe(true);
  });

  test('named EDS gets only what it asks for, and a name that does not exist yet is remembered', async () => {
    running.cache.setSnapshot(NODE.id, meshSnapshot({ a: [1], b: [2] }));
    const s = open();
    s.send({ node: NODE, type_url: TypeUrl.ClusterLoadAssignment, resource_names: ['a', 'later'] });
    const first = await s.next();
    expect(names(first)).toEqual(['a']);
    s.send({ type_url: TypeUrl.ClusterLoadAssignment, version_info: first.version_info, response_nonce: first.nonce, resource_names: ['a', 'later'] });
    expect(await s.quiet()).toBe(true);
    running.cache.setSnapshot(NODE.id, meshSnapshot({ a: [1], b: [2], later: [3] }));
    // 'a' did not change, and an EDS response need not repeat it (the client keeps what it is not sent).
    expect(names(await s.next())).toEqual(['later']);
  });

  test('an EDS push carries only the endpoint sets that changed since the ACK; LDS and CDS stay complete', async () => {
    running.cache.setSnapshot(NODE.id, meshSnapshot({ a: [1], b: [2], c: [3] }));
    const s = open();
    const subscribe = { [TypeUrl.Cluster]: [], [TypeUrl.ClusterLoadAssignment]: ['a', 'b', 'c'] };
    for (const type of [TypeUrl.Cluster, TypeUrl.ClusterLoadAssignment] as const) {
      s.send({ node: NODE, type_url: type, resource_names: subscribe[type] });
      const r = await s.next();
      expect(names(r)).toEqual(['a', 'b', 'c']);
      s.send({ type_url: type, version_info: r.version_info, response_nonce: r.nonce, resource_names: subscribe[type] });
    }
    running.cache.setSnapshot(NODE.id, meshSnapshot({ a: [1], b: [2, 9], c: [3] }));
    const eds = await s.next();
    expect([eds.type_url, names(eds)]).toEqual([TypeUrl.ClusterLoadAssignment, ['b']]);
    s.send({ type_url: TypeUrl.ClusterLoadAssignment, version_info: eds.version_info, response_nonce: eds.nonce, resource_names: subscribe[TypeUrl.ClusterLoadAssignment] });
    expect(await s.quiet()).toBe(true);

    // A cluster added: CDS is resent whole, EDS carries the new endpoint set alone.
    running.cache.setSnapshot(NODE.id, meshSnapshot({ a: [1], b: [2, 9], c: [3], d: [4] }));
    const cds = await s.next();
    expect([cds.type_url, names(cds)]).toEqual([TypeUrl.Cluster, ['a', 'b', 'c', 'd']]);
  });

  test('a stale nonce is ignored; the current one is answered', async () => {
    running.cache.setSnapshot(NODE.id, meshSnapshot({ a: [1] }));
    const s = open();
    s.send({ node: NODE, type_url: TypeUrl.ClusterLoadAssignment, resource_names: ['a'] });
    const first = await s.next();
    s.send({ type_url: TypeUrl.ClusterLoadAssignment, version_info: first.version_info, response_nonce: first.nonce, resource_names: ['a'] });
    running.cache.setSnapshot(NODE.id, meshSnapshot({ a: [1, 2] }));
    const second = await s.next();
    // A request carrying the old nonce (e.g. a subscription change racing the push) is dropped.
    s.send({ type_url: TypeUrl.ClusterLoadAssignment, version_info: first.version_info, response_nonce: first.nonce, resource_names: ['a', 'b'] });
    expect(await s.quiet()).toBe(true);
    const status = running.ads.streamStatuses()[0]!.types.find((t) => t.typeUrl === TypeUrl.ClusterLoadAssignment)!;
    expect(status.lastAckedVersion).toBe(first.version_info);
    expect(status.lastSentVersion).toBe(second.version_info);
  });

  test('NACK is recorded, the rejected version is not resent, and a fix is pushed', async () => {
    running.cache.setSnapshot(NODE.id, meshSnapshot({ a: [1] }));
    const s = open();
    s.send({ node: NODE, type_url: TypeUrl.Cluster });
    const good = await s.next();
    s.send({ type_url: TypeUrl.Cluster, version_info: good.version_info, response_nonce: good.nonce });
    running.cache.setSnapshot(NODE.id, meshSnapshot({ a: [1], bad: [2] }));
    const bad = await s.next();
    s.send({ type_url: TypeUrl.Cluster, version_info: good.version_info, response_nonce: bad.nonce, error_detail: { code: 3, message: 'Cluster "bad": lb_policy: unsupported' } });
    expect(await s.quiet()).toBe(true);
    const status = running.ads.streamStatuses()[0]!.types.find((t) => t.typeUrl === TypeUrl.Cluster)!;
    expect(status.lastNack).toMatchObject({ version: bad.version_info, message: 'Cluster "bad": lb_policy: unsupported' });
    expect(status.lastAckedVersion).toBe(good.version_info);
    running.cache.setSnapshot(NODE.id, meshSnapshot({ a: [1], fixed: [2] }));
    const fix = await s.next();
    expect(fix.version_info).not.toBe(bad.version_info);
    expect(fix.resources).toHaveLength(2);
  });

  test('removing a cluster from full-state CDS sends the smaller set', async () => {
    running.cache.setSnapshot(NODE.id, meshSnapshot({ a: [1], b: [2] }));
    const s = open();
    s.send({ node: NODE, type_url: TypeUrl.Cluster });
    const first = await s.next();
    s.send({ type_url: TypeUrl.Cluster, version_info: first.version_info, response_nonce: first.nonce });
    running.cache.setSnapshot(NODE.id, meshSnapshot({ a: [1] }));
    const second = await s.next();
    expect(second.resources).toHaveLength(1);
  });

  test('unsubscribing (empty names on EDS) stops pushes for that type', async () => {
    running.cache.setSnapshot(NODE.id, meshSnapshot({ a: [1] }));
    const s = open();
    s.send({ node: NODE, type_url: TypeUrl.ClusterLoadAssignment, resource_names: ['a'] });
    const first = await s.next();
    s.send({ type_url: TypeUrl.ClusterLoadAssignment, version_info: first.version_info, response_nonce: first.nonce, resource_names: [] });
    running.cache.setSnapshot(NODE.id, meshSnapshot({ a: [1, 2] }));
    expect(await s.quiet(250)).toBe(true);
  });

  test('one change across types is pushed clusters → endpoints → listeners → routes, removals last', async () => {
    running.cache.setSnapshot(NODE.id, meshSnapshot({ old: [1] }));
    const s = open();
    const order = [TypeUrl.Listener, TypeUrl.RouteConfiguration, TypeUrl.Cluster, TypeUrl.ClusterLoadAssignment];
    const acked = new Map<string, DiscoveryResponse>();
    for (const type of order) {
      s.send({ node: NODE, type_url: type, resource_names: type === TypeUrl.RouteConfiguration ? ['old-route', 'new-route'] : type === TypeUrl.ClusterLoadAssignment ? ['old', 'new'] : [] });
      const r = await s.next();
      acked.set(type, r);
      s.send({ type_url: type, version_info: r.version_info, response_nonce: r.nonce, resource_names: type === TypeUrl.RouteConfiguration ? ['old-route', 'new-route'] : type === TypeUrl.ClusterLoadAssignment ? ['old', 'new'] : [] });
    }
    await s.quiet(50);
    running.cache.setSnapshot(NODE.id, meshSnapshot({ new: [2] }));
    const pushed: DiscoveryResponse[] = [];
    for (let i = 0; i < 6; i++) pushed.push(await s.next());
    const kinds = pushed.map((r) => `${r.type_url.split('.').pop()}:${r.resources.length}`);
    // CDS and LDS first keep the old resource beside the new one (make-before-break), then drop it at the end.
    expect(kinds).toEqual(['Cluster:2', 'ClusterLoadAssignment:1', 'Listener:2', 'RouteConfiguration:1', 'Listener:1', 'Cluster:1']);
    expect(names(pushed[0]!)).toEqual(['new', 'old']);
  });

  test('a stream without node.id is refused', async () => {
    const s = open();
    s.send({ type_url: TypeUrl.Cluster });
    await expect(s.next(500)).rejects.toThrow();
    expect(s.error?.code).toBe(3);
  });

  test('stream status is exposed for proxy-status and dropped on disconnect', async () => {
    running.cache.setSnapshot(NODE.id, meshSnapshot({ a: [1] }));
    const s = open();
    s.send({ node: NODE, type_url: TypeUrl.ClusterLoadAssignment, resource_names: ['a'] });
    await s.next();
    const [status] = running.ads.streamStatuses();
    expect(status).toMatchObject({ protocol: 'sotw', node: { id: NODE.id } });
    s.close();
    await new Promise((r) => setTimeout(r, 100));
    expect(running.ads.streamStatuses()).toHaveLength(0);
  });

  test('endpoint-only change pushes only EDS', async () => {
    running.cache.setSnapshot(NODE.id, meshSnapshot({ a: [1] }));
    const s = open();
    for (const type of [TypeUrl.Cluster, TypeUrl.ClusterLoadAssignment]) {
      s.send({ node: NODE, type_url: type, resource_names: type === TypeUrl.Cluster ? [] : ['a'] });
      const r = await s.next();
      s.send({ type_url: type, version_info: r.version_info, response_nonce: r.nonce, resource_names: type === TypeUrl.Cluster ? [] : ['a'] });
    }
    running.cache.setSnapshot(NODE.id, running.cache.getSnapshot(NODE.id)!.withType(TypeUrl.ClusterLoadAssignment, [endpoints('a', [1, 9])]));
    const pushed = await s.next();
    expect(pushed.type_url).toBe(TypeUrl.ClusterLoadAssignment);
    expect(await s.quiet()).toBe(true);
  });
});

test('a name dropped from a named subscription and asked for again is sent again', async () => {

  running.cache.setSnapshot(NODE.id, meshSnapshot({ a: [1], b: [2] }));
  const s = open();
  const ask = (names: string[], r?: DiscoveryResponse) => s.send({ node: NODE, type_url: TypeUrl.Cluster, resource_names: names, version_info: r?.version_info ?? '', response_nonce: r?.nonce ?? '' });
  ask(['a', 'b']);
  const first = await s.next();
  ask(['a', 'b'], first);
  ask(['b'], first);
  expect(await s.quiet()).toBe(true);
  ask(['a', 'b'], first);
  expect((await s.next()).resources).toHaveLength(2);
});
