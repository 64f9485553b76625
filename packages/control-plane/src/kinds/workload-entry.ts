import { isIP } from 'node:net';
import {
  DiagnosticSink, decodeEnvelope, decodeInteger, decodeObject, decodePort, decodeString, decodeStringMap, isDnsLabel, type ValidationResult,
} from '@trellis/objects';
import type { Workload } from '../model/mesh';

export const NETWORKING_API_VERSIONS = ['networking.trellis.dev/v1alpha1', 'networking.istio.io/v1', 'networking.istio.io/v1beta1'] as const;

/** Local sidecar settings ride on annotations, so the kind stays Istio's WorkloadEntry field for field. */
export const APP_PORTS_ANNOTATION = 'sidecar.trellis.dev/app-ports';
export const OUTBOUND_PORT_ANNOTATION = 'sidecar.trellis.dev/outbound-port';
export const DEFAULT_OUTBOUND_PORT = 15001;
export const EGRESS_NAMESPACES_ANNOTATION = 'sidecar.trellis.dev/egress-namespaces';

/**
 * The namespaces a workload's proxy gets outbound config for, from the egress annotation: a
 * comma-separated list of namespaces, "." (the workload's own) and "*" (every namespace, the
 * default, as Istio's Sidecar-less default).
 */
export function parseEgressNamespaces(value: string | undefined): { namespaces: string[] } | { error: string } {
  const namespaces = (value ?? '*').split(',').map((s) => s.trim()).filter(Boolean);
  const bad = namespaces.find((ns) => ns !== '*' && ns !== '.' && !isDnsLabel(ns));
  if (bad !== undefined) return { error: `"${bad}" is not a namespace, "." or "*"` };
  if (namespaces.length === 0) return { error: 'lists no namespace: use "." for the workload\'s own or "*" for all' };
  return { namespaces };
}

/** "true": the workload's traffic is captured by iptables rather than sent to explicit proxy ports. */
export const CAPTURE_ANNOTATION = 'sidecar.trellis.dev/capture';

function decodePortList(value: string, field: string, sink: DiagnosticSink): Record<string, number> {
  const ports: Record<string, number> = {};
  for (const item of value.split(',').map((s) => s.trim()).filter(Boolean)) {
    const match = /^([a-z0-9-]+)=(\d+)$/.exec(item);
    const port = match ? Number(match[2]) : NaN;
    if (!match || port < 1 || port > 65535) sink.error(field, `"${item}" is not name=port`);
    else ports[match[1]!] = port;
  }
  return ports;
}

/**
 * A workload outside Kubernetes, as Istio's WorkloadEntry: address, labels,
 * service account and named ports (where its proxy accepts mesh traffic).
 */
export function decodeWorkloadEntry(input: unknown, defaultNamespace?: string): ValidationResult<Workload> {
  const sink = new DiagnosticSink('WorkloadEntry');
  const envelope = decodeEnvelope(input, sink, { kind: 'WorkloadEntry', apiVersions: NETWORKING_API_VERSIONS, ...(defaultNamespace ? { defaultNamespace } : {}) });
  if (!envelope) return sink.failed();
  const spec = decodeObject(envelope.spec, 'spec', sink, ['address', 'ports', 'labels', 'network', 'locality', 'weight', 'serviceAccount']) ?? {};
  const address = decodeString(spec['address'], 'spec.address', sink) ?? '';
  if (!isIP(address)) sink.error('spec.address', `${JSON.stringify(spec['address'])} must be an IP address (it is required)`);
  const serviceAccount = decodeString(spec['serviceAccount'], 'spec.serviceAccount', sink) ?? 'default';
  if (!isDnsLabel(serviceAccount)) sink.error('spec.serviceAccount', `"${serviceAccount}" is not a valid service account name`);
  decodeInteger(spec['weight'], 'spec.weight', sink, 0, 2 ** 32 - 1);
  const ports: Record<string, number> = {};
  for (const [name, raw] of Object.entries(decodeObject(spec['ports'], 'spec.ports', sink, 'map') ?? {})) {
    const port = decodePort(raw, `spec.ports.${name}`, sink);
    if (port !== undefined) ports[name] = port;
  }
  const labels = { ...envelope.metadata.labels, ...(decodeStringMap(spec['labels'], 'spec.labels', sink) ?? {}) };
  const annotations = envelope.metadata.annotations;
  const appPorts = annotations[APP_PORTS_ANNOTATION] === undefined ? {} : decodePortList(annotations[APP_PORTS_ANNOTATION], `metadata.annotations["${APP_PORTS_ANNOTATION}"]`, sink);
  for (const name of Object.keys(appPorts)) {
    if (!(name in ports)) sink.error(`metadata.annotations["${APP_PORTS_ANNOTATION}"]`, `port "${name}" is not in spec.ports`);
  }
  let outboundPort = DEFAULT_OUTBOUND_PORT;
  if (annotations[OUTBOUND_PORT_ANNOTATION] !== undefined) {
    const parsed = Number(annotations[OUTBOUND_PORT_ANNOTATION]);
    if (!Number.isInteger(parsed) || parsed < 1 || parsed > 65535) sink.error(`metadata.annotations["${OUTBOUND_PORT_ANNOTATION}"]`, 'must be a port number');
    else outboundPort = parsed;
  }
  if (Object.values(ports).includes(outboundPort)) sink.error('spec.ports', `port ${outboundPort} is the sidecar's outbound port`);
  const egress = parseEgressNamespaces(annotations[EGRESS_NAMESPACES_ANNOTATION]);
  if ('error' in egress) sink.error(`metadata.annotations["${EGRESS_NAMESPACES_ANNOTATION}"]`, egress.error);
  const egressNamespaces = 'error' in egress ? [] : egress.namespaces;
  const capture = annotations[CAPTURE_ANNOTATION];
  if (capture !== undefined && capture !== 'true' && capture !== 'false') sink.error(`metadata.annotations["${CAPTURE_ANNOTATION}"]`, `"${capture}" is not "true" or "false"`);
  return sink.result({
    namespace: envelope.metadata.namespace,
    name: envelope.metadata.name,
    labels,
    address,
    serviceAccount,
    ports,
    sidecar: { appPorts, outboundPort, egressNamespaces, ...(capture === 'true' ? { capture: true } : {}) },
  });
}
