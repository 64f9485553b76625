import { compileOpenApi } from '@trellis/openapi';
import type { Diagnostic } from '@trellis/objects';
import { parse } from 'yaml';
import type { MeshModel, WafPolicy } from '../model/mesh';

/** A WafPolicy's OpenAPI document as the proxy gets it (JSON text), or why it cannot have one. */
export type OpenApiDocument = { json: string } | { error: Diagnostic };

/** Documents by their ConfigMap text: a reload (or a cluster event) compiles only what changed. */
const checked = new Map<string, { json: string } | { problem: string }>();
const CHECKED_LIMIT = 64;

/** Parses (YAML or JSON) and compiles the document once, so a bad one is reported here, never in a proxy. */
function check(text: string): { json: string } | { problem: string } {
  let result = checked.get(text);
  if (result) return result;
  try {
    const document = parse(text) as unknown;
    compileOpenApi(document);
    result = { json: JSON.stringify(document) };
  } catch (error) {
    result = { problem: (error as Error).message.split('\n')[0]! };
  }
  if (checked.size >= CHECKED_LIMIT) checked.delete(checked.keys().next().value!);
  checked.set(text, result);
  return result;
}

/** The document a WafPolicy references (`spec.openapi.configMapRef`), from a ConfigMap in its namespace. */
export function openApiDocumentOf(model: MeshModel, policy: WafPolicy): OpenApiDocument | undefined {
  const ref = policy.openapi;
  if (!ref) return undefined;
  const error = (field: string, message: string): OpenApiDocument => ({
    error: { object: `WafPolicy ${policy.namespace}/${policy.name}`, field, message: `${message}; OpenAPI enforcement is off for the workloads it selects until this is fixed` },
  });
  const configMap = model.configMaps.find((c) => c.namespace === policy.namespace && c.name === ref.configMapName);
  if (!configMap) return error('spec.openapi.configMapRef.name', `ConfigMap ${policy.namespace}/${ref.configMapName} does not exist`);
  const text = configMap.data[ref.key];
  if (text === undefined) return error('spec.openapi.configMapRef.key', `ConfigMap ${policy.namespace}/${ref.configMapName} has no key "${ref.key}"`);
  const result = check(text);
  return 'json' in result ? result : error('spec.openapi', `ConfigMap ${policy.namespace}/${ref.configMapName} key "${ref.key}" is not a usable OpenAPI document: ${result.problem}`);
}

/** Every WafPolicy whose document cannot be used: what sources report next to the policy. */
export function openApiReferenceErrors(model: MeshModel): { policy: WafPolicy; error: Diagnostic }[] {
  return model.wafPolicies.flatMap((policy) => {
    const document = openApiDocumentOf(model, policy);
    return document && 'error' in document ? [{ policy, error: document.error }] : [];
  });
}
