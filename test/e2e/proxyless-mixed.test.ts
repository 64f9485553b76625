/**
 * Sidecar and proxyless workloads in one mesh (issue 5): a grpc-js-xds client calls a
 * gRPC app behind our proxy, and an app behind our proxy calls a grpc-js-xds server —
 * mTLS with mesh identities both ways, each side configured by the same control plane.
 */
import * as grpc from '@grpc/grpc-js';
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { CONTROL_PLANE_IDENTITY, spiffeId } from '@trellis/control-plane';
import { GrpcAgent } from '@trellis/sidecar';
import { freePorts } from './free-ports';
import { LocalMesh, until } from './mesh-harness';

const APP = path.resolve(__dirname, '../../packages/cli/dist/commands/proxyless-app.js');
const WHO = '/trellis.demo.Greeter/Who';
// Ports are picked free at start: a concurrent run of this suite must not collide with this one.
const ECHO = { address: '127.0.3.31', port: 0, appPort: 0 };
const GREETER = { address: '127.0.3.32', port: 0 };
const CALLER = { address: '127.0.3.33', outbound: 0 };
const raw = (b: Buffer) => b;

const entry = (name: string, sa: string, address: string, extra: string) =>
  `apiVersion: networking.trellis.dev/v1alpha1\nkind: WorkloadEntry\nmetadata: { name: ${name}, namespace: shop${extra} }\nspec: { address: ${address}, serviceAccount: ${sa}, labels: { app: ${name.replace(/-\d+$/, '')} }`;
let mesh: LocalMesh;
const agents: GrpcAgent[] = [];
const children: ChildProcess[] = [];
let echoApp: grpc.Server;

async function agentFor(name: string, serviceAccount: string): Promise<GrpcAgent> {
  const agent = new GrpcAgent({
    nodeId: `${name}.shop`, identity: { trustDomain: 'cluster.local', namespace: 'shop', serviceAccount },
    xdsAddress: mesh.cp.addresses.xds, caAddress: mesh.cp.addresses.ca, tokenFile: mesh.cp.tokenFile({ name, namespace: 'shop' }),
    controlPlaneRootsPem: [mesh.cp.trustBundlePem()], controlPlaneId: spiffeId('cluster.local', CONTROL_PLANE_IDENTITY.namespace, CONTROL_PLANE_IDENTITY.serviceAccount),
    dir: path.join(mesh.dir, name), relayHost: '127.0.3.30',
  });
  agents.push(agent);
  await agent.start();
  return agent;
}

/** The demo's proxyless app with an agent's bootstrap; resolves with its output lines. */
function runApp(agent: GrpcAgent, args: string[]): { lines: AsyncIterableIterator<string> } {
  const child = spawn(process.execPath, [APP, ...args], { env: { ...process.env, GRPC_XDS_BOOTSTRAP: agent.bootstrapFile, GRPC_XDS_EXPERIMENTAL_RBAC: 'true' }, stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(child);
  return { lines: readline.createInterface({ input: child.stdout! })[Symbol.asyncIterator]() };
}

beforeAll(async () => {
  [ECHO.port, ECHO.appPort, GREETER.port, CALLER.outbound] = await freePorts(4);
  mesh = new LocalMesh({
    'mesh.yaml': [
      `apiVersion: v1\nkind: Service\nmetadata: { name: echo, namespace: shop }\nspec: { selector: { app: echo }, ports: [{ name: grpc, port: ${ECHO.port} }] }\n`,
      `apiVersion: v1\nkind: Service\nmetadata: { name: greeter, namespace: shop }\nspec: { selector: { app: greeter }, ports: [{ name: grpc, port: ${GREETER.port} }] }\n`,
      `${entry('echo-1', 'echo', ECHO.address, `, annotations: { sidecar.trellis.dev/app-ports: "grpc=${ECHO.appPort}" }`)}, ports: { grpc: ${ECHO.port} } }\n`,
      `${entry('greeter-1', 'greeter', GREETER.address, '')}, ports: { grpc: ${GREETER.port} } }\n`,
      `${entry('caller-1', 'caller', CALLER.address, `, annotations: { sidecar.trellis.dev/outbound-port: "${CALLER.outbound}" }`)} }\n`,
      `${entry('pl-caller-1', 'pl-caller', '127.0.3.34', '')} }\n`,
    ].join('---\n'),
  });
  await mesh.start();
  echoApp = new grpc.Server();
  echoApp.register(WHO, (call: grpc.ServerUnaryCall<Buffer, Buffer>, done: grpc.sendUnaryData<Buffer>) => {
    done(null, Buffer.from(`echo-1, which saw caller ${String(call.metadata.get('x-forwarded-client-cert')[0] ?? 'none').match(/URI=([^;,]+)/)?.[1] ?? 'none'}`));
  }, raw, raw, 'unary');
  await new Promise((resolve, reject) => echoApp.bindAsync(`127.0.0.1:${ECHO.appPort}`, grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  mesh.proxy('echo-1.shop', 'echo');
  mesh.proxy('caller-1.shop', 'caller');
  const server = runApp(await agentFor('greeter-1', 'greeter'), ['serve', 'greeter-1', `${GREETER.address}:${GREETER.port}`]);
  await server.lines.next();
  await until(mesh.synced(['echo-1.shop', 'caller-1.shop']));
}, 60_000);

afterAll(async () => {
  // Wait for the apps to be gone: nothing of this run outlives it.
  await Promise.all(children.filter((c) => c.exitCode === null).map((c) => new Promise((resolve) => c.once('exit', resolve).kill('SIGTERM'))));
  for (const agent of agents) agent.stop();
  echoApp?.forceShutdown();
  await mesh?.stop();
});

test('a grpc-js-xds client reaches a gRPC app behind our proxy, which sees the client\'s SPIFFE ID', async () => {
  const client = runApp(await agentFor('pl-caller-1', 'pl-caller'), ['call', `xds:///echo.shop.svc.cluster.local:${ECHO.port}`, WHO]);
  expect((await client.lines.next()).value).toBe(`${WHO} OK from echo-1, which saw caller spiffe://cluster.local/ns/shop/sa/pl-caller`);
}, 20_000);

test('an app behind our proxy reaches a grpc-js-xds server, which sees the proxy\'s SPIFFE ID', async () => {
  const client = new grpc.Client(`${CALLER.address}:${CALLER.outbound}`, grpc.credentials.createInsecure(), { 'grpc.default_authority': `greeter:${GREETER.port}` });
  const reply = await new Promise<string>((resolve) => client.makeUnaryRequest(WHO, raw, raw, Buffer.alloc(0), { deadline: Date.now() + 10_000 }, (e, r) => resolve(e ? `${grpc.status[e.code]}: ${e.details}` : r!.toString())));
  client.close();
  expect(reply).toBe('greeter-1, which saw caller spiffe://cluster.local/ns/shop/sa/caller');
}, 20_000);
