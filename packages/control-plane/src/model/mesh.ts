import type { AuthorizationPolicy, PeerAuthentication } from '@trellis/policy';
import { LabelIndex, byNamespace } from './label-index';

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
  /** The virtual IP clients dial (Kubernetes spec.clusterIP); undefined for headless services. */
  clusterIP?: string;
}

/** Sidecar settings of a workload: explicit ports outside Kubernetes, or transparent capture. */
export interface LocalSidecar {
  /** Where the app itself listens, per workload port name (on 127.0.0.1). */
  appPorts: Record<string, number>;
  /** Where the app sends its outbound HTTP (on the workload's address). */
  outboundPort: number;
  /**
   * Namespaces whose services this proxy is configured for (Istio's Sidecar egress
   * hosts, per namespace): `.` is the workload's own, `*` every one (the default).
   */
  egressNamespaces: string[];
  /**
   * The pod's traffic is redirected to its proxy by iptables (`trellis capture-init`): the
   * proxy listens on 0.0.0.0 (outbound port, 15006 inbound) and matches original destinations.
   */
  capture?: boolean;
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

export interface WafPolicy {
  namespace: string;
  name: string;
  creationTimestamp?: string;
  /** Undefined: every workload of the namespace. */
  selector?: Record<string, string>;
  mode: 'detect' | 'block';
  ruleSet: 'trellis-default' | 'owasp-crs';
  paranoiaLevel: number;
  exclusions: { ruleIds: number[]; tags: string[]; paths: string[]; parameters: string[] };
  /** The OpenAPI document requests must match: a key of a ConfigMap in the policy's namespace. */
  openapi?: { configMapName: string; key: string };
}

/** A Kubernetes ConfigMap's text data. */
export interface ConfigMap {
  namespace: string;
  name: string;
  data: Record<string, string>;
}

export interface HttpRouteMatch {
  pathType: 'PathPrefix' | 'Exact' | 'RegularExpression';
  path: string;
  method?: string;
  headers: { name: string; value: string; regex: boolean }[];
}

export interface HttpRouteBackend {
  namespace: string;
  service: string;
  port: number;
  weight: number;
}

export interface HttpRouteRule {
  matches: HttpRouteMatch[];
  backends: HttpRouteBackend[];
  timeoutMs?: number;
}

/** A Gateway API HTTPRoute attached to Services (GAMMA): it replaces their default route. */
export interface HttpRoute {
  namespace: string;
  name: string;
  creationTimestamp?: string;
  /** Services whose traffic this route takes over; without a port, every HTTP port. */
  parents: { namespace: string; service: string; port?: number }[];
  rules: HttpRouteRule[];
}

export interface MeshModel {
  services: Service[];
  workloads: Workload[];
  authorizationPolicies: AuthorizationPolicy[];
  peerAuthentications: PeerAuthentication[];
  wafPolicies: WafPolicy[];
  httpRoutes: HttpRoute[];
  configMaps: ConfigMap[];
}

export function emptyModel(): MeshModel {
  return { services: [], workloads: [], authorizationPolicies: [], peerAuthentications: [], wafPolicies: [], httpRoutes: [], configMaps: [] };
}

/** The routes attached to a service port, oldest first (the Gateway API's order of precedence). */
export function httpRoutesFor(model: MeshModel, service: Service, port: ServicePort): HttpRoute[] {
  return model.httpRoutes
    .filter((r) => r.parents.some((p) => p.namespace === service.namespace && p.service === service.name && (p.port === undefined || p.port === port.port)))
    .sort((a, b) => (a.creationTimestamp ?? '').localeCompare(b.creationTimestamp ?? '') || `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
}

/**
 * The WafPolicy in force for a workload: one that selects it by label beats a
 * namespace-wide one; at the same level the oldest wins (then the name), as
 * Istio settles PeerAuthentication ties.
 */
export function wafPolicyFor(model: MeshModel, workload: Workload): WafPolicy | undefined {
  const candidates = model.wafPolicies.filter((p) => p.namespace === workload.namespace && (p.selector === undefined || selects(p.selector, workload.labels)));
  const rank = (p: WafPolicy) => (p.selector ? 0 : 1);
  return candidates.sort((a, b) => rank(a) - rank(b) || (a.creationTimestamp ?? '').localeCompare(b.creationTimestamp ?? '') || a.name.localeCompare(b.name))[0];
}

export function serviceHostname(service: Pick<Service, 'name' | 'namespace'>, clusterDomain = 'cluster.local'): string {
  return `${service.name}.${service.namespace}.svc.${clusterDomain}`;
}

export function selects(selector: Record<string, string> | undefined, labels: Record<string, string>): boolean {
  return selector !== undefined && Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/** Whether a workload's proxy is configured for a service (its egress scope). */
export function inEgressScope(workload: Workload, service: Service): boolean {
  return workload.sidecar.egressNamespaces.some((ns) => ns === '*' || (ns === '.' ? workload.namespace : ns) === service.namespace);
}

/** Names the set of services a workload may call: workloads with equal keys see the same services. */
export function egressScopeKey(workload: Workload): string {
  const namespaces = workload.sidecar.egressNamespaces;
  if (namespaces.includes('*')) return '*';
  return [...new Set(namespaces.map((ns) => (ns === '.' ? workload.namespace : ns)))].sort().join(',');
}

/** Models are never changed once built: their indexes are built on first use and live as long as they do. */
const workloadIndexes = new WeakMap<readonly Workload[], LabelIndex<Workload>>();
const servicesByNamespace = new WeakMap<readonly Service[], Map<string, Service[]>>();

/** The workloads behind a service: same namespace, selector ⊆ labels. */
export function workloadsOf(model: MeshModel, service: Service): Workload[] {
  const { selector } = service;
  if (selector === undefined) return [];
  let index = workloadIndexes.get(model.workloads);
  if (!index) workloadIndexes.set(model.workloads, (index = new LabelIndex(model.workloads)));
  return index.candidates(service.namespace, selector).filter((w) => selects(selector, w.labels));
}

/** The services of one namespace, in model order. */
export function servicesIn(model: MeshModel, namespace: string): readonly Service[] {
  let groups = servicesByNamespace.get(model.services);
  if (!groups) servicesByNamespace.set(model.services, (groups = byNamespace(model.services)));
  return groups.get(namespace) ?? [];
}

/** The port a workload serves a service port on, or undefined if it does not have it. */
export function workloadPort(workload: Workload, port: ServicePort): number | undefined {
  if (typeof port.targetPort === 'string') return workload.ports[port.targetPort];
  return workload.ports[port.name] ?? port.targetPort;
}
