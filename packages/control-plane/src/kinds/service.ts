import { isIP } from 'node:net';
import {
  DiagnosticSink, decodeEnvelope, decodeInteger, decodeList, decodeObject, decodePort, decodeSelector, decodeString, isDnsLabel, type ValidationResult,
} from '@trellis/objects';
import type { PortProtocol, Service, ServicePort } from '../model/mesh';

const APP_PROTOCOLS: Record<string, PortProtocol> = {
  http: 'http', 'kubernetes.io/h2c': 'http2', http2: 'http2', grpc: 'grpc', tcp: 'tcp',
};

/**
 * The protocol of a service port as Istio reads it: `appProtocol` first, else the
 * port name's prefix (`http-web`, `grpc`, `tcp-db`), else opaque TCP.
 */
function protocolOf(name: string, appProtocol: string | undefined, field: string, sink: DiagnosticSink): PortProtocol {
  if (appProtocol !== undefined) {
    const known = APP_PROTOCOLS[appProtocol.toLowerCase()];
    if (known) return known;
    sink.warn(`${field}.appProtocol`, `"${appProtocol}" is not one of ${Object.keys(APP_PROTOCOLS).join(', ')}: treated as opaque TCP`);
    return 'tcp';
  }
  const prefix = name.split('-')[0]!.toLowerCase();
  return APP_PROTOCOLS[prefix] ?? 'tcp';
}

/** A Kubernetes `v1/Service`, the fields the mesh reads (others are accepted and ignored, as kubectl would store them). */
export function decodeService(input: unknown, defaultNamespace?: string): ValidationResult<Service> {
  const sink = new DiagnosticSink('Service');
  const envelope = decodeEnvelope(input, sink, { kind: 'Service', apiVersions: ['v1'], ...(defaultNamespace ? { defaultNamespace } : {}) });
  if (!envelope) return sink.failed();
  const spec = decodeObject(envelope.spec, 'spec', sink, 'map') ?? {};
  if (envelope.spec === undefined) sink.error('spec', 'is required');
  const selectorLabels = decodeObject(spec['selector'], 'spec.selector', sink, 'map');
  const selector = selectorLabels ? decodeSelector({ matchLabels: selectorLabels }, 'spec.selector', sink) : undefined;
  const ports: ServicePort[] = [];
  const names = new Set<string>();
  const numbers = new Set<number>();
  const rawPorts = decodeList(spec['ports'], 'spec.ports', sink);
  rawPorts.forEach((raw, i) => {
    const field = `spec.ports[${i}]`;
    const entry = decodeObject(raw, field, sink, ['name', 'port', 'targetPort', 'protocol', 'appProtocol', 'nodePort']);
    if (!entry) return;
    const port = decodePort(entry['port'], `${field}.port`, sink);
    if (entry['port'] === undefined) sink.error(`${field}.port`, 'is required');
    const name = decodeString(entry['name'], `${field}.name`, sink) ?? '';
    if (name !== '' && !isDnsLabel(name)) sink.error(`${field}.name`, `"${name}" is not a valid port name`);
    if (names.has(name)) sink.error(`${field}.name`, `"${name}" is used by another port`);
    names.add(name);
    const transport = decodeString(entry['protocol'], `${field}.protocol`, sink) ?? 'TCP';
    if (transport !== 'TCP') sink.error(`${field}.protocol`, `${transport} is not supported by the mesh (TCP only)`);
    const rawTarget = entry['targetPort'];
    const targetPort = typeof rawTarget === 'string' ? rawTarget : (decodeInteger(rawTarget, `${field}.targetPort`, sink, 1, 65535) ?? port);
    if (port === undefined || targetPort === undefined) return;
    if (numbers.has(port)) sink.error(`${field}.port`, `${port} is used by another port`);
    numbers.add(port);
    ports.push({ name, port, targetPort, protocol: protocolOf(name, decodeString(entry['appProtocol'], `${field}.appProtocol`, sink), field, sink) });
  });
  if (ports.length > 1 && [...names].some((n) => n === '')) sink.error('spec.ports', 'every port needs a name when there are several');
  if (rawPorts.length === 0 && envelope.spec !== undefined) sink.error('spec.ports', 'a service needs at least one port');
  // "None" is a headless service: clients dial endpoints directly.
  const clusterIP = decodeString(spec['clusterIP'], 'spec.clusterIP', sink);
  if (clusterIP !== undefined && clusterIP !== 'None' && !isIP(clusterIP)) sink.error('spec.clusterIP', `"${clusterIP}" is not an IP address or "None"`);
  return sink.result({
    namespace: envelope.metadata.namespace, name: envelope.metadata.name, ...(selector ? { selector } : {}), ports,
    ...(clusterIP && isIP(clusterIP) ? { clusterIP } : {}),
  });
}
