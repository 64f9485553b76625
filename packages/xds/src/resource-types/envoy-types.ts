import type { AnyMessage } from '../any';

/**
 * The parts of Envoy's v3 messages that our validators read, as decoded by
 * protobufjs (proto field names, enums as names, defaults filled). Fields we do
 * not read stay reachable through the index signature.
 */

export interface DataSource { filename?: string; inline_bytes?: Buffer; inline_string?: string; specifier?: string }
export interface SocketAddress { address: string; port_value: number; protocol?: string }
export interface Address { socket_address?: SocketAddress | null; pipe?: { path: string } | null; address?: string }
export interface ConfigSource { ads?: object | null; self?: object | null; config_source_specifier?: string }
export interface TypedExtension { name: string; typed_config?: AnyMessage | null }

export interface HttpConnectionManager {
  stat_prefix: string;
  codec_type: string;
  rds?: { config_source?: ConfigSource | null; route_config_name: string } | null;
  route_config?: RouteConfiguration | null;
  route_specifier?: string;
  http_filters: (TypedExtension & { is_optional?: boolean; disabled?: boolean })[];
  [field: string]: unknown;
}

export interface FilterChainMatch {
  destination_port?: { value: number } | null;
  server_names: string[];
  transport_protocol: string;
  application_protocols: string[];
  prefix_ranges: { address_prefix: string; prefix_len?: { value: number } | null }[];
  [field: string]: unknown;
}

export interface FilterChain {
  name: string;
  filter_chain_match?: FilterChainMatch | null;
  filters: TypedExtension[];
  transport_socket?: TypedExtension | null;
  [field: string]: unknown;
}

export interface Listener {
  name: string;
  address?: Address | null;
  filter_chains: FilterChain[];
  default_filter_chain?: FilterChain | null;
  api_listener?: { api_listener?: AnyMessage | null } | null;
  traffic_direction: string;
  [field: string]: unknown;
}

export interface StringMatcher { exact?: string; prefix?: string; suffix?: string; contains?: string; safe_regex?: { regex: string } | null; ignore_case?: boolean; match_pattern?: string }
export interface HeaderMatcher { name: string; string_match?: StringMatcher | null; present_match?: boolean; invert_match?: boolean; header_match_specifier?: string; [field: string]: unknown }
export interface RouteMatch { prefix?: string; path?: string; safe_regex?: { regex: string } | null; path_separated_prefix?: string; path_specifier?: string; case_sensitive?: { value: boolean } | null; headers: HeaderMatcher[]; [field: string]: unknown }
export interface WeightedCluster { name: string; weight?: { value: number } | null }
export interface RouteAction {
  cluster?: string;
  weighted_clusters?: { clusters: WeightedCluster[] } | null;
  cluster_specifier?: string;
  timeout?: { seconds: string; nanos: number } | null;
  retry_policy?: Record<string, unknown> | null;
  [field: string]: unknown;
}
export interface Route { name: string; match?: RouteMatch | null; route?: RouteAction | null; direct_response?: { status: number; body?: DataSource | null } | null; redirect?: object | null; action?: string; [field: string]: unknown }
export interface VirtualHost { name: string; domains: string[]; routes: Route[]; [field: string]: unknown }
export interface RouteConfiguration { name: string; virtual_hosts: VirtualHost[]; [field: string]: unknown }

export interface LbEndpoint { endpoint?: { address?: Address | null; hostname?: string } | null; health_status: string; load_balancing_weight?: { value: number } | null; [field: string]: unknown }
export interface LocalityLbEndpoints { locality?: { region: string; zone: string; sub_zone: string } | null; lb_endpoints: LbEndpoint[]; load_balancing_weight?: { value: number } | null; priority: number; [field: string]: unknown }
export interface ClusterLoadAssignment { cluster_name: string; endpoints: LocalityLbEndpoints[]; [field: string]: unknown }

export interface Cluster {
  name: string;
  type?: string;
  cluster_discovery_type?: string;
  eds_cluster_config?: { eds_config?: ConfigSource | null; service_name: string } | null;
  load_assignment?: ClusterLoadAssignment | null;
  lb_policy: string;
  connect_timeout?: { seconds: string; nanos: number } | null;
  transport_socket?: TypedExtension | null;
  [field: string]: unknown;
}

export interface Secret {
  name: string;
  tls_certificate?: { certificate_chain?: DataSource | null; private_key?: DataSource | null; [field: string]: unknown } | null;
  validation_context?: { trusted_ca?: DataSource | null; match_typed_subject_alt_names?: unknown[]; [field: string]: unknown } | null;
  type?: string;
  [field: string]: unknown;
}
