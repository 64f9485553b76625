// Envoy RBAC configuration as plain objects whose keys are the proto field names
// (snake_case), i.e. what protobufjs produces with keepCase. Only the fields this
// engine understands are typed; anything else is rejected at compile time.

export interface RegexMatcher {
  regex: string;
  google_re2?: Record<string, never>;
}

/** envoy.type.matcher.v3.StringMatcher */
export interface StringMatcher {
  exact?: string;
  prefix?: string;
  suffix?: string;
  contains?: string;
  safe_regex?: RegexMatcher;
  ignore_case?: boolean;
}

/** envoy.config.core.v3.CidrRange; protobufjs keeps the UInt32Value wrapper as `{ value }`. */
export interface CidrRange {
  address_prefix: string;
  prefix_len?: { value?: number } | number;
}

/** envoy.config.route.v3.HeaderMatcher */
export interface HeaderMatcher {
  name: string;
  exact_match?: string;
  safe_regex_match?: RegexMatcher;
  present_match?: boolean;
  prefix_match?: string;
  suffix_match?: string;
  contains_match?: string;
  string_match?: StringMatcher;
  invert_match?: boolean;
  treat_missing_header_as_empty?: boolean;
}

/** envoy.type.matcher.v3.PathMatcher */
export interface PathMatcher {
  path: StringMatcher;
}

/** envoy.type.matcher.v3.ValueMatcher (the subset Istio emits) */
export interface ValueMatcher {
  string_match?: StringMatcher;
  bool_match?: boolean;
  present_match?: boolean;
  list_match?: { one_of: ValueMatcher };
}

/** envoy.type.matcher.v3.MetadataMatcher */
export interface MetadataMatcher {
  filter: string;
  path: Array<{ key: string }>;
  value: ValueMatcher;
  invert?: boolean;
}

export interface Int32Range {
  start?: number;
  end?: number;
}

/** envoy.config.rbac.v3.Permission */
export interface Permission {
  and_rules?: { rules: Permission[] };
  or_rules?: { rules: Permission[] };
  any?: boolean;
  header?: HeaderMatcher;
  url_path?: PathMatcher;
  destination_ip?: CidrRange;
  destination_port?: number;
  destination_port_range?: Int32Range;
  metadata?: MetadataMatcher;
  not_rule?: Permission;
  requested_server_name?: StringMatcher;
}

/** envoy.config.rbac.v3.Principal */
export interface Principal {
  and_ids?: { ids: Principal[] };
  or_ids?: { ids: Principal[] };
  any?: boolean;
  authenticated?: { principal_name?: StringMatcher };
  source_ip?: CidrRange;
  direct_remote_ip?: CidrRange;
  remote_ip?: CidrRange;
  header?: HeaderMatcher;
  url_path?: PathMatcher;
  metadata?: MetadataMatcher;
  not_id?: Principal;
}

/** envoy.config.rbac.v3.Policy */
export interface Policy {
  permissions: Permission[];
  principals: Principal[];
}

export type RbacAction = 'ALLOW' | 'DENY' | 'LOG';

/** envoy.config.rbac.v3.RBAC */
export interface RbacRules {
  /** Absent means ALLOW (the proto3 default), as after a protobuf round trip. */
  action?: RbacAction;
  policies?: Record<string, Policy>;
}

/**
 * The filter configs: envoy.extensions.filters.http.rbac.v3.RBAC and
 * envoy.extensions.filters.network.rbac.v3.RBAC share these fields.
 */
export interface RbacFilterConfig {
  rules?: RbacRules;
  shadow_rules?: RbacRules;
  shadow_rules_stat_prefix?: string;
  /** HTTP filter only. */
  rules_stat_prefix?: string;
  /** HTTP filter only. */
  track_per_rule_stats?: boolean;
  /** Network filter only (required there by Envoy). */
  stat_prefix?: string;
  /** Network filter only. */
  enforcement_type?: 'ONE_TIME_ON_FIRST_BYTE' | 'CONTINUOUS';
}
