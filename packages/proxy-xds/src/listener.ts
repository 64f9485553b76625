import { FieldChecker, HTTP_CONNECTION_MANAGER_TYPE, unpackAny, type AnyMessage, type FilterChain, type Listener, type RouteConfiguration } from '@trellis/xds';
import { translateRouteConfiguration } from './route';
import { durationMs, rejectUnsupported } from './supported';
import { downstreamTls } from './tls';

const TCP_PROXY_TYPE = 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy';
/** Network filters the proxy can run ahead of the terminal one (the sidecar registers their factories). */
const NETWORK_FILTER_TYPES = ['type.googleapis.com/envoy.extensions.filters.network.rbac.v3.RBAC'];
const ORIGINAL_DST_FILTER = 'envoy.filters.listener.original_dst';
/** Listener filters whose work the proxy always does: it detects TLS, SNI, ALPN and h2c itself. */
const BUILT_IN_INSPECTORS = ['envoy.filters.listener.tls_inspector', 'envoy.filters.listener.http_inspector'];
const CODECS: Record<string, string> = { AUTO: 'auto', HTTP1: 'http1', HTTP2: 'http2' };

interface Hcm {
  stat_prefix?: string; codec_type?: string; forward_client_cert_details?: string;
  rds?: { route_config_name: string }; route_config?: RouteConfiguration;
  http_filters?: { name: string; typed_config?: AnyMessage }[];
  request_headers_timeout?: object; max_request_headers_kb?: { value: number };
  common_http_protocol_options?: { idle_timeout?: object };
}

function httpConnectionManager(check: FieldChecker, any: AnyMessage, at: string) {
  const hcm = unpackAny<Hcm>(any, { defaults: false });
  rejectUnsupported(check, hcm, [
    'stat_prefix', 'codec_type', 'rds', 'route_config', 'route_specifier', 'http_filters', 'forward_client_cert_details', 'set_current_client_cert_details',
    'request_headers_timeout', 'max_request_headers_kb', 'common_http_protocol_options',
  ], at);
  rejectUnsupported(check, hcm.common_http_protocol_options, ['idle_timeout'], `${at}.common_http_protocol_options`);
  const idle = durationMs(hcm.common_http_protocol_options?.idle_timeout as never);
  const headersTimeout = durationMs(hcm.request_headers_timeout as never);
  return {
    kind: 'http',
    statPrefix: hcm.stat_prefix || 'http',
    ...(hcm.rds ? { routeConfigName: hcm.rds.route_config_name } : {}),
    ...(hcm.route_config ? { routeConfig: translateRouteConfiguration(check, hcm.route_config, `${at}.route_config`) } : {}),
    // The typed config stays as the filter's factory will read it: decoded, proto field names.
    httpFilters: (hcm.http_filters ?? []).map((f) => ({
      name: f.name,
      ...(f.typed_config ? { typeUrl: f.typed_config.type_url, typedConfig: unpackAny(f.typed_config) } : {}),
    })),
    codec: CODECS[hcm.codec_type ?? 'AUTO'] ?? check.fail(`${at}.codec_type`, `${hcm.codec_type} is not supported`),
    forwardClientCertDetails: hcm.forward_client_cert_details === 'SANITIZE_SET',
    ...(headersTimeout ? { requestHeadersTimeoutMs: headersTimeout } : {}),
    ...(idle ? { idleTimeoutMs: idle } : {}),
    ...(hcm.max_request_headers_kb ? { maxRequestHeadersBytes: hcm.max_request_headers_kb.value * 1024 } : {}),
  };
}

function tcpProxy(check: FieldChecker, any: AnyMessage, at: string) {
  const tcp = unpackAny<{ stat_prefix?: string; cluster?: string; weighted_clusters?: { clusters: { name: string; weight: number }[] }; idle_timeout?: object }>(any, { defaults: false });
  rejectUnsupported(check, tcp, ['stat_prefix', 'cluster', 'weighted_clusters', 'cluster_specifier', 'idle_timeout'], at);
  const idle = durationMs(tcp.idle_timeout as never);
  return {
    kind: 'tcp',
    statPrefix: tcp.stat_prefix || 'tcp',
    ...(tcp.cluster ? { cluster: tcp.cluster } : {}),
    ...(tcp.weighted_clusters ? { weightedClusters: tcp.weighted_clusters.clusters.map((c) => ({ name: c.name, weight: c.weight })) } : {}),
    ...(idle ? { idleTimeoutMs: idle } : {}),
  };
}

function filterChain(check: FieldChecker, chain: FilterChain, at: string) {
  rejectUnsupported(check, chain, ['name', 'filter_chain_match', 'filters', 'transport_socket'], at);
  const m = chain.filter_chain_match;
  rejectUnsupported(check, m, ['destination_port', 'prefix_ranges', 'server_names', 'transport_protocol', 'application_protocols'], `${at}.filter_chain_match`);
  // Envoy's order: filters that judge the connection, then one terminal filter that serves it.
  const last = chain.filters.length - 1;
  const terminal = chain.filters[last]!;
  const type = terminal.typed_config?.type_url;
  const where = `${at}.filters[${last}]`;
  const network = type === HTTP_CONNECTION_MANAGER_TYPE ? httpConnectionManager(check, terminal.typed_config!, `${where}.typed_config`)
    : type === TCP_PROXY_TYPE ? tcpProxy(check, terminal.typed_config!, `${where}.typed_config`)
    : check.fail(where, `${terminal.name}: the last network filter must be http_connection_manager or tcp_proxy, not ${type}`);
  const networkFilters = chain.filters.slice(0, last).map((f, i) => {
    const filterType = f.typed_config?.type_url;
    check.require(!!filterType && NETWORK_FILTER_TYPES.includes(filterType), `${at}.filters[${i}]`, `network filter ${f.name} (${filterType}) is not supported ahead of the terminal filter`);
    // The typed config stays as the filter's factory will read it: decoded, proto field names.
    return { name: f.name, typeUrl: filterType, typedConfig: unpackAny(f.typed_config!) };
  });
  return {
    name: chain.name || at,
    match: {
      ...(m?.destination_port ? { destinationPort: m.destination_port.value } : {}),
      ...(m?.prefix_ranges?.length ? { prefixRanges: m.prefix_ranges.map((r) => ({ addressPrefix: r.address_prefix, prefixLen: r.prefix_len?.value ?? 0 })) } : {}),
      ...(m?.server_names?.length ? { serverNames: m.server_names } : {}),
      ...(m?.transport_protocol ? { transportProtocol: m.transport_protocol } : {}),
      ...(m?.application_protocols?.length ? { applicationProtocols: m.application_protocols } : {}),
    },
    ...(chain.transport_socket ? { tls: downstreamTls(check, chain.transport_socket, `${at}.transport_socket`) } : {}),
    ...(networkFilters.length > 0 ? { networkFilters } : {}),
    network,
  };
}

/**
 * Whether connections are matched by their original destination: the original_dst listener
 * filter. Envoy's use_original_dst (hand a connection to the listener bound at its original
 * address) is NACKed: the proxy matches this listener's own chains instead.
 */
function originalDstFilter(check: FieldChecker, listener: Listener): boolean {
  check.require(!(listener['use_original_dst'] as { value?: boolean } | undefined)?.value, 'use_original_dst',
    `hand-off to another listener is not supported; match this listener's chains on the original destination with the ${ORIGINAL_DST_FILTER} listener filter`);
  const filters = (listener['listener_filters'] ?? []) as { name: string }[];
  filters.forEach((f, i) => check.require(f.name === ORIGINAL_DST_FILTER || BUILT_IN_INSPECTORS.includes(f.name), `listener_filters[${i}]`, `${f.name} is not supported`));
  return filters.some((f) => f.name === ORIGINAL_DST_FILTER);
}

/** `listener` must be the message as sent (decoded without defaults). */
export function translateListener(check: FieldChecker, listener: Listener) {
  rejectUnsupported(check, listener, ['name', 'address', 'filter_chains', 'default_filter_chain', 'traffic_direction', 'stat_prefix', 'listener_filters', 'use_original_dst'], '');
  check.require(!listener.api_listener, 'api_listener', 'is for proxyless clients; a sidecar needs a socket address');
  const socket = listener.address!.socket_address!;
  return {
    name: listener.name,
    address: socket.address,
    port: socket.port_value,
    ...(originalDstFilter(check, listener) ? { useOriginalDst: true } : {}),
    filterChains: (listener.filter_chains ?? []).map((c, i) => filterChain(check, c, `filter_chains[${i}]`)),
    ...(listener.default_filter_chain ? { defaultFilterChain: filterChain(check, listener.default_filter_chain, 'default_filter_chain') } : {}),
  };
}
