/** A kind the source list/watches, and where the API server serves it cluster-wide. */
export interface WatchedResource {
  /** `v1` or `group/version`, as in the objects' apiVersion. */
  apiVersion: string;
  kind: string;
  plural: string;
  /** Served only when someone installed its CRD (Istio's kinds): absence is not an error. */
  optional: boolean;
}

/** The core group is served under /api, every other group under /apis. */
function versionPath(apiVersion: string): string {
  return apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
}

/** Every object of the kind, in all namespaces or in one: what an informer lists and watches. */
export function resourcePath(resource: WatchedResource, namespace?: string): string {
  return `${versionPath(resource.apiVersion)}${namespace ? `/namespaces/${namespace}` : ''}/${resource.plural}`;
}

/** Where one object is served: the `file` of its diagnostics, so a message points at `kubectl get --raw <it>`. */
export function objectPath(resource: WatchedResource, namespace: string | undefined, name: string): string {
  const scope = namespace ? `/namespaces/${namespace}` : '';
  return `${versionPath(resource.apiVersion)}${scope}/${resource.plural}/${name}`;
}

const resource = (apiVersion: string, kind: string, plural: string, optional = false): WatchedResource => ({ apiVersion, kind, plural, optional });

export const SERVICES = resource('v1', 'Service', 'services');
export const PODS = resource('v1', 'Pod', 'pods');
export const SERVICE_ACCOUNTS = resource('v1', 'ServiceAccount', 'serviceaccounts');
export const NAMESPACES = resource('v1', 'Namespace', 'namespaces');
/** Only the CA's, in the control plane's namespace (not a kind the mesh model reads). */
export const SECRETS = resource('v1', 'Secret', 'secrets');
export const ENDPOINT_SLICES = resource('discovery.k8s.io/v1', 'EndpointSlice', 'endpointslices');
export const WORKLOAD_ENTRIES = resource('networking.trellis.dev/v1alpha1', 'WorkloadEntry', 'workloadentries');
export const WAF_POLICIES = resource('security.trellis.dev/v1alpha1', 'WafPolicy', 'wafpolicies');
/** Where WafPolicies' OpenAPI documents live (spec.openapi.configMapRef). */
export const CONFIG_MAPS = resource('v1', 'ConfigMap', 'configmaps');
/** Gateway API routes for Services (the mesh profile), when the Gateway API CRDs are installed. */
export const HTTP_ROUTES = resource('gateway.networking.k8s.io/v1', 'HTTPRoute', 'httproutes', true);

/** Policies in our group, and in Istio's when its CRDs are installed: both decode the same. */
export const POLICIES = [
  resource('security.trellis.dev/v1', 'AuthorizationPolicy', 'authorizationpolicies'),
  resource('security.trellis.dev/v1', 'PeerAuthentication', 'peerauthentications'),
  resource('security.istio.io/v1', 'AuthorizationPolicy', 'authorizationpolicies', true),
  resource('security.istio.io/v1', 'PeerAuthentication', 'peerauthentications', true),
];

export const WATCHED_RESOURCES: readonly WatchedResource[] = [
  SERVICES, PODS, SERVICE_ACCOUNTS, NAMESPACES, ENDPOINT_SLICES, WORKLOAD_ENTRIES, WAF_POLICIES, CONFIG_MAPS, HTTP_ROUTES, ...POLICIES,
];
