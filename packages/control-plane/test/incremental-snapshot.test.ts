import * as path from 'node:path';
import { TypeUrl } from '@trellis/xds';
import { FileSource, sidecarSnapshot, type MeshModel, type MeshSettings } from '../src';
import { ResourceMemo } from '../src/translate/memo';

const DEMO = path.resolve(__dirname, '../../../deploy/local/demo');
const SETTINGS: MeshSettings = { trustDomain: 'cluster.local', rootNamespace: 'trellis-system', defaultMtls: 'STRICT', trustBundlePem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n', outboundTrafficPolicy: 'ALLOW_ANY' };
const model = new FileSource(DEMO).load().model;
const frontend = model.workloads.find((w) => w.name === 'frontend-1')!;
const ratings = model.workloads.find((w) => w.name === 'ratings-1')!;
/** The same mesh as new objects, as a reload of every file would produce. */
const reloaded = (): MeshModel => JSON.parse(JSON.stringify(model)) as MeshModel;

test('a model with the same content yields the very snapshot the proxy holds', () => {
  const memo = new ResourceMemo();
  const before = sidecarSnapshot(model, frontend, SETTINGS, undefined, memo);
  memo.invalidate();
  const copy = reloaded();
  expect(sidecarSnapshot(copy, copy.workloads.find((w) => w.name === 'frontend-1')!, SETTINGS, undefined, memo, before)).toBe(before);
});

test('an endpoint change replaces only the endpoints, keeping every other type as it was', () => {
  const memo = new ResourceMemo();
  const before = sidecarSnapshot(model, frontend, SETTINGS, undefined, memo);
  memo.invalidate();
  const moved = { ...model, workloads: model.workloads.map((w) => (w === ratings ? { ...w, address: '10.99.0.1' } : w)) };
  const after = sidecarSnapshot(moved, frontend, SETTINGS, undefined, memo, before);
  const changed = after.typeUrls().filter((type) => after.get(type) !== before.get(type));
  expect(changed).toEqual([TypeUrl.ClusterLoadAssignment]);
  expect(after.version(TypeUrl.ClusterLoadAssignment)).not.toBe(before.version(TypeUrl.ClusterLoadAssignment));
  expect(after.consistencyErrors()).toEqual([]);
});

test('within one generation a shared resource is built once; after invalidate it is rebuilt', () => {
  const memo = new ResourceMemo();
  let builds = 0;
  const build = () => ({ name: 'c', type: 'STATIC', connect_timeout: { seconds: ++builds } });
  const first = memo.get(TypeUrl.Cluster, 'c', build);
  expect(memo.get(TypeUrl.Cluster, 'c', build)).toBe(first);
  memo.invalidate();
  expect(memo.get(TypeUrl.Cluster, 'c', build)).not.toBe(first);
  expect(builds).toBe(2);
});

test('a resource whose inputs are the same objects is reused without being built', () => {
  const memo = new ResourceMemo();
  const service = model.services[0]!;
  let builds = 0;
  const build = () => ({ name: 'c', type: 'STATIC', connect_timeout: { seconds: ++builds } });
  const first = memo.get(TypeUrl.Cluster, 'c', build, { inputs: [service, 1] });
  memo.invalidate();
  expect(memo.get(TypeUrl.Cluster, 'c', build, { inputs: [service, 1] })).toBe(first);
  memo.invalidate();
  expect(memo.get(TypeUrl.Cluster, 'c', build, { inputs: [{ ...service }, 1] })).not.toBe(first);
  expect(builds).toBe(2);
});
