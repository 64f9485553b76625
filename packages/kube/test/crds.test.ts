import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import { parseAllDocuments } from 'yaml';

const REPO = path.resolve(__dirname, '../../..');
const CRD_DIR = path.join(REPO, 'deploy/crds');
const DEMO_DIR = path.join(REPO, 'deploy/local/demo');

interface Crd {
  spec: { group: string; names: { kind: string }; versions: { name: string; schema: { openAPIV3Schema: object } }[] };
}

function yamlDocuments(file: string): Record<string, unknown>[] {
  return parseAllDocuments(fs.readFileSync(file, 'utf8')).map((d) => d.toJS() as Record<string, unknown>).filter(Boolean);
}

// Kubernetes' extensions to OpenAPI are annotations to a JSON-schema validator; the CEL
// rules (x-kubernetes-validations) are the API server's to evaluate, not ajv's.
const ajv = new Ajv({ allErrors: true, strict: true });
for (const keyword of ['x-kubernetes-validations', 'x-kubernetes-preserve-unknown-fields']) ajv.addKeyword(keyword);

const crds = fs.readdirSync(CRD_DIR).filter((f) => f.endsWith('.yaml')).map((f) => yamlDocuments(path.join(CRD_DIR, f))[0] as unknown as Crd);
/**
 * Structural schemas may not say additionalProperties: false; the API server instead
 * rejects unknown fields under strict field validation (kubectl's default), so the
 * test closes every object with declared properties the same way.
 */
function withStrictFields(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withStrictFields);
  if (schema === null || typeof schema !== 'object') return schema;
  const out = Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, k === 'x-kubernetes-validations' ? v : withStrictFields(v)]));
  if ('properties' in out && !('x-kubernetes-preserve-unknown-fields' in out)) out['additionalProperties'] = false;
  return out;
}

/** The API server declares the envelope of every kind itself; CRD schemas only add spec and status. */
function withEnvelope(schema: { properties?: object }): object {
  return { ...schema, properties: { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' }, ...schema.properties } };
}

const validators = new Map<string, ValidateFunction>();
for (const crd of crds) {
  for (const version of crd.spec.versions) validators.set(crd.spec.names.kind, ajv.compile(withStrictFields(withEnvelope(version.schema.openAPIV3Schema)) as object));
}

function validate(object: Record<string, unknown>): string[] {
  const check = validators.get(object['kind'] as string);
  if (!check) throw new Error(`no CRD for ${String(object['kind'])}`);
  return check(object) ? [] : (check.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

const demoObjects = fs.readdirSync(DEMO_DIR).flatMap((f) => yamlDocuments(path.join(DEMO_DIR, f)));
const ours = demoObjects.filter((o) => validators.has(o['kind'] as string));

const object = (apiVersion: string, kind: string, spec: unknown) => ({ apiVersion, kind, metadata: { name: 'x', namespace: 'shop' }, spec });

describe('CustomResourceDefinitions', () => {
  test('cover every mesh kind, each in its group and version', () => {
    expect(crds.map((c) => `${c.spec.group}/${c.spec.versions.map((v) => v.name).join(',')} ${c.spec.names.kind}`).sort()).toEqual([
      'networking.trellis.dev/v1alpha1 WorkloadEntry',
      'security.trellis.dev/v1 AuthorizationPolicy',
      'security.trellis.dev/v1 PeerAuthentication',
      'security.trellis.dev/v1alpha1 WafPolicy',
    ]);
  });

  test('the demo has objects of our kinds to check', () => {
    expect(ours.length).toBeGreaterThan(0);
  });

  test.each(ours.map((o) => [`${o['kind']} ${(o['metadata'] as { name: string }).name}`, o] as const))('accepts the demo %s', (_, demo) => {
    expect(validate(demo)).toEqual([]);
  });

  test.each([
    ['PeerAuthentication', object('security.trellis.dev/v1', 'PeerAuthentication', { selector: { matchLabels: { app: 'db' } }, mtls: { mode: 'STRICT' }, portLevelMtls: { 8080: { mode: 'PERMISSIVE' } } })],
    ['WafPolicy', object('security.trellis.dev/v1alpha1', 'WafPolicy', {
      selector: { matchLabels: { app: 'frontend' } }, mode: 'block', paranoiaLevel: 2, ruleSet: 'owasp-crs',
      exclusions: { ruleIds: [942100], tags: ['attack-sqli'], paths: ['/healthz'], parameters: ['search'] },
      openapi: { configMapRef: { name: 'frontend-api', key: 'openapi.yaml' } },
    })],
    ['AuthorizationPolicy with when and targetRef', object('security.trellis.dev/v1', 'AuthorizationPolicy', {
      targetRef: { kind: 'Service', name: 'reviews' }, action: 'DENY', rules: [{ to: [{ operation: { ports: ['8080'] } }], when: [{ key: 'request.headers[x-user]', values: ['bot'] }] }],
    })],
  ])('accepts a valid %s', (_, valid) => {
    expect(validate(valid)).toEqual([]);
  });

  test.each([
    ['an unknown action', object('security.trellis.dev/v1', 'AuthorizationPolicy', { action: 'PERMIT' }), '/spec/action must be equal to one of the allowed values'],
    ['a port that is not a number', object('security.trellis.dev/v1', 'AuthorizationPolicy', { rules: [{ to: [{ operation: { ports: ['http'] } }] }] }), '/spec/rules/0/to/0/operation/ports/0 must match pattern'],
    ['a misspelled field', object('security.trellis.dev/v1', 'AuthorizationPolicy', { rule: [] }), '/spec must NOT have additional properties'],
    ['a condition without key', object('security.trellis.dev/v1', 'AuthorizationPolicy', { rules: [{ when: [{ values: ['a'] }] }] }), "/spec/rules/0/when/0 must have required property 'key'"],
    ['an unknown mTLS mode', object('security.trellis.dev/v1', 'PeerAuthentication', { mtls: { mode: 'ON' } }), '/spec/mtls/mode must be equal to one of the allowed values'],
    ['a port-level mode that is unknown', object('security.trellis.dev/v1', 'PeerAuthentication', { selector: { matchLabels: { a: 'b' } }, portLevelMtls: { 8080: { mode: 'ON' } } }), '/spec/portLevelMtls/8080/mode must be equal to one of the allowed values'],
    ['a port out of range', object('networking.trellis.dev/v1alpha1', 'WorkloadEntry', { address: '10.0.0.1', ports: { http: 70000 } }), '/spec/ports/http must be <= 65535'],
    ['a weight below zero', object('networking.trellis.dev/v1alpha1', 'WorkloadEntry', { address: '10.0.0.1', weight: -1 }), '/spec/weight must be >= 0'],
    ['paranoia level 5', object('security.trellis.dev/v1alpha1', 'WafPolicy', { mode: 'block', paranoiaLevel: 5 }), '/spec/paranoiaLevel must be <= 4'],
    ['an unknown WAF mode', object('security.trellis.dev/v1alpha1', 'WafPolicy', { mode: 'monitor' }), '/spec/mode must be equal to one of the allowed values'],
    ['an unknown rule set', object('security.trellis.dev/v1alpha1', 'WafPolicy', { mode: 'block', ruleSet: 'crs-4' }), '/spec/ruleSet must be equal to one of the allowed values'],
    ['a WAF policy without mode', object('security.trellis.dev/v1alpha1', 'WafPolicy', {}), "/spec must have required property 'mode'"],
    ['an OpenAPI reference without key', object('security.trellis.dev/v1alpha1', 'WafPolicy', { mode: 'detect', openapi: { configMapRef: { name: 'api' } } }), "/spec/openapi/configMapRef must have required property 'key'"],
    ['an excluded path that is not a path', object('security.trellis.dev/v1alpha1', 'WafPolicy', { mode: 'detect', exclusions: { paths: ['healthz'] } }), '/spec/exclusions/paths/0 must match pattern'],
  ])('rejects %s', (_, invalid, expected) => {
    expect(validate(invalid).join('\n')).toContain(expected);
  });
});
