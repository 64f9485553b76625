import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ENVOY_RESOURCE_TYPES, TypeUrl, unpackAny, type ValidatedListener } from '@trellis/xds';
import { decodeDocument, FileSource, formatFileDiagnostic, sidecarSnapshot, type MeshSettings } from '../src';

const SETTINGS: MeshSettings = { trustDomain: 'cluster.local', rootNamespace: 'trellis-system', defaultMtls: 'STRICT', trustBundlePem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n', outboundTrafficPolicy: 'ALLOW_ANY' };

const OPENAPI = `openapi: 3.1.0
info: { title: reviews, version: "1" }
paths:
  /reviews/{id}:
    get:
      parameters: [{ name: id, in: path, required: true, schema: { type: integer } }]
`;

const mesh = (configMap: string, wafSpec = 'openapi: { configMapRef: { name: reviews-openapi, key: openapi.yaml } }') => `
apiVersion: v1
kind: Service
metadata: { name: reviews, namespace: shop }
spec: { selector: { app: reviews }, ports: [{ name: http, port: 9080 }] }
---
apiVersion: networking.trellis.dev/v1alpha1
kind: WorkloadEntry
metadata: { name: reviews-v1, namespace: shop }
spec: { address: 127.0.1.12, serviceAccount: reviews, labels: { app: reviews }, ports: { http: 9080 } }
---
apiVersion: security.trellis.dev/v1alpha1
kind: WafPolicy
metadata: { name: reviews-waf, namespace: shop }
spec:
  selector: { matchLabels: { app: reviews } }
  mode: block
  ${wafSpec}
---
${configMap}`;

const configMap = (data: string) => `apiVersion: v1
kind: ConfigMap
metadata: { name: reviews-openapi, namespace: shop }
data:
  openapi.yaml: |
${data.split('\n').map((l) => `    ${l}`).join('\n')}`;

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-openapi-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function load(yaml: string) {
  fs.writeFileSync(path.join(dir, 'mesh.yaml'), yaml);
  const { model, diagnostics } = new FileSource(dir).load();
  const workload = model.workloads.find((w) => w.name === 'reviews-v1')!;
  const snapshot = sidecarSnapshot(model, workload, SETTINGS);
  const listener = ENVOY_RESOURCE_TYPES[3]!.decode(snapshot.get(TypeUrl.Listener)!.resources.get('inbound|9080')!.any).value as ValidatedListener;
  const filters = listener.httpConnectionManagers.get(0)!.http_filters;
  return { diagnostics: diagnostics.map(formatFileDiagnostic), filters };
}

test('a WafPolicy with an OpenAPI document puts the OpenAPI filter after the WAF, its document carried as JSON in LDS', () => {
  const { diagnostics, filters } = load(mesh(configMap(OPENAPI)));
  expect(diagnostics).toEqual([]);
  expect(filters.map((f) => f.typed_config!.type_url.split('.').pop())).toEqual(['Waf', 'OpenApi', 'Router']);
  const config = unpackAny<{ document: string; mode: string; policy: string }>(filters[1]!.typed_config!);
  expect(config).toMatchObject({ mode: 'BLOCK', policy: 'shop/reviews-waf' });
  expect(JSON.parse(config.document)).toMatchObject({ openapi: '3.1.0', paths: { '/reviews/{id}': { get: {} } } });
});

test.each([
  ['a missing ConfigMap', mesh(''), 'spec.openapi.configMapRef.name: ConfigMap shop/reviews-openapi does not exist'],
  ['a missing key', mesh(configMap(OPENAPI).replace('openapi.yaml:', 'other.yaml:')), 'spec.openapi.configMapRef.key: ConfigMap shop/reviews-openapi has no key "openapi.yaml"'],
  ['an invalid document', mesh(configMap(OPENAPI.replace('type: integer', 'type: integr'))), 'spec.openapi: ConfigMap shop/reviews-openapi key "openapi.yaml" is not a usable OpenAPI document: paths./reviews/{id}.get.parameters[0].schema.type'],
  ['YAML that does not parse', mesh(configMap('openapi: [3.1.0')), 'spec.openapi: ConfigMap shop/reviews-openapi key "openapi.yaml" is not a usable OpenAPI document'],
])('%s is an error at the WafPolicy; its WAF and the rest of the mesh keep working', (_, yaml, message) => {
  const { diagnostics, filters } = load(yaml);
  expect(diagnostics).toHaveLength(1);
  expect(diagnostics[0]).toMatch(/^mesh\.yaml:\d+: error: WafPolicy shop\/reviews-waf: /);
  expect(diagnostics[0]).toContain(message);
  expect(filters.map((f) => f.typed_config!.type_url.split('.').pop())).toEqual(['Waf', 'Router']);
});

test('spec.openapi and ConfigMap fields are checked when decoded', () => {
  const errors = (document: object) => {
    const decoded = decodeDocument(document, 'shop');
    return 'result' in decoded ? decoded.result.errors.map((e) => `${e.object}: ${e.field}: ${e.message}`) : [decoded.unknownKind];
  };
  const waf = (openapi: unknown) => ({ apiVersion: 'security.trellis.dev/v1alpha1', kind: 'WafPolicy', metadata: { name: 'w' }, spec: { mode: 'block', openapi } });
  expect(errors(waf({ configMapRef: { name: 'docs' } }))).toEqual(['WafPolicy shop/w: spec.openapi.configMapRef.key: is required']);
  expect(errors(waf({ url: 'https://example.com/openapi.json' }))).toEqual([
    'WafPolicy shop/w: spec.openapi.url: unknown field (expected one of configMapRef)',
    'WafPolicy shop/w: spec.openapi.configMapRef: is required (the ConfigMap and key holding the OpenAPI document)',
  ]);
  expect(errors(waf({ configMapRef: { name: 7, key: 'k' } }))).toEqual(['WafPolicy shop/w: spec.openapi.configMapRef.name: must be a string, got 7']);
  expect(errors({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'docs' }, data: { 'a.yaml': 5 } })).toEqual(['ConfigMap shop/docs: data.a.yaml: must be a string, got 5']);
  expect(errors({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'docs' }, data: { 'a.yaml': 'x' }, binaryData: {} })).toEqual([]);
});
