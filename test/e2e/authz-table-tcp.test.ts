/**
 * Issue 6's decision table, TCP cases, through a real proxy: the callee is the table's
 * workload (foo, app=httpbin, version=v1) on an opaque TCP port, run by our proxy process
 * with the network RBAC our control plane translates; each caller is a TLS client holding a
 * certificate our CA issued for the case's principal (plaintext cases use the plaintext
 * chain that PERMISSIVE mTLS adds) and sends the case's SNI. A connection that echoes was
 * allowed; one the proxy closes was denied.
 *
 * Staging: the workload serves on 127.0.9.10:29080, not the table's 10.0.2.7:8000, so a
 * case's port 8000 is rewritten to 29080 in its policies and request; the evaluator judges
 * the case as staged (source and destination as they really are: loopback addresses) and a
 * case is run only when that still gives the table's answer. Left out: other workloads, trust
 * domains or root namespaces, and filter metadata (our proxy runs no mysql_proxy).
 * Only the decision is compared: a closed connection carries no policy name.
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import { CertificateAuthority, initCaDir, joinPem, parseWorkloadId } from '@trellis/pki';
import { localCredentialSource, type IssuedCredentials } from '@trellis/identity';
import { evaluate, parseAuthorizationPolicy, type RequestAttributes } from '@trellis/policy';
import { WORKLOAD, decisionCases, type DecisionCase } from '../../packages/policy/test/decisions.table';
import { LocalMesh, until } from './mesh-harness';

const CALLEE = { address: '127.0.9.10', port: 29080 };
const CALLER_ADDRESS = '127.0.9.11';
const TABLE_PORT = 8000;
const OUR_TRUST_DOMAIN = /^spiffe:\/\/cluster\.local\/ns\/[^/]+\/sa\/[^/]+$/;

interface Staged {
  c: DecisionCase;
  policies: object[];
  request: RequestAttributes;
}

/** The case as this mesh can run it, or undefined. */
function stage(c: DecisionCase): Staged | undefined {
  const r = c.request;
  if (r.http || JSON.stringify(c.workload) !== JSON.stringify(WORKLOAD) || c.options !== undefined || r.remoteIp || r.filterMetadata) return undefined;
  if (r.principal !== undefined && !OUR_TRUST_DOMAIN.test(r.principal)) return undefined;
  const policies = JSON.parse(JSON.stringify(c.policies).replaceAll(`"${TABLE_PORT}"`, `"${CALLEE.port}"`)) as object[];
  const request = { ...r, sourceIp: CALLER_ADDRESS, destinationIp: CALLEE.address, destinationPort: r.destinationPort === TABLE_PORT ? CALLEE.port : r.destinationPort };
  const staged = evaluate(policies.map(parseAuthorizationPolicy), c.workload, request).decision;
  return staged === c.expect.decision ? { c, policies, request } : undefined;
}

const tcpCases = decisionCases.filter((c) => !c.request.http);
const cases = tcpCases.map(stage).filter((s): s is Staged => s !== undefined);
let app: net.Server;
let mesh: LocalMesh;
let ca: CertificateAuthority;
const credentialsFor = new Map<string, Promise<IssuedCredentials>>();

beforeAll(async () => {
  app = net.createServer((s) => s.on('error', () => undefined).pipe(s));
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  const appPort = (app.address() as net.AddressInfo).port;
  mesh = new LocalMesh({
    'mesh.yaml': [
      `apiVersion: v1\nkind: Service\nmetadata: { name: httpbin, namespace: foo }\nspec: { selector: { app: httpbin }, ports: [{ name: tcp, port: ${CALLEE.port} }] }\n`,
      `apiVersion: networking.trellis.dev/v1alpha1\nkind: WorkloadEntry\nmetadata: { name: httpbin-1, namespace: foo, annotations: { sidecar.trellis.dev/app-ports: "tcp=${appPort}" } }\nspec: { address: ${CALLEE.address}, serviceAccount: httpbin, labels: { app: httpbin, version: v1 }, ports: { tcp: ${CALLEE.port} } }\n`,
      // PERMISSIVE adds the plaintext chain the table's plaintext cases need.
      `apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: { name: permissive, namespace: foo }\nspec: { selector: { matchLabels: { app: httpbin } }, mtls: { mode: PERMISSIVE } }\n`,
    ].join('---\n'),
    'policies.yaml': '# none\n',
  });
  await mesh.start();
  const caDir = await initCaDir(mesh.cp.caDir, { trustDomain: 'cluster.local' });
  ca = await CertificateAuthority.create(caDir.signing, { trustDomain: 'cluster.local', additionalRootsPem: caDir.rootsPem });
  mesh.proxy('httpbin-1.foo', 'httpbin');
  await until(synced);
}, 30_000);

afterAll(async () => {
  await mesh?.stop();
  await new Promise((r) => app?.close(r));
});

/** The proxy ACKed what it was last sent. No EDS here: the workload calls nothing, so mesh.synced's five types do not apply. */
function synced(): boolean {
  const node = mesh.cp.proxyStatus().find((s) => s.node === 'httpbin-1.foo');
  return !!node && node.types.some((t) => t.type === 'LDS') && node.types.every((t) => t.state === 'SYNCED');
}

/** Connect as the case's principal (plaintext without one), send a line: ALLOW if it comes back, DENY if the proxy closes. */
async function connect(request: RequestAttributes): Promise<'ALLOW' | 'DENY' | string> {
  let socket: net.Socket;
  const target = { host: CALLEE.address, port: CALLEE.port, localAddress: CALLER_ADDRESS };
  if (request.principal === undefined) {
    socket = net.connect(target, () => socket.write('ping\n'));
  } else {
    if (!credentialsFor.has(request.principal)) credentialsFor.set(request.principal, localCredentialSource(ca, parseWorkloadId(request.principal))());
    const c = await credentialsFor.get(request.principal)!;
    // The server's identity is not under test here (secure naming is the client-side Cluster's job).
    socket = tls.connect({
      ...target, ca: joinPem(c.bundlePem), cert: joinPem(c.chainPem), key: c.keyPem, checkServerIdentity: () => undefined, ...(request.sni ? { servername: request.sni } : {}),
    }, () => socket.write('ping\n'));
  }
  return new Promise((resolve) => {
    let answer = '';
    socket.setTimeout(3_000, () => socket.destroy(new Error('no answer in 3 s')));
    socket.on('data', (d: Buffer) => {
      answer += d.toString();
      if (answer === 'ping\n') socket.end();
    });
    socket.on('error', (e) => (answer ||= `error ${e.message}`));
    socket.on('close', () => resolve(answer === 'ping\n' ? 'ALLOW' : answer === '' ? 'DENY' : answer));
  });
}

test(`the decision table's TCP cases through a real proxy agree with the evaluator (${cases.length} of ${tcpCases.length} TCP cases can be staged)`, async () => {
  const groups = new Map<string, Staged[]>();
  for (const s of cases) groups.set(JSON.stringify(s.policies), [...(groups.get(JSON.stringify(s.policies)) ?? []), s]);
  const disagreements: string[] = [];
  let written = '# none\n';
  for (const group of groups.values()) {
    const text = group[0]!.policies.map((p) => JSON.stringify(p)).join('\n---\n') || '# none\n';
    if (text !== written) {
      const before = mesh.cp.meshModel;
      mesh.write('policies.yaml', (written = text));
      await until(() => mesh.cp.meshModel !== before);
      await until(synced);
    }
    for (const { c, policies, request } of group) {
      const live = await connect(request);
      const expected = evaluate(policies.map(parseAuthorizationPolicy), c.workload, request).decision;
      if (live !== expected || expected !== c.expect.decision) disagreements.push(`${c.name}: proxy ${live}, evaluator ${expected}, table ${c.expect.decision}`);
    }
  }
  console.log(`decision table TCP cases through a real proxy: ${cases.length - disagreements.length}/${cases.length} agree (${groups.size} policy sets pushed)`);
  expect(disagreements).toEqual([]);
}, 60_000);
