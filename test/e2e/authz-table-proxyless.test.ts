/**
 * Issue 6's decision table, third enforcer: a real @grpc/grpc-js-xds xDS server
 * (GRPC_XDS_EXPERIMENTAL_RBAC=true, its own process) fed by our control plane through our
 * grpc agent, enforcing the RBAC config we translate — the same config our proxy enforces.
 * Callers are plain grpc-js TLS clients holding certificates our CA issued for each
 * case's principal; plaintext cases go to a second port of the same server, which a
 * port-level PeerAuthentication keeps plaintext (grpc-js-xds 1.14.1 crashes when a port's
 * Listener turns from mTLS to plaintext, so no port switches). Cases sharing a policy set
 * share one push.
 *
 * What cannot be staged over gRPC, and why:
 * - methods other than POST: gRPC is always POST (its RBAC filter sets `:method: POST`),
 *   so a case whose outcome changes under POST says nothing about a gRPC server;
 * - query strings: a gRPC method path has none (grpc-js-xds matches `url_path` on the
 *   whole `:path`, so `/headers?x=1` would be judged as a path Envoy strips);
 * - other workloads, trust domains or root namespaces, source/destination IPs and ports,
 *   SNI: as for the proxy runner, the local mesh has one workload on loopback addresses;
 * - JWT (`request.auth.*`, requestPrincipals): gRPC's RBAC filter never matches metadata,
 *   and our proxy carries JWT results as filter metadata;
 * - TCP cases: a gRPC server serves HTTP/2 only.
 * A gRPC client sends its own user-agent (`<primary> grpc-node-js/<version>`): the case's
 * goes in as the primary part, and the evaluator judges the header as sent.
 */
import * as grpc from '@grpc/grpc-js';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CONTROL_PLANE_IDENTITY, ControlPlane, spiffeId } from '@trellis/control-plane';
import { localCredentialSource, type IssuedCredentials } from '@trellis/identity';
import { CertificateAuthority, initCaDir, joinPem, parseWorkloadId } from '@trellis/pki';
import { evaluate, parseAuthorizationPolicy, type RequestAttributes } from '@trellis/policy';
import { GrpcAgent } from '@trellis/sidecar';
import { WORKLOAD, decisionCases, type DecisionCase } from '../../packages/policy/test/decisions.table';
import { freePorts } from './free-ports';
import { until } from './mesh-harness';

const SERVER = { address: '127.0.3.2', mtlsPort: 0, plaintextPort: 0 };
const UNSTAGEABLE = /ipBlocks|IpBlocks|source\.ip|remote\.ip|destination\.ip|destination\.port|"ports"|notPorts|connection\.sni|request\.auth|equestPrincipals|experimental|audiences|presenter|claims/;
const OUR_TRUST_DOMAIN = /^spiffe:\/\/cluster\.local\/ns\/[^/]+\/sa\/[^/]+$/;
const raw = (b: Buffer) => b;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const GRPC_USER_AGENT = `grpc-node-js/${(require('@grpc/grpc-js/package.json') as { version: string }).version}`;

/**
 * Where grpc-js-xds and our evaluator (and proxy) differ, found by this test: gRPC's header
 * matcher, like Envoy's, matches a repeated header against its values joined by ",";
 * ours matches each value on its own (Istio's documented "any value" reading).
 */
const KNOWN_DIVERGENCES = ['when request.headers: any value of a repeated header'];

/** The case as a gRPC call makes it: sent as POST, with the user-agent grpc-js builds. */
function asGrpc(request: RequestAttributes): RequestAttributes {
  const { 'user-agent': userAgent, ...headers } = request.http!.headers ?? {};
  return { ...request, http: { ...request.http!, method: 'POST', headers: { ...headers, 'user-agent': userAgent ? `${String(userAgent)} ${GRPC_USER_AGENT}` : GRPC_USER_AGENT } } };
}

/** Why a case cannot be staged over gRPC, or undefined when it can. */
function unstageable(c: DecisionCase): string | undefined {
  const r = c.request;
  if (!r.http) return 'TCP';
  if (JSON.stringify(c.workload) !== JSON.stringify(WORKLOAD) || c.options !== undefined) return 'other workload, trust domain or root namespace';
  if (r.remoteIp || r.filterMetadata || UNSTAGEABLE.test(JSON.stringify(c.policies))) return 'addresses, ports, SNI or JWT';
  if (r.principal !== undefined && !OUR_TRUST_DOMAIN.test(r.principal)) return 'a principal our CA cannot issue';
  if (r.http.path.includes('?')) return 'a query string';
  if (evaluate(c.policies.map(parseAuthorizationPolicy), c.workload, asGrpc(r)).decision !== c.expect.decision) return 'decided by a method other than POST';
  return undefined;
}

const cases = decisionCases.filter((c) => !unstageable(c));
const leftOut = decisionCases.map(unstageable).filter((why) => why !== undefined)
  .reduce((counts, why) => counts.set(why, (counts.get(why) ?? 0) + 1), new Map<string, number>());
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-proxyless-'));
const configDir = path.join(dir, 'config');
const write = (file: string, text: string) => fs.writeFileSync(path.join(configDir, file), text);

let cp: ControlPlane;
let agent: GrpcAgent;
let server: ChildProcess;
let ca: CertificateAuthority;

beforeAll(async () => {
  [SERVER.mtlsPort, SERVER.plaintextPort] = await freePorts(2);
  fs.mkdirSync(configDir);
  write('mesh.yaml', [
    `apiVersion: v1\nkind: Service\nmetadata: { name: httpbin, namespace: foo }\nspec: { selector: { app: httpbin }, ports: [{ name: grpc, port: ${SERVER.mtlsPort} }, { name: grpc-plain, port: ${SERVER.plaintextPort} }] }\n`,
    `apiVersion: networking.trellis.dev/v1alpha1\nkind: WorkloadEntry\nmetadata: { name: httpbin-1, namespace: foo }\nspec: { address: ${SERVER.address}, serviceAccount: httpbin, labels: { app: httpbin, version: v1 }, ports: { grpc: ${SERVER.mtlsPort}, grpc-plain: ${SERVER.plaintextPort} } }\n`,
    `apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: { name: plaintext-port, namespace: foo }\nspec: { selector: { matchLabels: { app: httpbin } }, portLevelMtls: { "${SERVER.plaintextPort}": { mode: DISABLE } } }\n`,
  ].join('---\n'));
  write('policies.yaml', '# none\n');
  cp = new ControlPlane({ configDir, stateDir: path.join(dir, 'state'), xdsAddress: '127.0.0.1:0', caAddress: '127.0.0.1:0', adminAddress: '127.0.0.1:0' });
  await cp.start();
  const caDir = await initCaDir(cp.caDir, { trustDomain: 'cluster.local' });
  ca = await CertificateAuthority.create(caDir.signing, { trustDomain: 'cluster.local', additionalRootsPem: caDir.rootsPem });
  agent = new GrpcAgent({
    nodeId: 'httpbin-1.foo', identity: { trustDomain: 'cluster.local', namespace: 'foo', serviceAccount: 'httpbin' },
    xdsAddress: cp.addresses.xds, caAddress: cp.addresses.ca, tokenFile: cp.tokenFile({ name: 'httpbin-1', namespace: 'foo' }),
    controlPlaneRootsPem: [cp.trustBundlePem()], controlPlaneId: spiffeId('cluster.local', CONTROL_PLANE_IDENTITY.namespace, CONTROL_PLANE_IDENTITY.serviceAccount),
    dir: path.join(dir, 'agent'), relayHost: '127.0.3.1',
  });
  await agent.start();
  const methods = [...new Set(cases.map((c) => c.request.http!.path))];
  const addresses = [SERVER.mtlsPort, SERVER.plaintextPort].map((port) => `${SERVER.address}:${port}`).join(',');
  server = spawn(process.execPath, [path.join(__dirname, 'proxyless-grpc-server.js'), 'httpbin', addresses, ...methods], {
    env: { ...process.env, GRPC_XDS_BOOTSTRAP: agent.bootstrapFile, GRPC_XDS_EXPERIMENTAL_RBAC: 'true' },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    server.stdout!.once('data', () => resolve());
    server.once('exit', (code) => reject(new Error(`the gRPC server exited (${code})`)));
  });
}, 30_000);

afterAll(async () => {
  // Wait for the server to be gone: nothing of this run outlives it.
  if (server && server.exitCode === null) await new Promise((resolve) => server.once('exit', resolve).kill('SIGTERM'));
  agent?.stop();
  await cp?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const credentialsFor = new Map<string, Promise<IssuedCredentials>>();

/** A client per (principal, authority), on a fresh connection: the server drops old ones on each new Listener. */
async function client(principal: string | undefined, authority: string, userAgent: string | undefined): Promise<grpc.Client> {
  const options = { 'grpc.default_authority': authority, 'grpc.use_local_subchannel_pool': 1, ...(userAgent ? { 'grpc.primary_user_agent': userAgent } : {}) };
  if (principal === undefined) return new grpc.Client(`${SERVER.address}:${SERVER.plaintextPort}`, grpc.credentials.createInsecure(), options);
  if (!credentialsFor.has(principal)) credentialsFor.set(principal, localCredentialSource(ca, parseWorkloadId(principal))());
  const c = await credentialsFor.get(principal)!;
  // The server's identity is not under test here (secure naming is the client-side Cluster's job).
  const tls = grpc.credentials.createSsl(Buffer.from(joinPem(c.bundlePem)), Buffer.from(c.keyPem), Buffer.from(joinPem(c.chainPem)), { checkServerIdentity: () => undefined });
  return new grpc.Client(`${SERVER.address}:${SERVER.mtlsPort}`, tls, options);
}

function call(c: DecisionCase): Promise<'ALLOW' | 'DENY' | string> {
  const { principal, http } = c.request;
  const { 'user-agent': userAgent, ...headers } = http!.headers ?? {};
  return client(principal, http!.host, userAgent === undefined ? undefined : String(userAgent)).then((grpcClient) => new Promise((resolve) => {
    const metadata = new grpc.Metadata();
    for (const [name, values] of Object.entries(headers)) for (const value of [values].flat()) metadata.add(name, value);
    grpcClient.makeUnaryRequest(http!.path, raw, raw, Buffer.alloc(0), metadata, { deadline: Date.now() + 5000 }, (error) => {
      grpcClient.close();
      if (!error) resolve('ALLOW');
      else resolve(error.code === grpc.status.PERMISSION_DENIED ? 'DENY' : `error ${grpc.status[error.code]}: ${error.details}`);
    });
  }));
}

function synced(): boolean {
  const node = cp.proxyStatus().find((s) => s.node === 'httpbin-1.foo');
  const nacked = node?.types.find((t) => t.state === 'NACKED');
  if (nacked) throw new Error(`the gRPC server NACKed ${nacked.type}`);
  return !!node && node.types.length > 0 && node.types.every((t) => t.state === 'SYNCED');
}

test(`the decision table through a grpc-js-xds server agrees with the evaluator (${cases.length} of ${decisionCases.length} cases can be staged)`, async () => {
  const groups = new Map<string, DecisionCase[]>();
  for (const c of cases) {
    const key = JSON.stringify(c.policies);
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  const disagreements: string[] = [];
  for (const group of groups.values()) {
    const before = cp.meshModel;
    write('policies.yaml', group[0]!.policies.map((p) => JSON.stringify(p)).join('\n---\n') || '# none\n');
    // The push is in force once the server ACKed it: it swaps its listener config (inline
    // routes, no RDS) on the next tick, before the ACK has crossed the relay.
    await until(() => cp.meshModel !== before);
    await until(synced);
    for (const c of group) {
      const live = await call(c);
      const expected = evaluate(c.policies.map(parseAuthorizationPolicy), c.workload, asGrpc(c.request)).decision;
      if ((live !== expected || expected !== c.expect.decision) !== KNOWN_DIVERGENCES.includes(c.name)) disagreements.push(`${c.name}: grpc-js-xds ${live}, evaluator ${expected}, table ${c.expect.decision}`);
    }
  }
  const agree = cases.length - disagreements.length - KNOWN_DIVERGENCES.length;
  console.log(`decision table through a grpc-js-xds server: ${agree}/${cases.length} agree, ${KNOWN_DIVERGENCES.length} known divergence (${groups.size} policy sets pushed); `
    + `not staged: ${[...leftOut].map(([why, n]) => `${n} ${why}`).join(', ')}`);
  expect(disagreements).toEqual([]);
}, 60_000);
