import type { EvaluationState } from './context';
import { RbacConfigError } from './errors';
import { asArray, asBoolean, asInteger, asObject, asString, checkFields, oneOf } from './fields';
import { type Cidr, cidrContains, type IpAddress, parseIp } from './ip';
import { compileRegex, compileStringMatcher, type StringPredicate } from './string-matcher';

/** A compiled permission or principal. */
export type Matcher = (state: EvaluationState) => boolean;

const matchAny: Matcher = () => true;

function compileCidr(message: unknown, field: string): Cidr {
  const range = asObject(message, field);
  checkFields(range, field, ['address_prefix', 'prefix_len']);
  const text = asString(range['address_prefix'], `${field}.address_prefix`);
  const address = parseIp(text);
  if (!address) throw new RbacConfigError(`${field}.address_prefix`, `"${text}" is not an IP address`);
  // protobufjs keeps the UInt32Value wrapper ({ value }); JSON-style configs unwrap it.
  const rawLen = range['prefix_len'];
  const wrapped = typeof rawLen === 'object' && rawLen !== null ? (rawLen as { value?: unknown }).value ?? 0 : (rawLen ?? 0);
  const prefixLen = asInteger(wrapped, `${field}.prefix_len`, 0, address.v6 ? 128 : 32);
  return { address, prefixLen };
}

function ipMatcher(cidr: Cidr, ipOf: (s: EvaluationState) => IpAddress | null): Matcher {
  return (state) => {
    const ip = ipOf(state);
    return ip !== null && cidrContains(cidr, ip);
  };
}

const HEADER_PATTERNS = [
  'exact_match', 'safe_regex_match', 'present_match', 'prefix_match', 'suffix_match', 'contains_match', 'string_match',
] as const;

function compileHeader(message: unknown, field: string): Matcher {
  const header = asObject(message, field);
  checkFields(header, field, ['name', ...HEADER_PATTERNS, 'invert_match', 'treat_missing_header_as_empty'], ['range_match']);
  const name = asString(header['name'], `${field}.name`).toLowerCase();
  if (name === '') throw new RbacConfigError(`${field}.name`, 'must not be empty');
  const invert = header['invert_match'] === undefined ? false : asBoolean(header['invert_match'], `${field}.invert_match`);
  const missingAsEmpty =
    header['treat_missing_header_as_empty'] === undefined
      ? false
      : asBoolean(header['treat_missing_header_as_empty'], `${field}.treat_missing_header_as_empty`);
  const kind = oneOf(header, field, HEADER_PATTERNS);
  if (kind === 'present_match') {
    // `present_match: false` means "absent"; invert_match flips it like any other result.
    const wantPresent = asBoolean(header['present_match'], `${field}.present_match`);
    return (state) => ((state.header(name) !== undefined) === wantPresent) !== invert;
  }
  const test = compileHeaderValue(header, kind, `${field}.${kind}`);
  return (state) => {
    const value = state.header(name) ?? (missingAsEmpty ? '' : undefined);
    // A missing header fails a value match, inverted or not.
    if (value === undefined) return false;
    return test(value) !== invert;
  };
}

function compileHeaderValue(header: Record<string, unknown>, kind: string, field: string): StringPredicate {
  const value = header[kind];
  switch (kind) {
    case 'string_match':
      return compileStringMatcher(value, field);
    case 'safe_regex_match':
      return compileRegex(value, field);
    case 'exact_match': {
      const exact = asString(value, field);
      return (v) => v === exact;
    }
    case 'prefix_match': {
      const prefix = asString(value, field);
      return (v) => v.startsWith(prefix);
    }
    case 'suffix_match': {
      const suffix = asString(value, field);
      return (v) => v.endsWith(suffix);
    }
    default: {
      const part = asString(value, field);
      return (v) => v.includes(part);
    }
  }
}

function compileUrlPath(message: unknown, field: string): Matcher {
  const pathMatcher = asObject(message, field);
  checkFields(pathMatcher, field, ['path']);
  const test = compileStringMatcher(pathMatcher['path'], `${field}.path`);
  return (state) => {
    const path = state.path();
    return path !== undefined && test(path);
  };
}

type ValuePredicate = (value: unknown) => boolean;

function compileValueMatcher(message: unknown, field: string): ValuePredicate {
  const matcher = asObject(message, field);
  const kinds = ['string_match', 'bool_match', 'present_match', 'list_match'] as const;
  checkFields(matcher, field, kinds, ['null_match', 'double_match', 'or_match']);
  const kind = oneOf(matcher, field, kinds);
  switch (kind) {
    case 'string_match': {
      const test = compileStringMatcher(matcher[kind], `${field}.${kind}`);
      return (v) => typeof v === 'string' && test(v);
    }
    case 'bool_match': {
      const want = asBoolean(matcher[kind], `${field}.${kind}`);
      return (v) => v === want;
    }
    case 'present_match': {
      const want = asBoolean(matcher[kind], `${field}.${kind}`);
      return (v) => (v !== undefined) === want;
    }
    default: {
      const list = asObject(matcher[kind], `${field}.${kind}`);
      checkFields(list, `${field}.${kind}`, ['one_of']);
      const element = compileValueMatcher(list['one_of'], `${field}.${kind}.one_of`);
      return (v) => Array.isArray(v) && v.some(element);
    }
  }
}

function compileMetadata(message: unknown, field: string): Matcher {
  const matcher = asObject(message, field);
  checkFields(matcher, field, ['filter', 'path', 'value', 'invert']);
  const filter = asString(matcher['filter'], `${field}.filter`);
  const path = asArray(matcher['path'], `${field}.path`).map((segment, i) => {
    const seg = asObject(segment, `${field}.path[${i}]`);
    checkFields(seg, `${field}.path[${i}]`, ['key']);
    return asString(seg['key'], `${field}.path[${i}].key`);
  });
  if (path.length === 0) throw new RbacConfigError(`${field}.path`, 'must not be empty');
  const test = compileValueMatcher(matcher['value'], `${field}.value`);
  const invert = matcher['invert'] === undefined ? false : asBoolean(matcher['invert'], `${field}.invert`);
  return (state) => {
    let value: unknown = state.ctx.dynamicMetadata?.[filter];
    for (const key of path) {
      value = typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>)[key] : undefined;
    }
    return test(value) !== invert;
  };
}

// Istio nests single-element and/or lists deeply; collapsing them (and using indexed
// loops) keeps per-request call overhead down, which dominates evaluation cost.
function all(matchers: Matcher[]): Matcher {
  if (matchers.length === 1) return matchers[0]!;
  if (matchers.length === 2) {
    const [a, b] = matchers as [Matcher, Matcher];
    return (state) => a(state) && b(state);
  }
  return (state) => {
    for (let i = 0; i < matchers.length; i++) if (!matchers[i]!(state)) return false;
    return true;
  };
}

function some(matchers: Matcher[]): Matcher {
  if (matchers.length === 1) return matchers[0]!;
  if (matchers.length === 2) {
    const [a, b] = matchers as [Matcher, Matcher];
    return (state) => a(state) || b(state);
  }
  return (state) => {
    for (let i = 0; i < matchers.length; i++) if (matchers[i]!(state)) return true;
    return false;
  };
}

function compileList(message: unknown, field: string, listKey: string, compileItem: (m: unknown, f: string) => Matcher): Matcher[] {
  const set = asObject(message, field);
  checkFields(set, field, [listKey]);
  const items = asArray(set[listKey], `${field}.${listKey}`);
  if (items.length === 0) throw new RbacConfigError(`${field}.${listKey}`, 'must not be empty');
  return items.map((item, i) => compileItem(item, `${field}.${listKey}[${i}]`));
}

function compileAnyFlag(value: unknown, field: string): Matcher {
  if (asBoolean(value, field) !== true) throw new RbacConfigError(field, 'must be true');
  return matchAny;
}

const PERMISSION_RULES = [
  'and_rules', 'or_rules', 'any', 'header', 'url_path', 'destination_ip', 'destination_port', 'destination_port_range',
  'metadata', 'not_rule', 'requested_server_name',
] as const;

/** Compiles envoy.config.rbac.v3.Permission. */
export function compilePermission(message: unknown, field: string): Matcher {
  const permission = asObject(message, field);
  checkFields(permission, field, PERMISSION_RULES, ['matcher', 'uri_template', 'sourced_metadata']);
  const kind = oneOf(permission, field, PERMISSION_RULES);
  const value = permission[kind];
  const at = `${field}.${kind}`;
  switch (kind) {
    case 'and_rules':
      return all(compileList(value, at, 'rules', compilePermission));
    case 'or_rules':
      return some(compileList(value, at, 'rules', compilePermission));
    case 'any':
      return compileAnyFlag(value, at);
    case 'header':
      return compileHeader(value, at);
    case 'url_path':
      return compileUrlPath(value, at);
    case 'destination_ip':
      return ipMatcher(compileCidr(value, at), (s) => s.destination());
    case 'destination_port': {
      const port = asInteger(value, at, 0, 65535);
      return (state) => state.ctx.destinationPort === port;
    }
    case 'destination_port_range': {
      const range = asObject(value, at);
      checkFields(range, at, ['start', 'end']);
      const start = asInteger(range['start'] ?? 0, `${at}.start`, 0, 65536);
      const end = asInteger(range['end'] ?? 0, `${at}.end`, 0, 65536);
      if (end < start) throw new RbacConfigError(at, 'start must not exceed end');
      // Int32Range is half-open: [start, end).
      return (state) => state.ctx.destinationPort >= start && state.ctx.destinationPort < end;
    }
    case 'metadata':
      return compileMetadata(value, at);
    case 'not_rule': {
      const inner = compilePermission(value, at);
      return (state) => !inner(state);
    }
    default: {
      const test = compileStringMatcher(value, at);
      return (state) => state.ctx.requestedServerName !== undefined && test(state.ctx.requestedServerName);
    }
  }
}

const PRINCIPAL_IDS = [
  'and_ids', 'or_ids', 'any', 'authenticated', 'source_ip', 'direct_remote_ip', 'remote_ip', 'header', 'url_path',
  'metadata', 'not_id',
] as const;

function compileAuthenticated(message: unknown, field: string): Matcher {
  const authenticated = asObject(message, field);
  checkFields(authenticated, field, ['principal_name']);
  if (authenticated['principal_name'] === undefined) return (state) => state.ctx.peerCertificate !== undefined;
  const test = compileStringMatcher(authenticated['principal_name'], `${field}.principal_name`);
  return (state) => state.principalNames().some(test);
}

/** Compiles envoy.config.rbac.v3.Principal. */
export function compilePrincipal(message: unknown, field: string): Matcher {
  const principal = asObject(message, field);
  checkFields(principal, field, PRINCIPAL_IDS, ['filter_state', 'custom', 'sourced_metadata']);
  const kind = oneOf(principal, field, PRINCIPAL_IDS);
  const value = principal[kind];
  const at = `${field}.${kind}`;
  switch (kind) {
    case 'and_ids':
      return all(compileList(value, at, 'ids', compilePrincipal));
    case 'or_ids':
      return some(compileList(value, at, 'ids', compilePrincipal));
    case 'any':
      return compileAnyFlag(value, at);
    case 'authenticated':
      return compileAuthenticated(value, at);
    case 'source_ip':
    case 'direct_remote_ip':
      return ipMatcher(compileCidr(value, at), (s) => s.source());
    case 'remote_ip':
      return ipMatcher(compileCidr(value, at), (s) => s.remote());
    case 'header':
      return compileHeader(value, at);
    case 'url_path':
      return compileUrlPath(value, at);
    case 'metadata':
      return compileMetadata(value, at);
    default: {
      const inner = compilePrincipal(value, at);
      return (state) => !inner(state);
    }
  }
}

/** Compiles envoy.config.rbac.v3.Policy: any permission and any principal. */
export function compilePolicy(message: unknown, field: string): Matcher {
  const policy = asObject(message, field);
  checkFields(policy, field, ['permissions', 'principals'], ['condition', 'checked_condition', 'cel_config']);
  const permissions = asArray(policy['permissions'], `${field}.permissions`);
  const principals = asArray(policy['principals'], `${field}.principals`);
  if (permissions.length === 0) throw new RbacConfigError(`${field}.permissions`, 'must not be empty');
  if (principals.length === 0) throw new RbacConfigError(`${field}.principals`, 'must not be empty');
  const permission = some(permissions.map((p, i) => compilePermission(p, `${field}.permissions[${i}]`)));
  const principal = some(principals.map((p, i) => compilePrincipal(p, `${field}.principals[${i}]`)));
  return (state) => permission(state) && principal(state);
}
