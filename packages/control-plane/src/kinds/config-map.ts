import { DiagnosticSink, decodeEnvelope, decodeStringMap, type ValidationResult } from '@trellis/objects';
import type { ConfigMap } from '../model/mesh';

/** A Kubernetes `v1/ConfigMap`: its text `data` (WafPolicies read OpenAPI documents from it). */
export function decodeConfigMap(input: unknown, defaultNamespace?: string): ValidationResult<ConfigMap> {
  const sink = new DiagnosticSink('ConfigMap');
  const envelope = decodeEnvelope(input, sink, {
    kind: 'ConfigMap', apiVersions: ['v1'], extraFields: ['data', 'binaryData', 'immutable'], ...(defaultNamespace ? { defaultNamespace } : {}),
  });
  if (!envelope) return sink.failed();
  const data = decodeStringMap((input as { data?: unknown }).data, 'data', sink) ?? {};
  return sink.result({ namespace: envelope.metadata.namespace, name: envelope.metadata.name, data });
}
