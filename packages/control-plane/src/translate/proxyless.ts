import { effectiveMtlsMode, toEnvoyHttpRbac } from '@trellis/policy';
import { Snapshot, TypeUrl, type Resource } from '@trellis/xds';
import { inEgressScope, serviceHostname, workloadsOf, type MeshModel, type Service, type ServicePort, type Workload } from '../model/mesh';
import { ADS, EnvoyType, socketAddress } from './envoy';
import { ResourceMemo } from './memo';
import { inboundListenerName, nodeIdOf, outboundClusterName, spiffeId } from './names';
import { inboundPorts, isHttp, outboundEndpoints, serviceRoutes, type MeshSettings, type Readiness } from './sidecar';

/**
 * The proxyless form of the mesh config, for @grpc/grpc-js-xds clients and servers
 * (gRFC A27/A28/A29/A36/A41): no SDS — certificates come from the `file_watcher`
 * certificate provider our grpc agent keeps current — and the limits of gRPC's xDS
 * support shape every resource (one HTTP connection manager per filter chain, no
 * TLS sniffing, no audit or shadow RBAC).
 */

/** Istio's agent marks proxyless gRPC nodes with this node metadata; ours does too. */
export function isProxylessNode(metadata: Record<string, unknown>): boolean {
  return metadata.GENERATOR === 'grpc';
}

/** The certificate provider instance the agent's bootstrap declares (Istio's name for it). */
export const PROXYLESS_CERT_PROVIDER = 'default';

/** Istio's server listener name template: a gRPC server bound to ip:port asks for this name with `%s` = ip:port. */
export const PROXYLESS_SERVER_LISTENER_TEMPLATE = 'xds.istio.io/grpc/lds/inbound/%s';

export function proxylessServerListenerName(address: string, port: number): string {
  return PROXYLESS_SERVER_LISTENER_TEMPLATE.replace('%s', `${address}:${port}`);
}

/**
 * Names a gRPC client may dial a service port by (`xds:///<name>` asks for the Listener
 * `<name>`): the fully qualified host, `name.namespace[.svc]`, and from the service's own
 * namespace the bare name — always with the port, as gRPC targets carry one.
 */
export function proxylessTargetNames(service: Service, port: ServicePort, fromNamespace: string): string[] {
  const hosts = [serviceHostname(service), `${service.name}.${service.namespace}.svc`, `${service.name}.${service.namespace}`];
  if (service.namespace === fromNamespace) hosts.push(service.name);
  return hosts.map((host) => `${host}:${port.port}`);
}

const provider = { instance_name: PROXYLESS_CERT_PROVIDER };
const router = { name: 'envoy.filters.http.router', typed_config: { '@type': EnvoyType.Router } };

function upstreamTls(service: Service, backends: Workload[], settings: MeshSettings): object {
  const accounts = [...new Set(backends.map((w) => w.serviceAccount))].sort();
  return {
    name: 'envoy.transport_sockets.tls',
    typed_config: {
      '@type': EnvoyType.UpstreamTlsContext,
      common_tls_context: {
        tls_certificate_provider_instance: provider,
        combined_validation_context: {
          // Secure naming, as for sidecars. gRPC reads `exact` as a whole-SAN match, which holds for URI SANs.
          default_validation_context: {
            ca_certificate_provider_instance: provider,
            match_subject_alt_names: accounts.map((sa) => ({ exact: spiffeId(settings.trustDomain, service.namespace, sa) })),
          },
        },
      },
    },
  };
}

/** Where a route whose every backend weighs 0 sends calls: a cluster with no endpoints, so they fail UNAVAILABLE. */
export const PROXYLESS_NO_BACKEND_CLUSTER = 'proxyless|no-backend';

/** The parts of a sidecar route (see `serviceRoutes`) that gRPC reads differently. */
interface SidecarRoute {
  name: string;
  match: { headers?: { name: string; string_match: { exact?: string } }[] };
  route?: { timeout: object; retry_policy?: object };
  direct_response?: object;
}

/**
 * A sidecar's route as grpc-js-xds 1.14 honours it (gRFC A28/A31): same matches and
 * weighted clusters, with what gRPC reads otherwise restated.
 * - gRPC calls are all POST and its matchers never see `:method`: a POST match is
 *   dropped (it always holds); another method's route never matches, as over a sidecar.
 * - gRPC ignores `route.timeout`; its per-route deadline is `max_stream_duration`.
 * - Envoy's retry_on conditions (connect-failure, reset) mean nothing to gRPC, which retries
 *   by status code; left out, gRPC's transparent retries (A6) still cover unsent calls.
 * - `direct_response` would NACK the whole table: routes with no backend go to a cluster
 *   without endpoints, so their calls fail UNAVAILABLE (the 500 sidecars answer).
 */
function forGrpc({ name, match, route, direct_response }: SidecarRoute): object {
  const headers = match.headers?.filter((h) => !(h.name === ':method' && h.string_match.exact === 'POST'));
  const grpcMatch = { ...match, ...(headers ? { headers } : {}) };
  if (direct_response || !route) return { name, match: grpcMatch, route: { cluster: PROXYLESS_NO_BACKEND_CLUSTER } };
  const { timeout, retry_policy: _retryOn, ...action } = route;
  return { name, match: grpcMatch, route: { ...action, max_stream_duration: { max_stream_duration: timeout } } };
}

/** Client side: an api_listener per name a service port is dialled by, one route table and one EDS cluster per port. */
function clientResources(model: MeshModel, workload: Workload, settings: MeshSettings, ready: Readiness, memo: ResourceMemo) {
  const listeners: Resource[] = [];
  const routes: Resource[] = [];
  const clusters: Resource[] = [];
  const endpoints: Resource[] = [];
  for (const service of model.services.filter((s) => inEgressScope(workload, s))) {
    const backends = workloadsOf(model, service);
    for (const port of service.ports.filter((p) => isHttp(p.protocol))) {
      const cluster = outboundClusterName(service, port);
      const routeName = `${serviceHostname(service)}:${port.port}`;
      for (const name of proxylessTargetNames(service, port, workload.namespace)) {
        listeners.push(memo.get(TypeUrl.Listener, name, () => ({
          name,
          api_listener: {
            api_listener: {
              '@type': EnvoyType.HttpConnectionManager,
              rds: { route_config_name: routeName, config_source: ADS },
              http_filters: [router],
            },
          },
        }), { scope: 'proxyless', inputs: [routeName] }));
      }
      // The listener already chose the service port; its one virtual host takes any authority.
      // Its routes are the sidecars' (HTTPRoute matches and weights), restated for gRPC.
      routes.push(memo.get(TypeUrl.RouteConfiguration, routeName, () => ({
        name: routeName,
        virtual_hosts: [{ name: routeName, domains: ['*'], routes: (serviceRoutes(model, service, port) as SidecarRoute[]).map(forGrpc) }],
      }), { scope: 'proxyless', inputs: [service, port, ...model.httpRoutes, ...model.services] }));
      // Same name as the sidecar's cluster (config dumps read alike), other TLS: scoped apart in the memo.
      clusters.push(memo.get(TypeUrl.Cluster, cluster, () => ({
        name: cluster, type: 'EDS', eds_cluster_config: { eds_config: ADS, service_name: cluster }, lb_policy: 'ROUND_ROBIN',
        transport_socket: upstreamTls(service, backends, settings),
      }), { scope: 'proxyless', inputs: [service, settings.trustDomain, ...backends] }));
      endpoints.push(outboundEndpoints(service, port, backends.filter(ready), memo));
    }
  }
  // Always there (gRPC subscribes only to the clusters its routes name, so unused it costs nothing).
  clusters.push(memo.get(TypeUrl.Cluster, PROXYLESS_NO_BACKEND_CLUSTER, () => (
    { name: PROXYLESS_NO_BACKEND_CLUSTER, type: 'EDS', eds_cluster_config: { eds_config: ADS, service_name: PROXYLESS_NO_BACKEND_CLUSTER }, lb_policy: 'ROUND_ROBIN' }
  ), { scope: 'proxyless' }));
  endpoints.push(memo.get(TypeUrl.ClusterLoadAssignment, PROXYLESS_NO_BACKEND_CLUSTER, () => ({ cluster_name: PROXYLESS_NO_BACKEND_CLUSTER, endpoints: [] }), { scope: 'proxyless' }));
  return { listeners, routes, clusters, endpoints };
}

/**
 * The workload's authorization as gRPC's RBAC filter takes it. gRPC rejects the LOG
 * action and has no shadow rules, so AUDIT policies and dry-run-only filters are left
 * out (a proxyless server neither audits nor dry-runs); everything enforced goes in.
 */
function rbacFilters(model: MeshModel, workload: Workload, settings: MeshSettings): object[] {
  const options = { rootNamespace: settings.rootNamespace, trustDomain: { trustDomain: settings.trustDomain } };
  return toEnvoyHttpRbac(model.authorizationPolicies, workload, options)
    .filter((config) => config.rules && config.rules.action !== 'LOG')
    .map((config, i) => ({ name: `envoy.filters.http.rbac.${i}`, typed_config: { '@type': EnvoyType.HttpRbac, rules: config.rules } }));
}

/**
 * Server side: the Listener a gRPC server bound to the workload's address and port
 * asks for. gRPC's server never matches a filter chain on `transport_protocol: tls`
 * (it cannot sniff TLS), so a port gets one chain: mTLS for STRICT and PERMISSIVE —
 * a proxyless server cannot also take plaintext — and plaintext only for DISABLE.
 */
function serverResources(model: MeshModel, workload: Workload, settings: MeshSettings, memo: ResourceMemo): Resource[] {
  const listeners: Resource[] = [];
  for (const [port, protocol] of inboundPorts(model, workload)) {
    // A gRPC server speaks HTTP/2 only: an opaque TCP port is no gRPC server's.
    if (!isHttp(protocol)) continue;
    const name = proxylessServerListenerName(workload.address, port);
    listeners.push(memo.get(TypeUrl.Listener, name, () => {
      const mode = effectiveMtlsMode(model.peerAuthentications, workload, port, { rootNamespace: settings.rootNamespace, meshDefault: settings.defaultMtls });
      const tls = {
        name: 'envoy.transport_sockets.tls',
        typed_config: {
          '@type': EnvoyType.DownstreamTlsContext,
          require_client_certificate: { value: true },
          common_tls_context: { tls_certificate_provider_instance: provider, validation_context: { ca_certificate_provider_instance: provider } },
        },
      };
      const hcm = {
        name: 'envoy.filters.network.http_connection_manager',
        typed_config: {
          '@type': EnvoyType.HttpConnectionManager,
          stat_prefix: `inbound_${port}`,
          // gRPC servers serve what they implement: the route only admits the call (non_forwarding_action).
          route_config: { name: inboundListenerName(port), virtual_hosts: [{ name: 'inbound', domains: ['*'], routes: [{ name: 'default', match: { prefix: '' }, non_forwarding_action: {} }] }] },
          http_filters: [...rbacFilters(model, workload, settings), router],
        },
      };
      return {
        name, address: socketAddress(workload.address, port), traffic_direction: 'INBOUND',
        filter_chains: [{ name: mode === 'DISABLE' ? 'plaintext' : 'mtls', filters: [hcm], ...(mode === 'DISABLE' ? {} : { transport_socket: tls }) }],
      };
    }, {
      scope: nodeIdOf(workload),
      inputs: [workload, port, settings.rootNamespace, settings.trustDomain, settings.defaultMtls, ...model.authorizationPolicies, ...model.peerAuthentications],
    }));
  }
  return listeners;
}

/** Everything one proxyless gRPC workload needs, as one consistent snapshot. */
export function proxylessSnapshot(
  model: MeshModel, workload: Workload, settings: MeshSettings, ready: Readiness = () => true, memo = new ResourceMemo(), previous?: Snapshot,
): Snapshot {
  const client = clientResources(model, workload, settings, ready, memo);
  return Snapshot.create({
    [TypeUrl.Listener]: { resources: [...serverResources(model, workload, settings, memo), ...client.listeners] },
    [TypeUrl.RouteConfiguration]: { resources: client.routes },
    [TypeUrl.Cluster]: { resources: client.clusters },
    [TypeUrl.ClusterLoadAssignment]: { resources: client.endpoints },
  }, previous);
}
