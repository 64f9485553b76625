import type { DiagnosticSink } from './diagnostics';
import type { ObjectMeta } from './model';

// Decoding helpers for parsed YAML/JSON: each reports problems against a field path and
// returns a usable fallback so one pass finds every error.

export type Json = Record<string, unknown>;

export function describe(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

/** An object with only `known` keys (any keys for a map); undefined (after reporting) otherwise. Absent → undefined silently. */
export function decodeObject(value: unknown, field: string, sink: DiagnosticSink, known: readonly string[] | 'map'): Json | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) {
    sink.error(field, `must be an object, got ${describe(value)}`);
    return undefined;
  }
  const object = value as Json;
  if (known === 'map') return object;
  for (const key of Object.keys(object)) {
    if (!known.includes(key)) sink.error(`${field}.${key}`, `unknown field (expected one of ${known.join(', ')})`);
  }
  return object;
}

export function decodeString(value: unknown, field: string, sink: DiagnosticSink): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    sink.error(field, `must be a string, got ${describe(value)}`);
    return undefined;
  }
  return value;
}

export function decodeList(value: unknown, field: string, sink: DiagnosticSink): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    sink.error(field, `must be a list, got ${describe(value)}`);
    return [];
  }
  return value;
}

/** A list of strings; `check` may report a problem with one element (by returning a message). */
export function decodeStringList(
  value: unknown,
  field: string,
  sink: DiagnosticSink,
  check?: (item: string) => string | undefined,
): string[] {
  const out: string[] = [];
  decodeList(value, field, sink).forEach((item, i) => {
    const at = `${field}[${i}]`;
    if (typeof item !== 'string') {
      sink.error(at, `must be a string, got ${describe(item)}`);
      return;
    }
    if (item === '') {
      sink.error(at, 'must not be empty');
      return;
    }
    const problem = check?.(item);
    if (problem) sink.error(at, problem);
    else out.push(item);
  });
  return out;
}

/** A map of string to string (labels, annotations). */
export function decodeStringMap(value: unknown, field: string, sink: DiagnosticSink): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) {
    sink.error(field, `must be a map of strings, got ${describe(value)}`);
    return undefined;
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value as Json)) {
    if (typeof v !== 'string') sink.error(`${field}.${k}`, `must be a string, got ${describe(v)}`);
    else out[k] = v;
  }
  return out;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/** The Kubernetes envelope shared by both kinds; reports and returns the api group version used. */
export function decodeEnvelope(
  input: unknown,
  kind: string,
  sink: DiagnosticSink,
  acceptedApiVersions: readonly string[],
): { metadata: ObjectMeta; spec: unknown } | undefined {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    sink.error('(root)', `must be an object, got ${describe(input)}`);
    return undefined;
  }
  const object = input as Json;
  const rawMeta = object['metadata'];
  const meta = (typeof rawMeta === 'object' && rawMeta !== null && !Array.isArray(rawMeta) ? rawMeta : {}) as Json;
  const name = typeof meta['name'] === 'string' ? meta['name'] : '';
  const namespace = typeof meta['namespace'] === 'string' ? meta['namespace'] : '';
  sink.object = `${kind} ${namespace || '?'}/${name || '?'}`;

  decodeObject(object, '(root)', sink, ['apiVersion', 'kind', 'metadata', 'spec', 'status']);
  if (!acceptedApiVersions.includes(object['apiVersion'] as string)) {
    sink.error('apiVersion', `${describe(object['apiVersion'])} is not one of ${acceptedApiVersions.join(', ')}`);
  }
  if (object['kind'] !== kind) sink.error('kind', `${describe(object['kind'])} is not ${kind}`);
  if (typeof rawMeta !== 'object' || rawMeta === null || Array.isArray(rawMeta)) sink.error('metadata', 'is required');
  if (!DNS_SUBDOMAIN.test(name) || name.length > 253) sink.error('metadata.name', `${describe(meta['name'])} is not a valid name`);
  if (!DNS_LABEL.test(namespace) || namespace.length > 63) {
    sink.error('metadata.namespace', `${describe(meta['namespace'])} is not a valid namespace (it is required)`);
  }
  const annotations = decodeStringMap(meta['annotations'], 'metadata.annotations', sink) ?? {};
  const creationTimestamp = decodeString(meta['creationTimestamp'], 'metadata.creationTimestamp', sink);
  if (creationTimestamp !== undefined && Number.isNaN(Date.parse(creationTimestamp))) {
    sink.error('metadata.creationTimestamp', `${describe(creationTimestamp)} is not an RFC 3339 time`);
  }
  const metadata: ObjectMeta = { name, namespace, annotations };
  if (creationTimestamp !== undefined) metadata.creationTimestamp = creationTimestamp;
  return { metadata, spec: object['spec'] };
}

/** selector.matchLabels (the only selector form Istio's WorkloadSelector has). */
export function decodeSelector(value: unknown, field: string, sink: DiagnosticSink): Record<string, string> | undefined {
  const selector = decodeObject(value, field, sink, ['matchLabels']);
  if (!selector) return undefined;
  const labels = decodeStringMap(selector['matchLabels'], `${field}.matchLabels`, sink);
  return labels && Object.keys(labels).length > 0 ? labels : undefined;
}

export const SECURITY_API_VERSIONS = ['security.trellis.dev/v1', 'security.istio.io/v1', 'security.istio.io/v1beta1'] as const;
