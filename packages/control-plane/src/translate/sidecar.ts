import { effectiveMtlsMode, toEnvoyHttpRbac, toEnvoyNetworkRbac, type AuthorizationPolicy } from '@trellis/policy';
import { Snapshot, TypeUrl, type Resource } from '@trellis/xds';
import { openApiDocumentOf } from '../kinds/openapi-ref';
import { ResourceMemo } from './memo';
import {
  egressScopeKey, httpRoutesFor, inEgressScope, selects, serviceHostname, servicesIn, wafPolicyFor, workloadPort, workloadsOf,
  type HttpRoute, type HttpRouteMatch, type MeshModel, type PortProtocol, type Service, type ServicePort, type WafPolicy, type Workload,
} from '../model/mesh';
import { captureResources, type OutboundTrafficPolicy } from './capture';
import { ADS, EnvoyType, duration, sdsSecret, socketAddress } from './envoy';
import {
  OUTBOUND_HTTP_ROUTE, ROOT_CA_SECRET, WORKLOAD_CERT_SECRET, inboundClusterName, inboundListenerName, nodeIdOf, outboundClusterName, spiffeId,
} from './names';

export interface MeshSettings {
  trustDomain: string;
  rootNamespace: string;
  /** Mesh-wide mTLS when no PeerAuthentication says otherwise. Ours is STRICT (Istio's is PERMISSIVE). */
  defaultMtls: 'STRICT' | 'PERMISSIVE';
  /** PEM roots every workload trusts (old + new during a root rotation). */
  trustBundlePem: string;
  /**
   * What a captured app's call to a destination outside the registry gets: passed through to it
   * as sent (ALLOW_ANY, Istio's default and ours) or refused (REGISTRY_ONLY). See docs/decisions/transparent-capture.md.
   */
  outboundTrafficPolicy: OutboundTrafficPolicy;
}

export const isHttp = (protocol: PortProtocol) => protocol !== 'tcp';

function http2Options(): object {
  return { 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': { '@type': EnvoyType.HttpProtocolOptions, explicit_http_config: { http2_protocol_options: {} } } };
}

/** The services whose ports a workload serves, with the workload port each maps to. */
export function inboundPorts(model: MeshModel, workload: Workload): Map<number, PortProtocol> {
  const ports = new Map<number, PortProtocol>();
  for (const service of servicesIn(model, workload.namespace)) {
    if (!selects(service.selector, workload.labels)) continue;
    for (const port of service.ports) {
      const target = workloadPort(workload, port);
      if (target === undefined) continue;
      const known = ports.get(target);
      // Two services disagreeing on a port's protocol: fall back to opaque TCP, which carries both.
      ports.set(target, known === undefined || known === port.protocol ? port.protocol : 'tcp');
    }
  }
  return ports;
}

function downstreamTls(): object {
  return {
    name: 'envoy.transport_sockets.tls',
    typed_config: {
      '@type': EnvoyType.DownstreamTlsContext,
      require_client_certificate: { value: true },
      common_tls_context: {
        tls_certificate_sds_secret_configs: [sdsSecret(WORKLOAD_CERT_SECRET)],
        validation_context_sds_secret_config: sdsSecret(ROOT_CA_SECRET),
        alpn_protocols: ['h2', 'http/1.1'],
      },
    },
  };
}

function rbacFilters(policies: AuthorizationPolicy[], workload: Workload, settings: MeshSettings, tcp: boolean): object[] {
  const options = { rootNamespace: settings.rootNamespace, trustDomain: { trustDomain: settings.trustDomain } };
  const configs = tcp ? toEnvoyNetworkRbac(policies, workload, options) : toEnvoyHttpRbac(policies, workload, options);
  return configs.map((config, i) => ({
    name: tcp ? `envoy.filters.network.rbac.${i}` : `envoy.filters.http.rbac.${i}`,
    typed_config: { '@type': tcp ? EnvoyType.NetworkRbac : EnvoyType.HttpRbac, ...config },
  }));
}

/** The WAF runs after authorization: requests denied by policy cost no rule evaluation. */
function wafFilter(policy: WafPolicy | undefined): object[] {
  if (!policy) return [];
  return [{
    name: 'trellis.filters.http.waf',
    typed_config: {
      '@type': EnvoyType.Waf,
      mode: policy.mode === 'block' ? 'BLOCK' : 'DETECT',
      rule_set: policy.ruleSet === 'owasp-crs' ? 'OWASP_CRS' : 'TRELLIS_DEFAULT',
      paranoia_level: policy.paranoiaLevel,
      exclude_rule_ids: policy.exclusions.ruleIds,
      exclude_tags: policy.exclusions.tags,
      exclude_paths: policy.exclusions.paths,
      exclude_parameters: policy.exclusions.parameters,
      policy: `${policy.namespace}/${policy.name}`,
    },
  }];
}

/**
 * OpenAPI enforcement after the WAF: requests that already failed the rules are not
 * parsed again. A policy whose document cannot be used is reported by the source; its
 * WAF stays in force without the document.
 */
function openApiFilter(model: MeshModel, policy: WafPolicy | undefined): object[] {
  const document = policy && openApiDocumentOf(model, policy);
  if (!document || !('json' in document)) return [];
  return [{
    name: 'trellis.filters.http.openapi',
    typed_config: { '@type': EnvoyType.OpenApi, document: document.json, mode: policy.mode === 'block' ? 'BLOCK' : 'DETECT', policy: `${policy.namespace}/${policy.name}` },
  }];
}

function inboundFilters(port: number, protocol: PortProtocol, workload: Workload, model: MeshModel, settings: MeshSettings): object[] {
  const cluster = inboundClusterName(port);
  if (!isHttp(protocol)) {
    return [
      ...rbacFilters(model.authorizationPolicies, workload, settings, true),
      { name: 'envoy.filters.network.tcp_proxy', typed_config: { '@type': EnvoyType.TcpProxy, stat_prefix: cluster, cluster } },
    ];
  }
  const waf = wafPolicyFor(model, workload);
  return [{
    name: 'envoy.filters.network.http_connection_manager',
    typed_config: {
      '@type': EnvoyType.HttpConnectionManager,
      stat_prefix: `inbound_${port}`,
      codec_type: 'AUTO',
      forward_client_cert_details: 'SANITIZE_SET',
      set_current_client_cert_details: { uri: true },
      route_config: {
        name: inboundListenerName(port),
        virtual_hosts: [{ name: 'inbound', domains: ['*'], routes: [{ name: 'default', match: { prefix: '/' }, route: { cluster, timeout: duration(0) } }] }],
      },
      http_filters: [
        ...rbacFilters(model.authorizationPolicies, workload, settings, false),
        ...wafFilter(waf),
        ...openApiFilter(model, waf),
        { name: 'envoy.filters.http.router', typed_config: { '@type': EnvoyType.Router } },
      ],
    },
  }];
}

/** The chains of one inbound port: mTLS, plaintext, or both, as PeerAuthentication says. */
function inboundChains(port: number, protocol: PortProtocol, workload: Workload, model: MeshModel, settings: MeshSettings): object[] {
  const mode = effectiveMtlsMode(model.peerAuthentications, workload, port, { rootNamespace: settings.rootNamespace, meshDefault: settings.defaultMtls });
  const filters = inboundFilters(port, protocol, workload, model, settings);
  const chains: object[] = [];
  if (mode !== 'DISABLE') chains.push({ name: 'mtls', filter_chain_match: { transport_protocol: 'tls' }, transport_socket: downstreamTls(), filters });
  if (mode !== 'STRICT') chains.push({ name: 'plaintext', filter_chain_match: { transport_protocol: 'raw_buffer' }, filters });
  return chains;
}

/** This workload's own resources, memoized under its node id: re-encoded only when they change. */
function inboundResources(model: MeshModel, workload: Workload, settings: MeshSettings, memo: ResourceMemo): { listeners: Resource[]; clusters: Resource[] } {
  const listeners: Resource[] = [];
  const clusters: Resource[] = [];
  const node = nodeIdOf(workload);
  const portNames = Object.fromEntries(Object.entries(workload.ports).map(([name, port]) => [port, name]));
  for (const [port, protocol] of inboundPorts(model, workload)) {
    const name = inboundListenerName(port);
    listeners.push(memo.get(TypeUrl.Listener, name, () => (
      { name, address: socketAddress(workload.address, port), traffic_direction: 'INBOUND', filter_chains: inboundChains(port, protocol, workload, model, settings) }
    ), {
      scope: node,
      inputs: [
        workload, port, protocol, settings.rootNamespace, settings.trustDomain, settings.defaultMtls,
        ...model.authorizationPolicies, ...model.peerAuthentications, ...model.wafPolicies, ...model.configMaps,
      ],
    }));
    const appPort = workload.sidecar.appPorts[portNames[port] ?? ''] ?? port;
    const cluster = inboundClusterName(port);
    clusters.push(memo.get(TypeUrl.Cluster, cluster, () => ({
      name: cluster, type: 'STATIC', connect_timeout: duration(1000), lb_policy: 'ROUND_ROBIN',
      load_assignment: { cluster_name: cluster, endpoints: [{ lb_endpoints: [{ endpoint: { address: socketAddress('127.0.0.1', appPort) } }] }] },
      // gRPC and h2c apps get HTTP/2 from their proxy, as they would from a direct client.
      ...(protocol === 'grpc' || protocol === 'http2' ? { typed_extension_protocol_options: http2Options() } : {}),
    }), { scope: node, inputs: [appPort, protocol] }));
  }
  return { listeners, clusters };
}

const RETRY_POLICY = { retry_on: 'connect-failure,reset', num_retries: { value: 2 } };

/** The Gateway API's precedence: exact path, then longer prefixes, then a method, then more header matches. */
function specificity(match: HttpRouteMatch): number[] {
  return [match.pathType === 'Exact' ? 1 : 0, match.pathType === 'PathPrefix' ? match.path.length : 0, match.method ? 1 : 0, match.headers.length];
}

/** HTTPRoute rules as Envoy routes, most specific match first; ties keep route age and rule order. */
function routesFrom(attached: HttpRoute[], model: MeshModel): object[] {
  const entries = attached.flatMap((route) => route.rules.flatMap((rule, r) => rule.matches.map((match, m) => ({ route, rule, match, name: `${route.namespace}/${route.name}/rule-${r}/match-${m}` }))));
  const ordered = entries.map((e, i) => ({ ...e, i })).sort((a, b) => {
    const [x, y] = [specificity(a.match), specificity(b.match)];
    for (let k = 0; k < x.length; k++) if (x[k] !== y[k]) return y[k]! - x[k]!;
    return a.i - b.i;
  });
  return ordered.map(({ rule, match, name }) => {
    const path = match.pathType === 'Exact' ? { path: match.path } : match.pathType === 'RegularExpression' ? { safe_regex: { regex: match.path } } : { prefix: match.path };
    const headers = [
      ...(match.method ? [{ name: ':method', string_match: { exact: match.method } }] : []),
      ...match.headers.map((h) => ({ name: h.name, string_match: h.regex ? { safe_regex: { regex: h.value } } : { exact: h.value } })),
    ];
    const backends = rule.backends
      .map((b) => ({ ...b, target: model.services.find((s) => s.namespace === b.namespace && s.name === b.service)?.ports.find((p) => p.port === b.port && isHttp(p.protocol)) }))
      .filter((b) => b.target && b.weight > 0);
    const envoyMatch = { ...path, ...(headers.length ? { headers } : {}) };
    if (backends.length === 0) return { name, match: envoyMatch, direct_response: { status: 500, body: { inline_string: 'no backend of this route is available\n' } } };
    const clusters = backends.map((b) => ({ name: outboundClusterName(model.services.find((s) => s.namespace === b.namespace && s.name === b.service)!, b.target!), weight: { value: b.weight } }));
    const action = clusters.length === 1 ? { cluster: clusters[0]!.name } : { weighted_clusters: { clusters } };
    return { name, match: envoyMatch, route: { ...action, timeout: duration(rule.timeoutMs ?? 0), retry_policy: RETRY_POLICY } };
  });
}

function virtualHosts(model: MeshModel, services: Service[], namespace: string): object[] {
  return services.flatMap((service) =>
    service.ports.filter((p) => isHttp(p.protocol)).map((port, i) => {
      return {
        name: `${serviceHostname(service)}:${port.port}`,
        // Bare host names (no port) go to a service's first HTTP port.
        domains: domainsFor(service, port, namespace, i === 0),
        routes: serviceRoutes(model, service, port),
      };
    }));
}

/** A service port's routes: its HTTPRoutes', or the default one to its cluster. Proxyless clients get the same ones. */
export function serviceRoutes(model: MeshModel, service: Service, port: ServicePort): object[] {
  const attached = httpRoutesFor(model, service, port);
  return attached.length > 0 ? routesFrom(attached, model) : [{ name: 'default', match: { prefix: '/' }, route: { cluster: outboundClusterName(service, port), timeout: duration(0), retry_policy: RETRY_POLICY } }];
}

/** Host names a client may use for a service port, most specific last. */
function domainsFor(service: Service, port: ServicePort, fromNamespace: string, bareNames: boolean): string[] {
  const names = [`${service.name}.${service.namespace}`, `${service.name}.${service.namespace}.svc`, serviceHostname(service)];
  if (service.namespace === fromNamespace) names.unshift(service.name);
  return [...(bareNames ? names : []), ...names.map((n) => `${n}:${port.port}`)];
}

function upstreamTls(service: Service, port: ServicePort, backends: Workload[], settings: MeshSettings): object {
  const accounts = [...new Set(backends.map((w) => w.serviceAccount))].sort();
  return {
    name: 'envoy.transport_sockets.tls',
    typed_config: {
      '@type': EnvoyType.UpstreamTlsContext,
      sni: `outbound_.${port.port}_._.${serviceHostname(service)}`,
      common_tls_context: {
        tls_certificate_sds_secret_configs: [sdsSecret(WORKLOAD_CERT_SECRET)],
        combined_validation_context: {
          // Secure naming: the server must prove one of the identities that run this service.
          default_validation_context: {
            match_typed_subject_alt_names: accounts.map((sa) => ({ san_type: 'URI', matcher: { exact: spiffeId(settings.trustDomain, service.namespace, sa) } })),
          },
          validation_context_sds_secret_config: sdsSecret(ROOT_CA_SECRET),
        },
        alpn_protocols: ['h2'],
      },
    },
  };
}

/** A service port's serving endpoints; sidecars and proxyless clients reach the same addresses, so they share it. */
export function outboundEndpoints(service: Service, port: ServicePort, serving: Workload[], memo: ResourceMemo): Resource {
  const name = outboundClusterName(service, port);
  return memo.get(TypeUrl.ClusterLoadAssignment, name, () => ({
    cluster_name: name,
    endpoints: [{
      // gRPC skips an endpoint group without a locality and a weight; the mesh knows no zones, so one unnamed group.
      locality: {},
      load_balancing_weight: { value: 1 },
      lb_endpoints: serving.flatMap((w) => {
        const target = workloadPort(w, port);
        return target === undefined ? [] : [{ endpoint: { address: socketAddress(w.address, target) }, health_status: 'HEALTHY' }];
      }),
    }],
  }), { inputs: [service, ...serving] });
}

/** Whether a workload can take mesh traffic now (its proxy is up); endpoints that cannot are left out. */
export type Readiness = (workload: Workload) => boolean;

/** The clusters and endpoints of the services a proxy may call: the same for every proxy of one egress scope. */
function outboundUpstreams(model: MeshModel, workload: Workload, settings: MeshSettings, ready: Readiness, memo: ResourceMemo) {
  const clusters: Resource[] = [];
  const endpoints: Resource[] = [];
  const visible = model.services.filter((service) => inEgressScope(workload, service));
  for (const service of visible) {
    const backends = workloadsOf(model, service);
    const serving = backends.filter(ready);
    for (const port of service.ports.filter((p) => isHttp(p.protocol))) {
      const name = outboundClusterName(service, port);
      clusters.push(memo.get(TypeUrl.Cluster, name, () => ({
        name, type: 'EDS', eds_cluster_config: { eds_config: ADS, service_name: name }, connect_timeout: duration(1000), lb_policy: 'ROUND_ROBIN',
        transport_socket: upstreamTls(service, port, backends, settings),
        // h2/gRPC requests between proxies share one HTTP/2 mTLS connection per peer (our proxy keeps
        // HTTP/1.1 requests on pooled HTTP/1.1 connections: cheaper in Node, see test/bench/h2-hop.bench.js).
        typed_extension_protocol_options: http2Options(),
      }), { inputs: [service, settings.trustDomain, ...backends] }));
      endpoints.push(outboundEndpoints(service, port, serving, memo));
    }
  }
  return { visible, clusters, endpoints };
}

/** Requests an app sends to its proxy by name, routed by their Host header. */
const OUTBOUND_HTTP_FILTER = {
  name: 'envoy.filters.network.http_connection_manager',
  typed_config: {
    '@type': EnvoyType.HttpConnectionManager,
    stat_prefix: 'outbound_http',
    codec_type: 'AUTO',
    rds: { route_config_name: OUTBOUND_HTTP_ROUTE, config_source: ADS },
    http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': EnvoyType.Router } }],
  },
};

function outboundResources(model: MeshModel, workload: Workload, settings: MeshSettings, ready: Readiness, memo: ResourceMemo) {
  const egress = egressScopeKey(workload);
  // Proxies of one egress scope share these lists (mesh-wide, all of them do): a push then costs each
  // proxy a lookup, not a walk over its services, and the snapshot cache maps and hashes each list once.
  const { visible, clusters, endpoints } = memo.shared(`outbound\u0000${egress}`, () => outboundUpstreams(model, workload, settings, ready, memo));
  // The route table also depends on the caller's namespace, where short names resolve.
  const routeScope = `${workload.namespace}:${egress}`;
  const route = memo.get(TypeUrl.RouteConfiguration, OUTBOUND_HTTP_ROUTE, () => ({ name: OUTBOUND_HTTP_ROUTE, virtual_hosts: virtualHosts(model, visible, workload.namespace) }), { scope: routeScope });
  const listener = memo.get(TypeUrl.Listener, 'outbound|http', () => ({
    name: 'outbound|http',
    address: socketAddress(workload.address, workload.sidecar.outboundPort),
    traffic_direction: 'OUTBOUND',
    filter_chains: [{ name: 'http', filters: [OUTBOUND_HTTP_FILTER] }],
  }), { scope: nodeIdOf(workload), inputs: [workload.address, workload.sidecar.outboundPort] });
  return { listener, clusters, endpoints, route };
}

/**
 * Everything one sidecar needs, as one consistent snapshot. Given the snapshot the
 * sidecar holds, types whose resources are all unchanged keep it as it is.
 */
export function sidecarSnapshot(
  model: MeshModel, workload: Workload, settings: MeshSettings, ready: Readiness = () => true, memo = new ResourceMemo(), previous?: Snapshot,
): Snapshot {
  const inbound = inboundResources(model, workload, settings, memo);
  const outbound = outboundResources(model, workload, settings, ready, memo);
  // A captured workload's virtual listeners replace the explicit ones.
  const capture = workload.sidecar.capture ? captureResources(model, workload, ready, memo, settings.outboundTrafficPolicy, {
    explicitOutbound: OUTBOUND_HTTP_FILTER, inboundPorts: inboundPorts(model, workload), inboundChains: (port, protocol) => inboundChains(port, protocol, workload, model, settings),
    serviceRoutes: (service, port) => serviceRoutes(model, service, port), upstreamTls: (service, port, backends) => upstreamTls(service, port, backends, settings), http2Options,
  }) : undefined;
  return Snapshot.create({
    [TypeUrl.Secret]: { resources: [memo.get(TypeUrl.Secret, ROOT_CA_SECRET, () => ({ name: ROOT_CA_SECRET, validation_context: { trusted_ca: { inline_string: settings.trustBundlePem } } }))] },
    [TypeUrl.Cluster]: { resources: [...inbound.clusters, ...outbound.clusters, ...(capture?.clusters ?? [])] },
    [TypeUrl.ClusterLoadAssignment]: { resources: outbound.endpoints },
    [TypeUrl.Listener]: { resources: capture ? capture.listeners : [...inbound.listeners, outbound.listener] },
    [TypeUrl.RouteConfiguration]: { resources: [outbound.route] },
  }, previous);
}
