import type { AuthorizationPolicy, PeerAuthentication } from '@trellis/policy';

/** The mesh's desired state, fed by config sources (files now, Kubernetes later). */

export type PortProtocol = 'http' | 'http2' | 'grpc' | 'tcp';

export interface ServicePort {
  name: string;
  port: number;
  /** The workload port this service port maps to: a number, or a workload port name. */
  targetPort: number | string;
  protocol: PortProtocol;
}

export interface Service {
  namespace: string;
  name: string;
  /** Undefined: a service without a selector selects no workloads. */
  selector?: Record<string, string>;
  ports: ServicePort[];
}

/** Sidecar settings of a workload run outside Kubernetes (no traffic capture). */
export interface LocalSidecar {
  /** Where the app itself listens, per workload port name (on 127.0.0.1). */
  appPorts: Record<string, number>;
  /** Where the app sends its outbound HTTP (on the workload's address). */
  outboundPort: number;
}

export interface Workload {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  address: string;
  serviceAccount: string;
  /** Mesh-facing ports by name: where this workload's proxy accepts mTLS traffic. */
  ports: Record<string, number>;
  sidecar: LocalSidecar;
}

export interface MeshModel {
  services: Service[];
  workloads: Workload[];
  authorizationPolicies: AuthorizationPolicy[];
  peerAuthentications: PeerAuthentication[];
}

export function emptyModel(): MeshModel {
  return { services: [], workloads: [], authorizationPolicies: [], peerAuthentications: [] };
}

export function serviceHostname(service: Pick<Service, 'name' | 'namespace'>, clusterDomain = 'cluster.local'): string {
  return `${service.name}.${service.namespace}.svc.${clusterDomain}`;
}

export function selects(selector: Record<string, string> | undefined, labels: Record<string, string>): boolean {
  return selector !== undefined && Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/** The workloads behind a service: same namespace, selector ⊆ labels. */
export function workloadsOf(model: MeshModel, service: Service): Workload[] {
  return model.workloads.filter((w) => w.namespace === service.namespace && selects(service.selector, w.labels));
}

/** The port a workload serves a service port on, or undefined if it does not have it. */
export function workloadPort(workload: Workload, port: ServicePort): number | undefined {
  if (typeof port.targetPort === 'string') return workload.ports[port.targetPort];
  return workload.ports[port.name] ?? port.targetPort;
}
