import {
  DiagnosticSink, decodeEnvelope, decodeInteger, decodeList, decodeObject, decodeSelector, decodeString, decodeStringList, type ValidationResult,
} from '@trellis/objects';
import type { WafPolicy } from '../model/mesh';

export const WAF_API_VERSIONS = ['security.trellis.dev/v1alpha1'] as const;
const RULE_SETS = ['trellis-default', 'owasp-crs'] as const;

/** A WafPolicy (deploy/crds/wafpolicies.security.trellis.dev.yaml): which workloads, which rules, how strict. */
export function decodeWafPolicy(input: unknown, defaultNamespace?: string): ValidationResult<WafPolicy> {
  const sink = new DiagnosticSink('WafPolicy');
  const envelope = decodeEnvelope(input, sink, { kind: 'WafPolicy', apiVersions: WAF_API_VERSIONS, ...(defaultNamespace ? { defaultNamespace } : {}) });
  if (!envelope) return sink.failed();
  const spec = decodeObject(envelope.spec, 'spec', sink, ['selector', 'mode', 'paranoiaLevel', 'ruleSet', 'exclusions', 'openapi']) ?? {};
  const selector = decodeSelector(spec['selector'], 'spec.selector', sink);
  const mode = decodeString(spec['mode'], 'spec.mode', sink);
  if (mode !== 'detect' && mode !== 'block') sink.error('spec.mode', `${JSON.stringify(spec['mode'])} must be detect or block (it is required)`);
  const paranoiaLevel = decodeInteger(spec['paranoiaLevel'], 'spec.paranoiaLevel', sink, 1, 4) ?? 1;
  const ruleSet = decodeString(spec['ruleSet'], 'spec.ruleSet', sink) ?? 'trellis-default';
  if (!(RULE_SETS as readonly string[]).includes(ruleSet)) sink.error('spec.ruleSet', `"${ruleSet}" is not one of ${RULE_SETS.join(', ')}`);
  if (ruleSet !== 'owasp-crs' && spec['paranoiaLevel'] !== undefined) sink.warn('spec.paranoiaLevel', 'only the owasp-crs rule set has paranoia levels; ignored');
  const openapi = decodeObject(spec['openapi'], 'spec.openapi', sink, ['configMapRef']);
  const ref = openapi && decodeObject(openapi['configMapRef'], 'spec.openapi.configMapRef', sink, ['name', 'key']);
  if (openapi && openapi['configMapRef'] === undefined) sink.error('spec.openapi.configMapRef', 'is required (the ConfigMap and key holding the OpenAPI document)');
  for (const field of ['name', 'key']) {
    if (ref && ref[field] === undefined) sink.error(`spec.openapi.configMapRef.${field}`, 'is required');
  }
  const configMapName = ref && decodeString(ref['name'], 'spec.openapi.configMapRef.name', sink);
  const configMapKey = ref && decodeString(ref['key'], 'spec.openapi.configMapRef.key', sink);
  const exclusions = decodeObject(spec['exclusions'], 'spec.exclusions', sink, ['ruleIds', 'tags', 'paths', 'parameters']) ?? {};
  const ruleIds = decodeList(exclusions['ruleIds'], 'spec.exclusions.ruleIds', sink)
    .map((id, i) => decodeInteger(id, `spec.exclusions.ruleIds[${i}]`, sink, 1, 9_999_999))
    .filter((id): id is number => id !== undefined);
  const paths = decodeStringList(exclusions['paths'], 'spec.exclusions.paths', sink, (p) => (p.startsWith('/') ? undefined : `"${p}" must start with /`));
  return sink.result({
    namespace: envelope.metadata.namespace,
    name: envelope.metadata.name,
    ...(envelope.metadata.creationTimestamp ? { creationTimestamp: envelope.metadata.creationTimestamp } : {}),
    ...(selector ? { selector } : {}),
    mode: mode === 'block' ? 'block' : 'detect',
    ruleSet: ruleSet as WafPolicy['ruleSet'],
    paranoiaLevel,
    exclusions: {
      ruleIds,
      tags: decodeStringList(exclusions['tags'], 'spec.exclusions.tags', sink),
      paths,
      parameters: decodeStringList(exclusions['parameters'], 'spec.exclusions.parameters', sink),
    },
    ...(configMapName && configMapKey ? { openapi: { configMapName, key: configMapKey } } : {}),
  });
}
