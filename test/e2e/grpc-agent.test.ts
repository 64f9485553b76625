/**
 * The grpc agent of a proxyless pod against a real control plane: the bootstrap it writes
 * passes grpc-js-xds's own validation and names what the control plane's proxyless
 * translation uses; its certificate files hold the workload's SVID and are replaced whole
 * when the certificate rotates (certificates live 4 s here, renewed at ~2 s).
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CONTROL_PLANE_IDENTITY, ControlPlane, PROXYLESS_CERT_PROVIDER, PROXYLESS_SERVER_LISTENER_TEMPLATE, spiffeId } from '@trellis/control-plane';
import { CERTIFICATE_PROVIDER, GrpcAgent, SERVER_LISTENER_TEMPLATE, type GrpcAgentOptions } from '@trellis/sidecar';
import { until } from './mesh-harness';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-agent-'));
let cp: ControlPlane;
let agent: GrpcAgent;

function agentOptions(overrides: Partial<GrpcAgentOptions> = {}): GrpcAgentOptions {
  return {
    nodeId: 'greeter-1.shop', identity: { trustDomain: 'cluster.local', namespace: 'shop', serviceAccount: 'greeter' },
    xdsAddress: cp.addresses.xds, caAddress: cp.addresses.ca, tokenFile: cp.tokenFile({ name: 'greeter-1', namespace: 'shop' }),
    controlPlaneRootsPem: [cp.trustBundlePem()], controlPlaneId: spiffeId('cluster.local', CONTROL_PLANE_IDENTITY.namespace, CONTROL_PLANE_IDENTITY.serviceAccount),
    dir: path.join(dir, 'agent'), relayHost: '127.0.3.20', ...overrides,
  };
}

beforeAll(async () => {
  fs.mkdirSync(path.join(dir, 'config'));
  fs.writeFileSync(path.join(dir, 'config', 'mesh.yaml'),
    'apiVersion: networking.trellis.dev/v1alpha1\nkind: WorkloadEntry\nmetadata: { name: greeter-1, namespace: shop }\nspec: { address: 127.0.3.21, serviceAccount: greeter }\n');
  cp = new ControlPlane({ configDir: path.join(dir, 'config'), stateDir: path.join(dir, 'state'), xdsAddress: '127.0.0.1:0', caAddress: '127.0.0.1:0', adminAddress: '127.0.0.1:0', certificateTtlSeconds: 4 });
  await cp.start();
  agent = new GrpcAgent(agentOptions());
  await agent.start();
}, 30_000);

afterAll(async () => {
  agent?.stop();
  await cp?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('the bootstrap passes grpc-js-xds\'s validation and agrees with the control plane\'s proxyless names', () => {
  const xdsDir = path.dirname(require.resolve('@grpc/grpc-js-xds/package.json', { paths: [path.join(__dirname, '../../packages/cli')] }));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { validateBootstrapConfig } = require(path.join(xdsDir, 'build/src/xds-bootstrap')) as { validateBootstrapConfig(raw: unknown): { node: { id: string }; serverListenerResourceNameTemplate: string; certificateProviders: Record<string, unknown> } };
  const bootstrap = validateBootstrapConfig(JSON.parse(fs.readFileSync(agent.bootstrapFile, 'utf8')));
  expect(bootstrap.node.id).toBe('greeter-1.shop');
  expect(bootstrap.serverListenerResourceNameTemplate).toBe(PROXYLESS_SERVER_LISTENER_TEMPLATE);
  expect(Object.keys(bootstrap.certificateProviders)).toEqual([PROXYLESS_CERT_PROVIDER]);
  expect([SERVER_LISTENER_TEMPLATE, CERTIFICATE_PROVIDER]).toEqual([PROXYLESS_SERVER_LISTENER_TEMPLATE, PROXYLESS_CERT_PROVIDER]);
});

test('the certificate files hold the workload\'s SVID (key private to the pod) and are replaced whole on rotation', async () => {
  const { certificateFile, privateKeyFile, caCertificateFile } = agent.certificates;
  const leaf = () => new X509Certificate(fs.readFileSync(certificateFile));
  const first = leaf();
  expect(first.subjectAltName).toBe('URI:spiffe://cluster.local/ns/shop/sa/greeter');
  expect(first.checkPrivateKey(createPrivateKey(fs.readFileSync(privateKeyFile)))).toBe(true);
  expect(fs.statSync(privateKeyFile).mode & 0o777).toBe(0o600);
  expect(fs.readFileSync(caCertificateFile, 'utf8').trim()).toBe(cp.trustBundlePem().trim());
  await until(() => leaf().serialNumber !== first.serialNumber, 8000);
  // The key goes first, the chain after it: once the new chain is there, its key is too.
  expect(leaf().checkPrivateKey(createPrivateKey(fs.readFileSync(privateKeyFile)))).toBe(true);
  expect(fs.readdirSync(path.dirname(certificateFile)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
}, 15_000);

test('the ADS relay listens on loopback only: it lends the workload\'s identity to whoever connects', () => {
  expect(() => new GrpcAgent(agentOptions({ relayHost: '0.0.0.0' }))).toThrow('"0.0.0.0" is not a loopback address');
});
