import { Snapshot, TypeUrl } from '../src';
import { apiListener, edsCluster, endpoints, meshSnapshot, route } from './fixtures';

describe('Snapshot', () => {
  test('a consistent mesh has no errors and a content-derived version per type', () => {
    const a = meshSnapshot({ echo: [5001] });
    const b = meshSnapshot({ echo: [5001] });
    expect(a.consistencyErrors()).toEqual([]);
    for (const type of a.typeUrls()) expect(a.version(type)).toBe(b.version(type));
  });

  test('changing endpoints changes only the EDS version', () => {
    const before = meshSnapshot({ echo: [5001] });
    const after = before.withType(TypeUrl.ClusterLoadAssignment, [endpoints('echo', [5001, 5002])]);
    expect(after.version(TypeUrl.ClusterLoadAssignment)).not.toBe(before.version(TypeUrl.ClusterLoadAssignment));
    for (const type of [TypeUrl.Listener, TypeUrl.RouteConfiguration, TypeUrl.Cluster]) expect(after.version(type)).toBe(before.version(type));
  });

  test('dangling and unreferenced RDS / EDS names are reported', () => {
    const snapshot = Snapshot.create({
      [TypeUrl.Listener]: { resources: [apiListener('echo', 'missing-route')] },
      [TypeUrl.RouteConfiguration]: { resources: [route('orphan-route', 'echo', { echo: 1 })] },
      [TypeUrl.Cluster]: { resources: [edsCluster('echo')] },
      [TypeUrl.ClusterLoadAssignment]: { resources: [endpoints('other', [1])] },
    });
    expect(snapshot.consistencyErrors()).toEqual([
      'route configuration "missing-route" is referenced by a listener but missing',
      'route configuration "orphan-route" is not referenced by any listener',
      'cluster load assignment "echo" is referenced by a cluster but missing',
      'cluster load assignment "other" is not referenced by any cluster',
    ]);
  });

  test('duplicate names and undecodable messages are refused with the name', () => {
    expect(() => Snapshot.create({ [TypeUrl.Cluster]: { resources: [edsCluster('a'), edsCluster('a')] } })).toThrow(/duplicate .*"a"/);
    expect(() => Snapshot.create({ [TypeUrl.Cluster]: { resources: [{ name: 'x', message: { name: 'x', lb_policy: 42.5 } }] } })).toThrow(/Cluster/);
  });
});
