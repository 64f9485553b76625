/**
 * Issue 6's decision table, replayed through real proxies over mTLS: the caller is a
 * real workload with identity spiffe://cluster.local/ns/bar/sa/sleep, the callee the
 * table's workload (foo, app=httpbin, version=v1). For each case its policies are
 * written to the config directory, pushed, and one real request decides. Cases the
 * local mesh cannot stage (other source IPs or identities, TCP, SNI, JWTs, other
 * trust domains or root namespaces, other workload labels) are left to the evaluator
 * and engine runs.
 */
import * as http from 'node:http';
import { evaluate, parseAuthorizationPolicy } from '@trellis/policy';
import { WORKLOAD, decisionCases, type DecisionCase } from '../../packages/policy/test/decisions.table';
import { LocalMesh, service, until, workload } from './mesh-harness';

const SLEEP = 'spiffe://cluster.local/ns/bar/sa/sleep';
const CALLER = { address: '127.0.0.61', outbound: 15001 };
const UNSTAGEABLE = /ipBlocks|IpBlocks|source\.ip|remote\.ip|destination\.ip|destination\.port|"ports"|notPorts|connection\.sni|request\.auth|equestPrincipals|experimental|audiences|presenter|claims/;

function stageable(c: DecisionCase): boolean {
  return JSON.stringify(c.workload) === JSON.stringify(WORKLOAD) && c.request.principal === SLEEP && !!c.request.http && c.options === undefined && !c.request.remoteIp && !c.request.filterMetadata && !UNSTAGEABLE.test(JSON.stringify(c.policies));
}

const cases = decisionCases.filter(stageable);
const mesh = new LocalMesh({
  'services.yaml': [service('httpbin', 8000), service('sleep', 80)].join('---\n').replace('namespace: shop }\nspec: { selector: {"app":"sleep"}', 'namespace: bar }\nspec: { selector: {"app":"sleep"}').replace(/namespace: shop/, 'namespace: foo'),
  'workloads.yaml': [
    workload('httpbin-1', { app: 'httpbin', version: 'v1' }, 'httpbin', '127.0.0.62', 8000, 23000).replace('namespace: shop', 'namespace: foo'),
    workload('sleep-1', { app: 'sleep' }, 'sleep', CALLER.address, 80, 23080).replace('namespace: shop', 'namespace: bar'),
  ].join('---\n'),
});

function request(c: DecisionCase): Promise<{ status: number; deniedBy?: string }> {
  const { method, path, host, headers = {} } = c.request.http!;
  return new Promise((resolve, reject) => {
    const req = http.request({ host: CALLER.address, port: CALLER.outbound, method, path, headers: { ...headers, host }, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ...(res.headers['x-trellis-denied-by'] ? { deniedBy: String(res.headers['x-trellis-denied-by']) } : {}) }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  await mesh.start();
  await mesh.app('httpbin', 23000);
  mesh.proxy('httpbin-1.foo', 'httpbin');
  mesh.proxy('sleep-1.bar', 'sleep');
  await until(mesh.synced(['httpbin-1.foo', 'sleep-1.bar']));
}, 60_000);

afterAll(() => mesh.stop());

test(`the decision table through real proxies over mTLS agrees with the evaluator (${cases.length} of ${decisionCases.length} cases can be staged)`, async () => {
  const disagreements: string[] = [];
  for (const c of cases) {
    mesh.write('policies.yaml', c.policies.map((p) => JSON.stringify(p)).join('\n---\n') || '# none\n');
    // The pushed config is in force once both proxies report SYNCED again.
    await new Promise((r) => setTimeout(r, 150));
    await until(mesh.synced(['httpbin-1.foo', 'sleep-1.bar']));
    const live = await request(c);
    const liveDecision = live.status === 403 && live.deniedBy ? 'DENY' : 'ALLOW';
    const expected = evaluate(c.policies.map(parseAuthorizationPolicy), c.workload, c.request);
    // A 403 names the deciding policy and rule as Istio's RBAC policy names do.
    const reason = c.expect.reason;
    const expectedDeniedBy = c.expect.decision === 'ALLOW' ? undefined
      : typeof reason === 'string' ? 'no ALLOW policy matched'
      : `ns[${reason.policy.split('/')[0]}]-policy[${reason.policy.split('/')[1]}]-rule[${reason.ruleIndex}]`;
    if (liveDecision !== c.expect.decision || expected.decision !== c.expect.decision || live.deniedBy !== expectedDeniedBy) {
      disagreements.push(`${c.name}: proxy ${liveDecision} (${live.status} ${live.deniedBy ?? ''}), evaluator ${expected.decision}, table ${c.expect.decision} (${expectedDeniedBy ?? ''})`);
    }
  }
  console.log(`decision table through real proxies: ${cases.length - disagreements.length}/${cases.length} agree`);
  expect(disagreements).toEqual([]);
}, 180_000);
