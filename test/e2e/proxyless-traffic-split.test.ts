/**
 * Route weights for proxyless gRPC (issue 5): a grpc-js-xds client follows the same
 * HTTPRoute split as sidecars do. Two grpc-js-xds servers (reviews v1 and v2, each with
 * its grpc agent) behind per-version Services; a grpc-js-xds client under steady load
 * dials `xds:///reviews…`; editing the route's weights in the YAML moves its calls within
 * a couple of seconds, with no failed call, while calls carrying the canary header keep
 * to v2 (a header match, as grpc-js-xds matches metadata).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { CONTROL_PLANE_IDENTITY, spiffeId } from '@trellis/control-plane';
import { GrpcAgent } from '@trellis/sidecar';
import { freePorts } from './free-ports';
import { LocalMesh, until } from './mesh-harness';

const WHO = '/trellis.demo.Reviews/Who';
const RETIRED = '/trellis.demo.Reviews/Retired';
const RELAY_HOST = '127.0.13.1';
// Ports are picked free at start: a concurrent run of this suite must not collide with this one.
const V1 = { name: 'reviews-v1', address: '127.0.13.2', port: 0 };
const V2 = { name: 'reviews-v2', address: '127.0.13.3', port: 0 };

/**
 * The split under test; calls tagged `x-canary: yes` go to v2 whatever the weights (a header
 * match); the retired method's only backend weighs 0, so its calls must fail.
 */
const route = (v1: number, v2: number) => JSON.stringify({
  apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: 'reviews-split', namespace: 'shop' },
  spec: {
    parentRefs: [{ group: '', kind: 'Service', name: 'reviews', port: 9080 }],
    rules: [
      { matches: [{ headers: [{ name: 'x-canary', value: 'yes' }] }], backendRefs: [{ name: V2.name, port: 9080 }] },
      { matches: [{ path: { type: 'Exact', value: RETIRED } }], backendRefs: [{ name: V1.name, port: 9080, weight: 0 }] },
      { backendRefs: [{ name: V1.name, port: 9080, weight: v1 }, { name: V2.name, port: 9080, weight: v2 }] },
    ],
  },
});
const service = (name: string, selector: string) =>
  `apiVersion: v1\nkind: Service\nmetadata: { name: ${name}, namespace: shop }\nspec: { selector: ${selector}, ports: [{ name: grpc, port: 9080 }] }\n`;
const entry = (name: string, sa: string, address: string, labels: string, ports = '{}') =>
  `apiVersion: networking.trellis.dev/v1alpha1\nkind: WorkloadEntry\nmetadata: { name: ${name}, namespace: shop }\nspec: { address: ${address}, serviceAccount: ${sa}, labels: ${labels}, ports: ${ports} }\n`;

let mesh: LocalMesh;
const agents: GrpcAgent[] = [];
const children: ChildProcess[] = [];

async function agentFor(name: string, serviceAccount: string): Promise<GrpcAgent> {
  const agent = new GrpcAgent({
    nodeId: `${name}.shop`, identity: { trustDomain: 'cluster.local', namespace: 'shop', serviceAccount },
    xdsAddress: mesh.cp.addresses.xds, caAddress: mesh.cp.addresses.ca, tokenFile: mesh.cp.tokenFile({ name, namespace: 'shop' }),
    controlPlaneRootsPem: [mesh.cp.trustBundlePem()], controlPlaneId: spiffeId('cluster.local', CONTROL_PLANE_IDENTITY.namespace, CONTROL_PLANE_IDENTITY.serviceAccount),
    dir: path.join(mesh.dir, name), relayHost: RELAY_HOST,
  });
  agents.push(agent);
  await agent.start();
  return agent;
}

/** A node script run with an agent's bootstrap; its output lines. */
function run(script: string, agent: GrpcAgent, args: string[]): readline.Interface {
  const child = spawn(process.execPath, [path.join(__dirname, script), ...args], { env: { ...process.env, GRPC_XDS_BOOTSTRAP: agent.bootstrapFile }, stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(child);
  return readline.createInterface({ input: child.stdout! });
}

beforeAll(async () => {
  [V1.port, V2.port] = await freePorts(2);
  mesh = new LocalMesh({
    'mesh.yaml': [
      service('reviews', '{ app: reviews }'), service('reviews-v1', '{ app: reviews, version: v1 }'), service('reviews-v2', '{ app: reviews, version: v2 }'),
      entry(V1.name, 'reviews', V1.address, '{ app: reviews, version: v1 }', `{ grpc: ${V1.port} }`),
      entry(V2.name, 'reviews', V2.address, '{ app: reviews, version: v2 }', `{ grpc: ${V2.port} }`),
      entry('client-1', 'client', '127.0.13.4', '{ app: client }'), entry('client-2', 'client', '127.0.13.5', '{ app: client }'),
    ].join('---\n'),
    'route.yaml': route(100, 0),
  });
  await mesh.start();
  const servers = await Promise.all([V1, V2].map(async (v) => run('proxyless-grpc-server.js', await agentFor(v.name, 'reviews'), [v.name, `${v.address}:${v.port}`, WHO])));
  // Each prints one line once the control plane's Listener for its address is in force.
  await Promise.all(servers.map((lines) => new Promise((resolve) => lines.once('line', resolve))));
}, 30_000);

afterAll(async () => {
  await Promise.all(children.filter((c) => c.exitCode === null).map((c) => new Promise((resolve) => c.once('exit', resolve).kill('SIGTERM'))));
  for (const agent of agents) agent.stop();
  await mesh?.stop();
});

test('a grpc-js-xds client follows HTTPRoute weights 100/0 → 0/100 → 50/50 within a couple of seconds, and a header match, with no failed call', async () => {
  // Loop 0 sends plain calls (the weights apply), loop 1 tagged ones (the header match applies).
  const answers: { at: number; tagged: boolean; who: string }[] = [];
  const target = 'xds:///reviews.shop.svc.cluster.local:9080';
  run('proxyless-grpc-load.js', await agentFor('client-1', 'client'), [target, WHO, `${WHO}?x-canary=yes`]).on('line', (line) => {
    const [at, loop, ...who] = line.split(' ');
    answers.push({ at: Number(at), tagged: loop === '1', who: who.join(' ') });
  });
  const plain = (since = 0) => answers.filter((a) => !a.tagged && a.at >= since);
  await until(() => plain().length > 50);
  const before = plain().map((a) => a.who);

  const flipped = Date.now();
  mesh.write('route.yaml', route(0, 100));
  await until(() => Date.now() - flipped > 2000);
  const afterFlip = plain(flipped);
  const settle = afterFlip[afterFlip.map((a) => a.who === V2.name).lastIndexOf(false) + 1];
  const moved = settle ? settle.at - flipped : undefined;

  const split = Date.now();
  mesh.write('route.yaml', route(50, 50));
  await until(() => Date.now() - split > 3000);
  const settled = plain(split + 1500).map((a) => a.who);
  const share = settled.filter((w) => w === V1.name).length / settled.length;
  const tagged = answers.filter((a) => a.tagged).map((a) => a.who);
  const failures = answers.filter((a) => !a.who.startsWith('reviews-'));
  console.log(`${answers.length} calls, ${failures.length} failed; 100/0 → 0/100 settled in ${moved} ms; at 50/50, v1 took ${(share * 100).toFixed(0)}% of ${settled.length}; tagged calls: ${tagged.length}, to v2: ${tagged.filter((w) => w === V2.name).length}`);

  expect(new Set(before)).toEqual(new Set([V1.name]));
  expect(moved).toBeLessThan(2000);
  expect(share).toBeGreaterThan(0.3);
  expect(share).toBeLessThan(0.7);
  expect(new Set(tagged)).toEqual(new Set([V2.name]));
  expect(failures).toEqual([]);
}, 30_000);

test('a route whose every backend weighs 0 fails its calls UNAVAILABLE (gRPC has no direct_response: a cluster with no endpoints)', async () => {
  const lines = run('proxyless-grpc-load.js', await agentFor('client-2', 'client'), ['xds:///reviews.shop.svc.cluster.local:9080', RETIRED]);
  const first = await new Promise<string>((resolve) => lines.once('line', resolve));
  children.at(-1)!.kill('SIGTERM');
  const outcome = first.split(' ').slice(2).join(' ');
  console.log(`retired method: ${outcome}`);
  expect(outcome).toMatch(/^ERROR UNAVAILABLE/);
}, 15_000);
