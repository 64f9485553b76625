/**
 * Issue 5's end-to-end check, with real proxy processes: a control plane watching
 * a config directory, workloads with their proxies, steady traffic, and edits to
 * the YAML files. Traffic must follow each edit within a second, and no request
 * to a service that still exists may fail while the mesh changes.
 */
import * as http from 'node:http';
import { LocalMesh, call, load, service, until, workload } from './mesh-harness';

const FRONTEND = { address: '127.0.0.31', outbound: 15001 };
const mesh = new LocalMesh({
  'services.yaml': [service('frontend', 8080), service('reviews', 9080), service('ratings', 9090)].join('---\n'),
  'frontend.yaml': workload('frontend-1', { app: 'frontend' }, 'frontend', FRONTEND.address, 8080, 28080),
  'reviews-v1.yaml': workload('reviews-v1', { app: 'reviews' }, 'reviews', '127.0.0.32', 9080, 29081),
  'ratings.yaml': workload('ratings-1', { app: 'ratings' }, 'ratings', '127.0.0.34', 9090, 29090),
});

beforeAll(async () => {
  await mesh.start();
  await Promise.all([mesh.app('reviews-v1', 29081), mesh.app('reviews-v2', 29082), mesh.app('ratings-1', 29090)]);
  mesh.proxy('frontend-1.shop', 'frontend');
  mesh.proxy('reviews-v1.shop', 'reviews');
  mesh.proxy('ratings-1.shop', 'ratings');
  await until(mesh.synced(['frontend-1.shop', 'reviews-v1.shop', 'ratings-1.shop']));
}, 60_000);

afterAll(() => mesh.stop());

test('an added endpoint gets traffic within a second of becoming ready, a removed one stops getting it, and nothing fails', async () => {
  const reviews = load(FRONTEND, 'reviews:9080');
  await new Promise((r) => setTimeout(r, 300));

  // Add an endpoint: its proxy joins as soon as its WorkloadEntry exists; it gets traffic once ready.
  mesh.proxy('reviews-v2.shop', 'reviews');
  mesh.write('reviews-v2.yaml', workload('reviews-v2', { app: 'reviews' }, 'reviews', '127.0.0.33', 9080, 29082));
  await until(mesh.synced(['reviews-v2.shop']));
  const ready = Date.now();
  await until(() => reviews.answers.some((a) => a.at >= ready && a.who === 'reviews-v2'), 5000);
  const firstV2 = reviews.answers.find((a) => a.who === 'reviews-v2')!.at;

  // Remove the first endpoint: in-flight requests finish on it, new ones go to v2 only.
  const removed = Date.now();
  mesh.remove('reviews-v1.yaml');
  await until(() => (reviews.settledAfter(removed, (who) => who === 'reviews-v2') ?? Infinity) < Infinity && Date.now() - removed > 1500, 10_000);
  await reviews.stop();

  const failures = reviews.answers.filter((a) => !a.who.startsWith('reviews-'));
  const movedAway = reviews.settledAfter(removed, (who) => who === 'reviews-v2')!;
  console.log(`requests ${reviews.answers.length}, failed ${failures.length}; v2 first answered ${Math.max(0, firstV2 - ready)} ms after it was ready; v1 stopped getting traffic ${movedAway} ms after its file was removed`);
  expect(failures).toEqual([]);
  expect(firstV2 - ready).toBeLessThan(1000);
  expect(movedAway).toBeLessThan(1000);
}, 60_000);

test('removing a service ends its route within a second; the other services keep answering without a failure', async () => {
  const ratings = load(FRONTEND, 'ratings:9090');
  const reviews = load(FRONTEND, 'reviews:9080');
  await new Promise((r) => setTimeout(r, 300));
  const removed = Date.now();
  mesh.write('services.yaml', [service('frontend', 8080), service('reviews', 9080)].join('---\n'));
  await until(() => Date.now() - removed > 1500);
  await Promise.all([ratings.stop(), reviews.stop()]);
  const gone = ratings.settledAfter(removed, (who) => who.startsWith('HTTP 404'))!;
  console.log(`ratings answered 404 (no route) ${gone} ms after its Service was removed; reviews: ${reviews.answers.length} requests, ${reviews.answers.filter((a) => a.who !== 'reviews-v2').length} failed`);
  expect(gone).toBeLessThan(1000);
  expect(reviews.answers.filter((a) => a.who !== 'reviews-v2')).toEqual([]);
}, 60_000);

test('an AuthorizationPolicy change reaches open connections\' next requests within a second, with no restart', async () => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const get = () => call(FRONTEND, 'reviews:9080', agent);
  expect(await get()).toBe('reviews-v2');
  const changed = Date.now();
  mesh.write('deny.yaml', 'apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: { name: lockdown, namespace: shop }\nspec: { selector: { matchLabels: { app: reviews } }, action: DENY, rules: [{ from: [{ source: { principals: ["cluster.local/ns/shop/sa/frontend"] } }] }] }\n');
  let answer = await get();
  while (answer === 'reviews-v2' && Date.now() - changed < 5000) answer = await get();
  const denyAfter = Date.now() - changed;
  expect(answer).toBe('HTTP 403 FL');
  mesh.remove('deny.yaml');
  const lifted = Date.now();
  while (answer !== 'reviews-v2' && Date.now() - lifted < 5000) answer = await get();
  const allowAfter = Date.now() - lifted;
  agent.destroy();
  console.log(`on one keep-alive connection: denied ${denyAfter} ms after the policy was written, allowed again ${allowAfter} ms after it was removed`);
  expect(denyAfter).toBeLessThan(1000);
  expect(allowAfter).toBeLessThan(1000);
}, 30_000);
