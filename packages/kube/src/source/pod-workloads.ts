import { EGRESS_NAMESPACES_ANNOTATION, parseEgressNamespaces, selects, type FileDiagnostic, type Service, type Workload } from '@trellis/control-plane';
import { objectPath, PODS } from './resources';

/** Namespaces in the mesh carry this label (the injector webhook selects on it too). */
export const INJECTION_LABEL = 'trellis-injection';
/** A pod opts out of the mesh with this label or annotation set to "false", or in (outside labelled namespaces) with "true". */
export const INJECT_ANNOTATION = 'sidecar.trellis.dev/inject';
/** Where a captured pod's proxy takes its app's outbound traffic (iptables redirects there). */
export const CAPTURED_OUTBOUND_PORT = 15001;

/**
 * Whether a pod belongs in the mesh, and if not why: its namespace labelled
 * `trellis-injection=enabled`, or, in a namespace without that label, the pod's own inject
 * label or annotation "true"; "false" on the pod always keeps it out. The injector and the
 * workload list decide by this one rule.
 */
export function meshMembership(namespaceMode: string | undefined, meta: Pick<Meta, 'labels' | 'annotations'>): { member: true } | { member: false; reason: string } {
  const asked = meta.annotations?.[INJECT_ANNOTATION] ?? meta.labels?.[INJECT_ANNOTATION];
  if (asked === 'false') return { member: false, reason: `opted out (${INJECT_ANNOTATION}: "false")` };
  if (namespaceMode === 'enabled' || (namespaceMode === undefined && asked === 'true')) return { member: true };
  if (namespaceMode !== undefined) return { member: false, reason: `namespace labelled ${INJECTION_LABEL}=${namespaceMode}` };
  return { member: false, reason: `neither the namespace (${INJECTION_LABEL}=enabled) nor the pod (${INJECT_ANNOTATION}: "true") asks for injection` };
}

export interface Meta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  deletionTimestamp?: string;
}

export interface ObjectWithMeta {
  metadata: Meta;
}

export interface PodObject {
  metadata: Meta;
  spec?: { serviceAccountName?: string; hostNetwork?: boolean; containers?: { ports?: { name?: string; containerPort: number; protocol?: string }[] }[] };
  status?: { phase?: string; podIP?: string };
}

export interface EndpointSliceObject {
  metadata: Meta;
  endpoints?: { conditions?: { ready?: boolean }; targetRef?: { kind?: string; name?: string; namespace?: string } }[];
}

export interface PodInputs {
  pods: readonly PodObject[];
  services: readonly Service[];
  namespaces: readonly ObjectWithMeta[];
  serviceAccounts: readonly ObjectWithMeta[];
  endpointSlices: readonly EndpointSliceObject[];
}

const key = (namespace: string | undefined, name: string | undefined) => `${namespace ?? ''}/${name ?? ''}`;

/** Pods an EndpointSlice lists as not ready (failing readiness, or terminating): the mesh stops routing to them when kube-proxy does. */
function notReadyPods(slices: readonly EndpointSliceObject[]): Set<string> {
  const out = new Set<string>();
  for (const slice of slices) {
    for (const endpoint of slice.endpoints ?? []) {
      const ref = endpoint.targetRef;
      if (ref?.kind === 'Pod' && endpoint.conditions?.ready === false) out.add(key(ref.namespace ?? slice.metadata.namespace, ref.name));
    }
  }
  return out;
}

/**
 * The mesh's Kubernetes workloads: running pods with an IP, in namespaces labelled into
 * the mesh or asking for it themselves (meshMembership) — every pod the injector gave a
 * proxy, so a client-only pod
 * gets its config too. A workload's ports are its named container ports plus, for each
 * selecting Service port with a numeric targetPort, that port under the Service port's
 * name (how workloadPort() looks it up).
 */
export function podWorkloads(inputs: PodInputs, diagnostics: FileDiagnostic[]): Workload[] {
  const namespaceModes = new Map(inputs.namespaces.map((n) => [n.metadata.name, n.metadata.labels?.[INJECTION_LABEL]]));
  const serviceAccounts = new Set(inputs.serviceAccounts.map((sa) => key(sa.metadata.namespace, sa.metadata.name)));
  const notReady = notReadyPods(inputs.endpointSlices);
  const workloads: Workload[] = [];
  const pods = [...inputs.pods].sort((a, b) => key(a.metadata.namespace, a.metadata.name).localeCompare(key(b.metadata.namespace, b.metadata.name)));
  for (const pod of pods) {
    const { name, namespace = 'default', labels = {} } = pod.metadata;
    // A host-network pod shares the node's network: there is no pod traffic to capture.
    if (!meshMembership(namespaceModes.get(namespace), pod.metadata).member || pod.spec?.hostNetwork) continue;
    const address = pod.status?.podIP;
    if (pod.status?.phase !== 'Running' || !address || pod.metadata.deletionTimestamp || notReady.has(key(namespace, name))) continue;
    const selecting = inputs.services.filter((s) => s.namespace === namespace && selects(s.selector, labels));

    const report = (field: string, message: string) => diagnostics.push({ file: objectPath(PODS, namespace, name), line: 0, severity: 'warning', object: `Pod ${namespace}/${name}`, field, message });
    const ports: Record<string, number> = {};
    (pod.spec?.containers ?? []).forEach((container) => (container.ports ?? []).forEach((port) => {
      if (port.name && (port.protocol ?? 'TCP') === 'TCP') ports[port.name] = port.containerPort;
    }));
    const namedPorts = new Set(Object.keys(ports));
    for (const service of selecting) {
      for (const servicePort of service.ports) {
        const where = `Service ${service.namespace}/${service.name} port ${servicePort.name || servicePort.port}`;
        if (typeof servicePort.targetPort === 'string') {
          if (!namedPorts.has(servicePort.targetPort)) report('spec.containers[].ports', `${where} targets "${servicePort.targetPort}", which no container of this pod names`);
          continue;
        }
        const existing = ports[servicePort.name];
        if (existing !== undefined && existing !== servicePort.targetPort) {
          report('spec.containers[].ports', `${where} targets ${servicePort.targetPort}, but "${servicePort.name}" is already port ${existing} here; keeping ${existing}`);
          continue;
        }
        ports[servicePort.name] = servicePort.targetPort;
      }
    }
    const serviceAccount = pod.spec?.serviceAccountName ?? 'default';
    if (!serviceAccounts.has(key(namespace, serviceAccount))) report('spec.serviceAccountName', `ServiceAccount ${namespace}/${serviceAccount} does not exist; the CA will not issue this pod an identity`);
    // A pod cannot be refused like a file's object: a bad egress scope is reported and the proxy keeps every namespace,
    // so nothing the app calls goes missing.
    const egress = parseEgressNamespaces(pod.metadata.annotations?.[EGRESS_NAMESPACES_ANNOTATION]);
    if ('error' in egress) report(`metadata.annotations["${EGRESS_NAMESPACES_ANNOTATION}"]`, `${egress.error}; using "*" (every namespace)`);
    const egressNamespaces = 'error' in egress ? ['*'] : egress.namespaces;
    workloads.push({ namespace, name, labels, address, serviceAccount, ports, sidecar: { appPorts: {}, outboundPort: CAPTURED_OUTBOUND_PORT, egressNamespaces } });
  }
  return workloads;
}
