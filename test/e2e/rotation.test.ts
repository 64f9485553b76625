/**
 * Certificate rotation without downtime (issue 3), between real proxy processes:
 * workload certificates live 4 s (renewed at ~2 s), so they rotate many times under
 * continuous load; then the root rotates (trust old + new, issue from new, retire
 * old). Not one request may fail.
 */
import { LocalMesh, call, load, service, until, workload } from './mesh-harness';

const FRONTEND = { address: '127.0.0.51', outbound: 15001 };
const TTL_SECONDS = 4;
const mesh = new LocalMesh({
  'services.yaml': [service('frontend', 8080), service('reviews', 9080)].join('---\n'),
  'workloads.yaml': [
    workload('frontend-1', { app: 'frontend' }, 'frontend', FRONTEND.address, 8080, 22080),
    workload('reviews-1', { app: 'reviews' }, 'reviews', '127.0.0.52', 9080, 22081),
  ].join('---\n'),
}, { certificateTtlSeconds: TTL_SECONDS });


beforeAll(async () => {
  await mesh.start();
  await mesh.app('reviews-1', 22081);
  mesh.proxy('frontend-1.shop', 'frontend');
  mesh.proxy('reviews-1.shop', 'reviews');
  await until(mesh.synced(['frontend-1.shop', 'reviews-1.shop']));
}, 60_000);

afterAll(() => mesh.stop());

test('workload certificates rotating every ~2 s and a full root rotation cost no request', async () => {
  const issuedBefore = mesh.cp.issuedCount;
  const reviews = load(FRONTEND, 'reviews:9080');
  const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

  await wait(3 * TTL_SECONDS * 1000); // several rotations of both workloads' certificates
  const rotations = mesh.cp.issuedCount - issuedBefore;

  const phases = [await mesh.cp.rotateRoot('begin')];
  await wait(TTL_SECONDS * 1000 + 1000); // every proxy now trusts old + new
  phases.push(await mesh.cp.rotateRoot('switch'));
  await wait(2 * TTL_SECONDS * 1000); // every workload renewed from the new root
  phases.push(await mesh.cp.rotateRoot('retire'));
  await wait(TTL_SECONDS * 1000);
  await reviews.stop();

  // A proxy that joins now knows only the new root: its handshake with reviews proves
  // reviews serves a certificate from the new root, not just an old pooled session.
  mesh.write('late.yaml', workload('frontend-2', { app: 'frontend' }, 'frontend', '127.0.0.53', 8080, 22082));
  mesh.proxy('frontend-2.shop', 'frontend');
  await until(mesh.synced(['frontend-2.shop', 'reviews-1.shop']));
  const late = await call({ address: '127.0.0.53', outbound: 15001 }, 'reviews:9080');

  const failures = reviews.answers.filter((a) => a.who !== 'reviews-1');
  console.log(`${reviews.answers.length} requests, ${failures.length} failed; ${rotations} certificates issued in ${3 * TTL_SECONDS} s before the root rotation, ${mesh.cp.issuedCount - issuedBefore} in all; root phases ${phases.join(' → ')}`);
  expect(failures.slice(0, 5)).toEqual([]);
  expect(rotations).toBeGreaterThanOrEqual(6);
  expect(phases).toEqual(['trusting-new-root', 'issuing-from-new-root', 'steady']);
  expect(late).toBe('reviews-1');
}, 90_000);
