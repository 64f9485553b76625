import { decodeWafPolicy, emptyModel, wafPolicyFor, type WafPolicy, type Workload } from '../src';

const policy = (name: string, spec: object, extra: object = {}) => ({ apiVersion: 'security.trellis.dev/v1alpha1', kind: 'WafPolicy', metadata: { name, namespace: 'shop', ...extra }, spec });

test('a valid WafPolicy decodes with defaults', () => {
  expect(decodeWafPolicy(policy('w', { mode: 'block' })).value).toEqual({
    namespace: 'shop', name: 'w', mode: 'block', ruleSet: 'trellis-default', paranoiaLevel: 1,
    exclusions: { ruleIds: [], tags: [], paths: [], parameters: [] },
  });
});

test('bad fields are named', () => {
  const { errors } = decodeWafPolicy(policy('w', { mode: 'loud', paranoiaLevel: 7, ruleSet: 'crs', exclusions: { paths: ['admin'], ruleIds: [0] }, openapi: { configMap: 'x', key: 'y' } }));
  expect(errors.map((e) => `${e.field}: ${e.message}`)).toEqual([
    'spec.mode: "loud" must be detect or block (it is required)',
    'spec.paranoiaLevel: must be an integer from 1 to 4, got 7',
    'spec.ruleSet: "crs" is not one of trellis-default, owasp-crs',
    'spec.openapi.configMap: unknown field (expected one of configMapRef)',
    'spec.openapi.key: unknown field (expected one of configMapRef)',
    'spec.openapi.configMapRef: is required (the ConfigMap and key holding the OpenAPI document)',
    'spec.exclusions.ruleIds[0]: must be an integer from 1 to 9999999, got 0',
    'spec.exclusions.paths[0]: "admin" must start with /',
  ]);
});

test('a policy selecting the workload beats a namespace-wide one; the oldest wins a tie', () => {
  const decode = (p: object) => decodeWafPolicy(p).value!;
  const nsWide = decode(policy('ns-wide', { mode: 'detect' }, { creationTimestamp: '2026-01-01T00:00:00Z' }));
  const newer = decode(policy('newer', { mode: 'block', selector: { matchLabels: { app: 'reviews' } } }, { creationTimestamp: '2026-03-01T00:00:00Z' }));
  const older = decode(policy('older', { mode: 'block', selector: { matchLabels: { app: 'reviews' } } }, { creationTimestamp: '2026-02-01T00:00:00Z' }));
  const model = { ...emptyModel(), wafPolicies: [nsWide, newer, older] as WafPolicy[] };
  const reviews = { namespace: 'shop', labels: { app: 'reviews' } } as unknown as Workload;
  const other = { namespace: 'shop', labels: { app: 'ratings' } } as unknown as Workload;
  expect(wafPolicyFor(model, reviews)?.name).toBe('older');
  expect(wafPolicyFor(model, other)?.name).toBe('ns-wide');
  expect(wafPolicyFor(model, { ...other, namespace: 'elsewhere' })).toBeUndefined();
});
