import { makeResource, Snapshot, TypeUrl } from '../src';
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

  test('nodes handed the same resource list share one type snapshot; a check stays right when only names change', () => {
    const clusters = { resources: [makeResource(TypeUrl.Cluster, edsCluster('a')), makeResource(TypeUrl.Cluster, edsCluster('b'))] };
    const shared = [makeResource(TypeUrl.ClusterLoadAssignment, endpoints('a', [1])), makeResource(TypeUrl.ClusterLoadAssignment, endpoints('b', [2]))];
    const one = Snapshot.create({ [TypeUrl.Cluster]: clusters, [TypeUrl.ClusterLoadAssignment]: { resources: shared } });
    const other = Snapshot.create({ [TypeUrl.Cluster]: clusters, [TypeUrl.ClusterLoadAssignment]: { resources: shared } });
    expect(other.get(TypeUrl.ClusterLoadAssignment)).toBe(one.get(TypeUrl.ClusterLoadAssignment));
    expect(one.consistencyErrors()).toEqual([]);

    // The same clusters, new endpoints under the same names: consistent (the earlier check stands).
    const moved = Snapshot.create({ [TypeUrl.Cluster]: clusters, [TypeUrl.ClusterLoadAssignment]: { resources: [shared[0]!, makeResource(TypeUrl.ClusterLoadAssignment, endpoints('b', [3]))] } }, one);
    expect(moved.get(TypeUrl.Cluster)).toBe(one.get(TypeUrl.Cluster));
    expect(moved.consistencyErrors()).toEqual([]);
    // The same clusters, one endpoint set gone: the check runs again.
    const missing = Snapshot.create({ [TypeUrl.Cluster]: clusters, [TypeUrl.ClusterLoadAssignment]: { resources: [shared[0]!] } }, one);
    expect(missing.consistencyErrors()).toEqual(['cluster load assignment "b" is referenced by a cluster but missing']);
  });

  test('duplicate names and undecodable messages are refused with the name', () => {
    expect(() => Snapshot.create({ [TypeUrl.Cluster]: { resources: [edsCluster('a'), edsCluster('a')] } })).toThrow(/duplicate .*"a"/);
    expect(() => Snapshot.create({ [TypeUrl.Cluster]: { resources: [{ name: 'x', message: { name: 'x', lb_policy: 42.5 } }] } })).toThrow(/Cluster/);
  });
});
