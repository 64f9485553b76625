export {
  emptyModel, httpRoutesFor, selects, type HttpRoute, serviceHostname, wafPolicyFor, workloadPort, workloadsOf, type WafPolicy,
  type ConfigMap, type LocalSidecar, type MeshModel, type PortProtocol, type Service, type ServicePort, type Workload,
} from './model/mesh';
export { decodeService } from './kinds/service';
export { decodeHttpRoute } from './kinds/http-route';
export { decodeWafPolicy } from './kinds/waf-policy';
export { openApiReferenceErrors } from './kinds/openapi-ref';
export { decodeWorkloadEntry, parseEgressNamespaces, APP_PORTS_ANNOTATION, EGRESS_NAMESPACES_ANNOTATION, OUTBOUND_PORT_ANNOTATION } from './kinds/workload-entry';
export { decodeDocument, supportedKinds } from './kinds/registry';
export { FileSource, formatFileDiagnostic, type ConfigSource, type FileDiagnostic, type LoadResult } from './sources/file-source';
export { sidecarSnapshot, type MeshSettings } from './translate/sidecar';
export { OUTBOUND_TRAFFIC_POLICIES, type OutboundTrafficPolicy } from './translate/capture';
export {
  isProxylessNode, proxylessServerListenerName, proxylessSnapshot, proxylessTargetNames, PROXYLESS_CERT_PROVIDER, PROXYLESS_SERVER_LISTENER_TEMPLATE,
} from './translate/proxyless';
export * from './translate/names';
export { ControlPlane, CONTROL_PLANE_IDENTITY, type CaStore, type ControlPlaneOptions, type ProxyBootstrap } from './server/control-plane';
// What the control plane's plug-ins (a CaStore, an Authenticator: see @trellis/kube) build on,
// so that they depend on the control plane alone.
export { AuthenticationError, AuthenticatorUnavailableError, type Authenticator } from '@trellis/identity';
export {
  caFromFiles, createSelfSignedRoot, formatWorkloadId, generateKeyPair, joinPem, splitPemCertificates,
  type CaDirectory, type CaFiles, type CertificateAuthority, type SigningCa, type WorkloadIdentity,
} from '@trellis/pki';
export { formatProxyStatus, proxyStatus, type ProxyStatus, type ProxyTypeStatus, type SyncState } from './server/status';
export { Pusher, type PushReport, type PushTiming } from './server/pusher';
