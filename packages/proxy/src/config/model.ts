// The proxy's typed configuration. It mirrors Envoy v3 resources concept for concept
// (Listener / RouteConfiguration / Cluster / ClusterLoadAssignment / Secret) in camelCase,
// so the xDS translation maps each Envoy field onto exactly one field here.
// `parseSnapshot` is the single place untrusted JSON becomes these types.

export interface Snapshot {
  listeners: Listener[];
  routes: RouteConfiguration[];
  clusters: Cluster[];
  endpoints: ClusterLoadAssignment[];
  secrets: Secret[];
}

// ---- Listener (envoy.config.listener.v3.Listener) ----

export interface Listener {
  name: string;
  address: string;
  port: number;
  filterChains: FilterChain[];
  defaultFilterChain?: FilterChain;
  /** Downstream connections beyond this are refused (Envoy: overload manager / connection limit). */
  maxConnections?: number;
  /**
   * Connections redirected here by iptables are matched and served as addressed to their
   * original destination (Envoy: use_original_dst, the original_dst listener filter).
   */
  useOriginalDst?: boolean;
}

export type TransportProtocol = 'tls' | 'raw_buffer';

/** An address block, as Envoy's CidrRange. */
export interface CidrRange {
  addressPrefix: string;
  prefixLen: number;
}

export interface FilterChainMatch {
  destinationPort?: number;
  /** Destination addresses; the longest matching prefix wins (Envoy: prefix_ranges). */
  prefixRanges?: CidrRange[];
  serverNames?: string[];
  transportProtocol?: TransportProtocol;
  applicationProtocols?: string[];
}

/** DownstreamTlsContext: terminate TLS, optionally require and verify a client certificate. */
export interface DownstreamTls {
  certificateSecret: string;
  validationSecret?: string;
  requireClientCert: boolean;
  /** Accepted peer SPIFFE IDs; empty = any identity from the trust domain bundle. */
  matchSubjectAltNames: string[];
  alpn?: string[];
}

export interface FilterChain {
  name: string;
  match: FilterChainMatch;
  tls?: DownstreamTls;
  /** Run once per connection ahead of `network`, e.g. network RBAC; empty when none. */
  networkFilters: NetworkFilterConfig[];
  /** The terminal network filter. */
  network: HttpConnectionManager | TcpProxy;
}

/** A network or HTTP filter as configured: its name and the config its factory decodes. */
export interface FilterConfig {
  name: string;
  /** Decoded by the factory registered under `name` (or the type URL in `typeUrl`). */
  typedConfig?: unknown;
  typeUrl?: string;
}
export type NetworkFilterConfig = FilterConfig;
export type HttpFilterConfig = FilterConfig;

export type CodecType = 'auto' | 'http1' | 'http2';

export interface HttpConnectionManager {
  kind: 'http';
  statPrefix: string;
  routeConfigName?: string;
  routeConfig?: RouteConfiguration;
  httpFilters: HttpFilterConfig[];
  codec: CodecType;
  /** Time allowed for a request head to arrive (Envoy: request_headers_timeout). */
  requestHeadersTimeoutMs: number;
  /** Idle keep-alive connection timeout (Envoy: common_http_protocol_options.idle_timeout). */
  idleTimeoutMs: number;
  /** Request head size limit; larger heads get 431 (Envoy: max_request_headers_kb). */
  maxRequestHeadersBytes: number;
  /** Remove any x-forwarded-client-cert from the request and set one from the verified peer. */
  forwardClientCertDetails: boolean;
}

export interface WeightedCluster {
  name: string;
  weight: number;
}

export interface TcpProxy {
  kind: 'tcp';
  statPrefix: string;
  cluster?: string;
  weightedClusters?: WeightedCluster[];
  idleTimeoutMs: number;
}

// ---- RouteConfiguration ----

export interface RouteConfiguration {
  name: string;
  virtualHosts: VirtualHost[];
}

export interface VirtualHost {
  name: string;
  /** Exact host, `*.suffix`, `prefix.*`, or `*`; a `:port` suffix on the request is ignored. */
  domains: string[];
  routes: Route[];
}

export interface HeaderMatcher {
  name: string;
  exact?: string;
  prefix?: string;
  safeRegex?: string;
  present?: boolean;
  invert?: boolean;
}

export interface RouteMatch {
  prefix?: string;
  path?: string;
  safeRegex?: string;
  headers: HeaderMatcher[];
  caseSensitive: boolean;
}

export type RetryOn = '5xx' | 'connect-failure' | 'reset' | 'gateway-error' | 'retriable-status-codes';

export interface RetryPolicy {
  retryOn: RetryOn[];
  numRetries: number;
  perTryTimeoutMs?: number;
  retriableStatusCodes?: number[];
}

export type HashPolicy = { header: string } | { sourceIp: true };

export interface RouteAction {
  cluster?: string;
  weightedClusters?: WeightedCluster[];
  /** 0 disables the timeout. */
  timeoutMs: number;
  retryPolicy?: RetryPolicy;
  prefixRewrite?: string;
  hashPolicy?: HashPolicy[];
}

export interface DirectResponse {
  status: number;
  body?: string;
}

export interface Route {
  name: string;
  match: RouteMatch;
  route?: RouteAction;
  directResponse?: DirectResponse;
}

// ---- Cluster ----

/** CLUSTER_PROVIDED goes with ORIGINAL_DST: the connection names its host, there is nothing to balance. */
export type LbPolicy = 'ROUND_ROBIN' | 'LEAST_REQUEST' | 'RING_HASH' | 'CLUSTER_PROVIDED';

export interface CircuitBreakers {
  maxConnections: number;
  maxPendingRequests: number;
  maxRequests: number;
  maxRetries: number;
}

export interface OutlierDetection {
  consecutive5xx: number;
  intervalMs: number;
  baseEjectionTimeMs: number;
  maxEjectionPercent: number;
}

/** Active health checking: a connect (over mTLS if the cluster uses it), plus a GET when httpPath is set. */
export interface HealthCheck {
  intervalMs: number;
  timeoutMs: number;
  unhealthyThreshold: number;
  healthyThreshold: number;
  /** GET this path and expect a 2xx; absent = the connect alone is the check. */
  httpPath?: string;
}

/** UpstreamTlsContext: originate mTLS and check the server's identity (secure naming). */
export interface UpstreamTls {
  certificateSecret: string;
  validationSecret: string;
  /** Expected server SPIFFE IDs; the handshake fails unless the peer presents one of them. */
  matchSubjectAltNames: string[];
  sni?: string;
  alpn: string[];
}

export interface Cluster {
  name: string;
  /** ORIGINAL_DST (Envoy's passthrough): each TCP connection goes to its own original destination, as sent. */
  type: 'EDS' | 'STATIC' | 'ORIGINAL_DST';
  lbPolicy: LbPolicy;
  connectTimeoutMs: number;
  /**
   * Upstream protocol follows the downstream one (Envoy: use_downstream_protocol_config):
   * HTTP/1.1 requests go out over pooled keep-alive connections, HTTP/2 (gRPC) requests
   * are multiplexed on one HTTP/2 connection per endpoint. `http2: false` refuses HTTP/2
   * requests to an upstream that cannot speak it.
   */
  http2: boolean;
  circuitBreakers: CircuitBreakers;
  outlierDetection?: OutlierDetection;
  healthChecks?: HealthCheck;
  tls?: UpstreamTls;
  /** Keep-alive connections idle longer than this are closed. */
  idleTimeoutMs: number;
  /** STATIC clusters carry their endpoints inline (Envoy: load_assignment). */
  loadAssignment?: ClusterLoadAssignment;
}

export type HealthStatus = 'HEALTHY' | 'UNHEALTHY' | 'DRAINING' | 'UNKNOWN';

export interface Endpoint {
  address: string;
  port: number;
  weight: number;
  healthStatus: HealthStatus;
}

export interface ClusterLoadAssignment {
  clusterName: string;
  endpoints: Endpoint[];
}

// ---- Secrets ----

export interface TlsCertificate {
  certChainPem: string;
  privateKeyPem: string;
}

export interface ValidationContext {
  trustedCaPem: string;
}

export interface Secret {
  name: string;
  tlsCertificate?: TlsCertificate;
  validationContext?: ValidationContext;
}

export const ROUTER_FILTER = 'envoy.filters.http.router';

export const DEFAULT_CIRCUIT_BREAKERS: CircuitBreakers = {
  maxConnections: 1024,
  maxPendingRequests: 1024,
  maxRequests: 1024,
  maxRetries: 3,
};
