import { decodeObject, decodeString, decodeStringMap, describe, type Json } from './decode';
import type { DiagnosticSink } from './diagnostics';

export interface ObjectMeta {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  creationTimestamp?: string;
}

export interface Envelope {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec: unknown;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

export function isDnsLabel(value: string): boolean {
  return value.length <= 63 && DNS_LABEL.test(value);
}

/** `apiVersion` and `kind` of a parsed document, to pick its decoder. */
export function typeOf(input: unknown): { apiVersion: string; kind: string } | undefined {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return undefined;
  const { apiVersion, kind } = input as Json;
  return typeof apiVersion === 'string' && typeof kind === 'string' ? { apiVersion, kind } : undefined;
}

export interface EnvelopeOptions {
  kind: string;
  apiVersions: readonly string[];
  /** Namespace for objects that omit it (kubectl's default namespace). Required when undefined. */
  defaultNamespace?: string;
  /** Other top-level fields the kind has besides apiVersion/kind/metadata/spec/status. */
  extraFields?: readonly string[];
}

/**
 * The Kubernetes envelope: checks apiVersion, kind and metadata, names the sink's
 * object (`Kind namespace/name`) for every later diagnostic, and returns the spec.
 */
export function decodeEnvelope(input: unknown, sink: DiagnosticSink, options: EnvelopeOptions): Envelope | undefined {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    sink.error('(root)', `must be an object, got ${describe(input)}`);
    return undefined;
  }
  const object = input as Json;
  const rawMeta = object['metadata'];
  const meta = (typeof rawMeta === 'object' && rawMeta !== null && !Array.isArray(rawMeta) ? rawMeta : {}) as Json;
  const name = typeof meta['name'] === 'string' ? meta['name'] : '';
  const namespace = typeof meta['namespace'] === 'string' ? meta['namespace'] : (options.defaultNamespace ?? '');
  sink.object = `${options.kind} ${namespace || '?'}/${name || '?'}`;

  decodeObject(object, '(root)', sink, ['apiVersion', 'kind', 'metadata', 'spec', 'status', ...(options.extraFields ?? [])]);
  const apiVersion = object['apiVersion'];
  if (typeof apiVersion !== 'string' || !options.apiVersions.includes(apiVersion)) {
    sink.error('apiVersion', `${describe(apiVersion)} is not one of ${options.apiVersions.join(', ')}`);
  }
  if (object['kind'] !== options.kind) sink.error('kind', `${describe(object['kind'])} is not ${options.kind}`);
  if (rawMeta === undefined) sink.error('metadata', 'is required');
  else decodeObject(rawMeta, 'metadata', sink, 'map');
  if (!DNS_SUBDOMAIN.test(name) || name.length > 253) sink.error('metadata.name', `${describe(meta['name'])} is not a valid name`);
  if (!isDnsLabel(namespace)) sink.error('metadata.namespace', `${describe(meta['namespace'])} is not a valid namespace (it is required)`);
  const labels = decodeStringMap(meta['labels'], 'metadata.labels', sink) ?? {};
  const annotations = decodeStringMap(meta['annotations'], 'metadata.annotations', sink) ?? {};
  const creationTimestamp = decodeString(meta['creationTimestamp'], 'metadata.creationTimestamp', sink);
  if (creationTimestamp !== undefined && Number.isNaN(Date.parse(creationTimestamp))) {
    sink.error('metadata.creationTimestamp', `${describe(creationTimestamp)} is not an RFC 3339 time`);
  }
  const metadata: ObjectMeta = { name, namespace, labels, annotations, ...(creationTimestamp === undefined ? {} : { creationTimestamp }) };
  return { apiVersion: apiVersion as string, kind: options.kind, metadata, spec: object['spec'] };
}
