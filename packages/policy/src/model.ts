// Validated, typed security resources. Field names follow Istio's security.istio.io/v1
// API; every list is present (empty when the YAML omitted it) so callers never guess.

export type AuthorizationAction = 'ALLOW' | 'DENY' | 'AUDIT';

export interface ObjectMeta {
  name: string;
  namespace: string;
  /** RFC 3339, used for PeerAuthentication precedence; absent sorts as oldest-unknown (last). */
  creationTimestamp?: string;
  annotations: Record<string, string>;
}

export interface PolicyTargetReference {
  group: string;
  kind: string;
  name: string;
  namespace?: string;
}

export interface Source {
  principals: string[];
  notPrincipals: string[];
  requestPrincipals: string[];
  notRequestPrincipals: string[];
  namespaces: string[];
  notNamespaces: string[];
  ipBlocks: string[];
  notIpBlocks: string[];
  remoteIpBlocks: string[];
  notRemoteIpBlocks: string[];
  /** `<ns>/<sa>`; a bare `<sa>` is completed with the policy's namespace at decoding. */
  serviceAccounts: string[];
  notServiceAccounts: string[];
}

export interface Operation {
  hosts: string[];
  notHosts: string[];
  /** Validated to be integers in [0, 65535], kept as the strings the user wrote. */
  ports: string[];
  notPorts: string[];
  methods: string[];
  notMethods: string[];
  paths: string[];
  notPaths: string[];
}

/** The attribute a `when` key (or a source/operation field) refers to. */
export type Attribute =
  | { kind: 'source.principal' }
  | { kind: 'source.serviceAccount' }
  | { kind: 'source.namespace' }
  | { kind: 'source.ip' }
  | { kind: 'remote.ip' }
  | { kind: 'request.auth.principal' }
  | { kind: 'request.auth.audiences' }
  | { kind: 'request.auth.presenter' }
  | { kind: 'request.auth.claims'; claim: string[] }
  | { kind: 'request.headers'; header: string }
  | { kind: 'request.host' }
  | { kind: 'request.method' }
  | { kind: 'request.path' }
  | { kind: 'destination.ip' }
  | { kind: 'destination.port' }
  | { kind: 'connection.sni' }
  | { kind: 'experimental.envoy.filters'; filter: string; key: string };

export interface Condition {
  key: string;
  attribute: Attribute;
  values: string[];
  notValues: string[];
}

export interface Rule {
  /** Empty: any source. Each entry's fields are ANDed; entries are ORed. */
  from: Source[];
  /** Empty: any operation. */
  to: Operation[];
  when: Condition[];
}

export interface AuthorizationPolicy {
  kind: 'AuthorizationPolicy';
  metadata: ObjectMeta;
  /** `istio.io/dry-run: "true"`: evaluated and reported, never enforced. */
  dryRun: boolean;
  /** selector.matchLabels; undefined (or empty) selects every workload in scope. */
  selector?: Record<string, string>;
  targetRefs: PolicyTargetReference[];
  action: AuthorizationAction;
  /** Absent and empty are the same: the policy matches nothing. */
  rules: Rule[];
}

export type MtlsMode = 'UNSET' | 'DISABLE' | 'PERMISSIVE' | 'STRICT';

export interface PeerAuthentication {
  kind: 'PeerAuthentication';
  metadata: ObjectMeta;
  selector?: Record<string, string>;
  mtlsMode: MtlsMode;
  portLevelMtls: Record<number, MtlsMode>;
}

/** The proxy a policy set is evaluated for. */
export interface Workload {
  namespace: string;
  labels: Record<string, string>;
}
