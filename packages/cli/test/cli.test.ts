import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

// Runs the built command as a user would (`npm test` builds first).
const MAIN = path.resolve(__dirname, '../dist/main.js');
const run = (...args: string[]) => spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 60_000 });

test('proxyless-demo --once shows a routed call, a weight change moving traffic and a NACK kept apart', () => {
  const { status, stdout, stderr } = run('proxyless-demo', '--once', '--port', '0');
  expect(stderr).toBe('');
  expect(status).toBe(0);
  expect(stdout).toMatch(/10 calls to xds:\/\/\/greeter: greeter-v1 ×10/);
  expect(stdout).toMatch(/40 calls: greeter-v1 ×\d+, greeter-v2 ×\d+/);
  expect(stdout).toMatch(/CDS .*NACKED: .*unsupported lb_policy: MAGLEV/);
  expect(stdout).toMatch(/RDS .*SYNCED/);
  // In the mesh: grpc-js-xds client → server over mTLS via the agents, the server enforcing the policy.
  expect(stdout).toMatch(/Greeter\/Who OK from greeter-1, which saw caller spiffe:\/\/cluster.local\/ns\/shop\/sa\/frontend/);
  expect(stdout).toMatch(/Greeter\/Admin PERMISSION_DENIED/);
});

test('an unknown command or bad option is a usage error (exit 2) that says what to do', () => {
  const unknown = run('deploy');
  expect(unknown.status).toBe(2);
  expect(unknown.stderr).toContain('trellis: unknown command "deploy"');
  expect(unknown.stderr).toContain('trellis help');
  const badPort = run('proxyless-demo', '--port', 'abc');
  expect(badPort.status).toBe(2);
  expect(badPort.stderr).toContain('--port: "abc" is not a port number');
  const badPolicy = run('control-plane', '--config-dir', os.tmpdir(), '--outbound-traffic-policy', 'DENY_ALL');
  expect(badPolicy.status).toBe(2);
  expect(badPolicy.stderr).toContain('--outbound-traffic-policy: "DENY_ALL" is not ALLOW_ANY or REGISTRY_ONLY');
});

test('help lists the commands', () => {
  expect(run('help').stdout).toContain('demo');
});

test('demo --once runs a real local mesh: mTLS identities, STRICT plaintext refusal, policy decisions, all proxies synced', () => {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-demo-'));
  const { status, stdout, stderr } = spawnSync(process.execPath, [MAIN, 'demo', '--once', '--base-port', '0', '--state-dir', stateDir], { encoding: 'utf8', timeout: 90_000 });
  expect(stderr).toBe('');
  expect(status).toBe(0);
  expect(stdout).toMatch(/×3 200 from reviews-v1, which saw caller spiffe:\/\/cluster.local\/ns\/shop\/sa\/frontend/);
  expect(stdout).toMatch(/×3 200 from reviews-v2, which saw caller spiffe:\/\/cluster.local\/ns\/shop\/sa\/frontend/);
  expect(stdout).toMatch(/refused/);
  expect(stdout).toMatch(/frontend → POST reviews +403 denied by no ALLOW policy matched/);
  expect(stdout).toMatch(/frontend → GET {2}reviews\/admin +403 denied by ns\[shop\]-policy\[reviews-no-admin\]-rule\[0\]/);
  expect(stdout).toMatch(/reviews {2}→ GET {2}ratings +200 from ratings-1, which saw caller spiffe:\/\/cluster.local\/ns\/shop\/sa\/reviews/);
  expect(stdout).toMatch(/reviews\?id=1' OR '1'='1 +403 blocked by WAF rule 1000100/);
  expect(stdout).toMatch(/reviews\?q=<script>… +403 blocked by WAF rule 1000200/);
  expect(stdout).toMatch(/reviews\?sort=newest +200 from reviews-v[12]/);
  expect(stdout).toMatch(/reviews\/abc +400 refused by OpenAPI: GET \/reviews\/\{id\}: path\.id must be integer/);
  expect(stdout).toMatch(/leaf {2}identity {3}spiffe:\/\/cluster.local\/ns\/shop\/sa\/reviews/);
  expect(stdout).toMatch(/leaf {2}valid .*\(2[34]\.\d h left\)/);
  expect(stdout.match(/SYNCED {2}SYNCED {2}SYNCED {2}SYNCED {2}SYNCED/g)).toHaveLength(4);
}, 120_000);

test('validate reports errors with file, line, object and field, and exits 1', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-validate-'));
  fs.writeFileSync(path.join(dir, 'svc.yaml'), 'apiVersion: v1\nkind: Service\nmetadata: { name: s, namespace: x }\nspec: { ports: [{ name: http, port: 0 }] }\n');
  const { status, stdout } = run('validate', dir);
  expect(status).toBe(1);
  expect(stdout).toContain('svc.yaml:1: error: Service x/s: spec.ports[0].port: must be an integer from 1 to 65535, got 0');
  const ok = run('validate', path.resolve(__dirname, '../../../deploy/local/demo'));
  expect(ok.status).toBe(0);
  expect(ok.stdout).toMatch(/3 services, 4 workloads, 3 authorization policies, 0 peer authentications, 1 WAF policies; 0 errors/);
});

test('authz check answers offline with the deciding policy, as the proxies decide live in the demo', () => {
  const demo = path.resolve(__dirname, '../../../deploy/local/demo');
  const post = run('authz', 'check', '--config-dir', demo, '--from', 'frontend-1.shop', '--to', 'reviews.shop', '--method', 'POST');
  expect(post.status).toBe(3);
  expect(post.stdout).toContain('DENY  reviews-v1.shop:9080  (no ALLOW policy matched)');
  const admin = run('authz', 'check', '--config-dir', demo, '--from', 'frontend-1.shop', '--to', 'reviews.shop', '--path', '/admin/users');
  expect(admin.stdout).toContain('DENY  reviews-v2.shop:9080  (policy shop/reviews-no-admin, rule 0)');
  const ok = run('authz', 'check', '--config-dir', demo, '--from', 'cluster.local/ns/shop/sa/reviews', '--to', 'ratings.shop');
  expect(ok.status).toBe(0);
  expect(ok.stdout).toContain('ALLOW ratings-1.shop:9090  (policy shop/ratings-callers, rule 0)');
  expect(run('authz', 'check', '--config-dir', demo, '--from', 'nobody', '--to', 'reviews.shop').stderr).toContain('--from "nobody": not a SPIFFE ID');
});

test('install renders the manifest for a namespace and tag; uninstall removes the webhook first', () => {
  const install = run('install', '--namespace', 'mesh-x', '--tag', 'v0.1.0');
  expect(install.status).toBe(0);
  expect(install.stdout.match(/^kind: CustomResourceDefinition$/gm)).toHaveLength(4);
  expect(install.stdout).toContain('image: ghcr.io/trellis-mesh/control-plane:v0.1.0');
  expect(install.stdout).not.toContain('namespace: trellis-system');
  const uninstall = run('uninstall');
  expect(uninstall.stdout.indexOf('kind: MutatingWebhookConfiguration')).toBeLessThan(uninstall.stdout.indexOf('kind: Deployment'));
  expect(run('install', '--replicas', '0').status).toBe(2);
});

test('config-dump and cert name a missing --admin as a usage error, and an unreachable proxy clearly', () => {
  expect(run('config-dump').stderr).toContain('config-dump: --admin <host:port> of the proxy is required');
  const down = run('config-dump', '--admin', '127.0.0.1:1');
  expect(down.status).toBe(1);
  expect(down.stderr).toContain('cannot reach the admin endpoint at http://127.0.0.1:1/config_dump');
});
