import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FileSource, formatFileDiagnostic } from '../src';

const DEMO = path.resolve(__dirname, '../../../deploy/local/demo');
let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-files-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const write = (name: string, text: string) => fs.writeFileSync(path.join(dir, name), text);

test('the demo directory loads cleanly into one model', () => {
  const { model, diagnostics } = new FileSource(DEMO).load();
  expect(diagnostics.filter((d) => d.severity === 'error').map(formatFileDiagnostic)).toEqual([]);
  expect(model.services.map((s) => `${s.namespace}/${s.name}:${s.ports.map((p) => `${p.port}/${p.protocol}`)}`)).toEqual(['shop/frontend:8080/http', 'shop/reviews:9080/http', 'shop/ratings:9090/http']);
  expect(model.workloads.map((w) => w.name)).toEqual(['frontend-1', 'reviews-v1', 'reviews-v2', 'ratings-1']);
  expect(model.authorizationPolicies.map((p) => p.metadata.name)).toEqual(['reviews-readers', 'reviews-no-admin', 'ratings-callers']);
});

test('an invalid document is rejected with file, line, object and field; the rest loads', () => {
  write('a.yaml', [
    'apiVersion: v1\nkind: Service\nmetadata: { name: good, namespace: x }\nspec: { selector: { app: good }, ports: [{ name: http, port: 80 }] }',
    'apiVersion: v1\nkind: Service\nmetadata: { name: bad, namespace: x }\nspec: { ports: [{ name: http, port: 70000 }] }',
  ].join('\n---\n'));
  const { model, diagnostics } = new FileSource(dir).load();
  expect(model.services.map((s) => s.name)).toEqual(['good']);
  expect(diagnostics.map(formatFileDiagnostic)).toEqual([
    'a.yaml:6: error: Service x/bad: spec.ports[0].port: must be an integer from 1 to 65535, got 70000',
  ]);
});

test('a WorkloadEntry\'s egress-namespaces annotation: namespaces, "." and "*" load; anything else is refused by name', () => {
  const entry = (name: string, egress: string) =>
    `apiVersion: networking.trellis.dev/v1alpha1\nkind: WorkloadEntry\nmetadata: { name: ${name}, namespace: x, annotations: { sidecar.trellis.dev/egress-namespaces: "${egress}" } }\n` +
    `spec: { address: 127.0.0.5, ports: { http: 80 } }`;
  write('w.yaml', [entry('scoped', '., payments'), entry('all', '*'), entry('bad', 'payments,-x'), entry('none', ' , ')].join('\n---\n'));
  const { model, diagnostics } = new FileSource(dir).load();
  expect(model.workloads.map((w) => `${w.name}:${w.sidecar.egressNamespaces}`)).toEqual(['scoped:.,payments', 'all:*']);
  expect(diagnostics.map(formatFileDiagnostic)).toEqual([
    'w.yaml:11: error: WorkloadEntry x/bad: metadata.annotations["sidecar.trellis.dev/egress-namespaces"]: "-x" is not a namespace, "." or "*"',
    'w.yaml:16: error: WorkloadEntry x/none: metadata.annotations["sidecar.trellis.dev/egress-namespaces"]: lists no namespace: use "." for the workload\'s own or "*" for all',
  ]);
});

test('a broken edit keeps the last valid version of that object in force', () => {
  write('w.yaml', 'apiVersion: networking.trellis.dev/v1alpha1\nkind: WorkloadEntry\nmetadata: { name: w, namespace: x }\nspec: { address: 127.0.0.5, ports: { http: 80 } }\n');
  const source = new FileSource(dir);
  expect(source.load().model.workloads[0]!.address).toBe('127.0.0.5');
  write('w.yaml', 'apiVersion: networking.trellis.dev/v1alpha1\nkind: WorkloadEntry\nmetadata: { name: w, namespace: x }\nspec: { address: not-an-ip, ports: { http: 80 } }\n');
  const { model, diagnostics } = source.load();
  expect(model.workloads[0]!.address).toBe('127.0.0.5');
  expect(diagnostics.map(formatFileDiagnostic)).toEqual([
    'w.yaml:1: error: WorkloadEntry x/w: spec.address: "not-an-ip" must be an IP address (it is required)',
    'w.yaml:1: warning: WorkloadEntry x/w: (object): keeping the last valid version until this one is fixed',
  ]);
});

test('YAML syntax errors, unknown kinds, unknown fields and duplicates are reported', () => {
  write('a.yaml', 'apiVersion: v1\nkind: Service\nmetadata: { name: s, namespace: x }\nspec: { ports: [{ name: http, port: 80 }] }\n---\nkind: [unclosed\n');
  write('b.yaml', 'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: d }\n---\napiVersion: v1\nkind: Service\nmetadata: { name: s, namespace: x }\nspec: { ports: [{ name: http, port: 81 }] }\n');
  write('c.yaml', 'apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: { name: p, namespace: x }\nspec: { action: ALLOW, rulez: [] }\n');
  const messages = new FileSource(dir).load().diagnostics.map(formatFileDiagnostic);
  expect(messages.some((m) => m.startsWith('a.yaml:7: error: (document): (yaml):'))).toBe(true);
  expect(messages).toContain('b.yaml:1: warning: (document): kind: apps/v1 Deployment is not a kind the mesh reads; ignored');
  expect(messages).toContain('b.yaml:5: error: Service x/s: metadata.name: already defined in a.yaml; this copy is ignored');
  expect(messages.some((m) => m.startsWith('c.yaml:1: error: AuthorizationPolicy x/p: spec.rulez: unknown field'))).toBe(true);
});

test('watch() reloads after an edit', async () => {
  write('s.yaml', 'apiVersion: v1\nkind: Service\nmetadata: { name: s, namespace: x }\nspec: { ports: [{ name: http, port: 80 }] }\n');
  const source = new FileSource(dir);
  source.load();
  source.watch(10);
  const changed = new Promise<number>((resolve) => source.once('change', (r) => resolve(r.model.services[0]!.ports[0]!.port)));
  write('s.yaml', 'apiVersion: v1\nkind: Service\nmetadata: { name: s, namespace: x }\nspec: { ports: [{ name: http, port: 81 }] }\n');
  expect(await changed).toBe(81);
  source.close();
});
