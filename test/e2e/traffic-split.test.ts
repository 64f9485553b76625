/**
 * Route weights (issue 5): a Gateway API HTTPRoute attached to the reviews Service
 * splits its traffic between per-version Services; editing the weights moves live
 * traffic within a second without a failed request.
 */
import { LocalMesh, load, service, until, workload } from './mesh-harness';

const FRONTEND = { address: '127.0.0.41', outbound: 15001 };
const route = (v1: number, v2: number) => `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: reviews-split, namespace: shop }
spec:
  parentRefs: [{ group: "", kind: Service, name: reviews, port: 9080 }]
  rules:
    - backendRefs:
        - { name: reviews-v1, port: 9080, weight: ${v1} }
        - { name: reviews-v2, port: 9080, weight: ${v2} }
`;
const mesh = new LocalMesh({
  'services.yaml': [
    service('frontend', 8080), service('reviews', 9080),
    service('reviews-v1', 9080, { app: 'reviews', version: 'v1' }), service('reviews-v2', 9080, { app: 'reviews', version: 'v2' }),
  ].join('---\n'),
  'workloads.yaml': [
    workload('frontend-1', { app: 'frontend' }, 'frontend', FRONTEND.address, 8080, 21080),
    workload('reviews-v1', { app: 'reviews', version: 'v1' }, 'reviews', '127.0.0.42', 9080, 21081),
    workload('reviews-v2', { app: 'reviews', version: 'v2' }, 'reviews', '127.0.0.43', 9080, 21082),
  ].join('---\n'),
  'route.yaml': route(100, 0),
});

beforeAll(async () => {
  await mesh.start();
  await Promise.all([mesh.app('reviews-v1', 21081), mesh.app('reviews-v2', 21082)]);
  for (const [node, sa] of [['frontend-1.shop', 'frontend'], ['reviews-v1.shop', 'reviews'], ['reviews-v2.shop', 'reviews']]) mesh.proxy(node!, sa!);
  await until(mesh.synced(['frontend-1.shop', 'reviews-v1.shop', 'reviews-v2.shop']));
}, 60_000);

afterAll(() => mesh.stop());

test('weights 100/0 → 0/100 → 50/50 move the traffic within a second, with no failed request', async () => {
  const reviews = load(FRONTEND, 'reviews:9080');
  await until(() => reviews.answers.length > 50);
  const before = reviews.answers.map((a) => a.who);

  const flipped = Date.now();
  mesh.write('route.yaml', route(0, 100));
  await until(() => Date.now() - flipped > 1500);
  const moved = reviews.settledAfter(flipped, (who) => who === 'reviews-v2')!;

  const split = Date.now();
  mesh.write('route.yaml', route(50, 50));
  await until(() => Date.now() - split > 2000);
  await reviews.stop();
  const afterSplit = reviews.answers.filter((a) => a.at > split + 1000).map((a) => a.who);
  const share = afterSplit.filter((w) => w === 'reviews-v1').length / afterSplit.length;
  const failures = reviews.answers.filter((a) => !a.who.startsWith('reviews-'));
  console.log(`${reviews.answers.length} requests, ${failures.length} failed; 100/0 → 0/100 settled in ${moved} ms; at 50/50, v1 took ${(share * 100).toFixed(0)}% of ${afterSplit.length}`);

  expect(new Set(before)).toEqual(new Set(['reviews-v1']));
  expect(moved).toBeLessThan(1000);
  expect(share).toBeGreaterThan(0.3);
  expect(share).toBeLessThan(0.7);
  expect(failures).toEqual([]);
}, 60_000);
