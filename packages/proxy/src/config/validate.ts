// Untrusted JSON → typed Snapshot. Every error names the object and the field
// (`clusters[2](backend).connectTimeoutMs: expected a positive integer`), and
// defaults are filled in here so the data path never sees an optional knob.
import { isIPv4, isIPv6 } from 'node:net';
import {
  CidrRange, CircuitBreakers, Cluster, ClusterLoadAssignment, CodecType, DEFAULT_CIRCUIT_BREAKERS, DirectResponse,
  DownstreamTls, Endpoint, FilterChain, FilterChainMatch, HashPolicy, HeaderMatcher, HealthCheck, HealthStatus,
  HttpConnectionManager, HttpFilterConfig, LbPolicy, Listener, NetworkFilterConfig, OutlierDetection, RetryOn, RetryPolicy, Route,
  RouteAction, RouteConfiguration, RouteMatch, Secret, Snapshot, TcpProxy, TransportProtocol, UpstreamTls, VirtualHost, WeightedCluster,
} from './model';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Json = Record<string, unknown>;

/** A cursor over one JSON object that knows its own path for error messages. */
class Fields {
  constructor(readonly path: string, private readonly o: Json) {}

  static of(value: unknown, path: string): Fields {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(path, 'expected an object');
    return new Fields(path, value as Json);
  }

  has(key: string): boolean {
    return this.o[key] !== undefined && this.o[key] !== null;
  }

  raw(key: string): unknown {
    return this.o[key];
  }

  at(key: string): string {
    return `${this.path}.${key}`;
  }

  str(key: string): string {
    const v = this.o[key];
    if (typeof v !== 'string' || v === '') fail(this.at(key), 'expected a non-empty string');
    return v;
  }

  optStr(key: string): string | undefined {
    return this.has(key) ? this.str(key) : undefined;
  }

  int(key: string, min: number, max: number, dflt?: number): number {
    const v = this.o[key] ?? dflt;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      fail(this.at(key), `expected an integer in [${min}, ${max}]`);
    }
    return v;
  }

  optInt(key: string, min: number, max: number): number | undefined {
    return this.has(key) ? this.int(key, min, max) : undefined;
  }

  bool(key: string, dflt: boolean): boolean {
    const v = this.o[key] ?? dflt;
    if (typeof v !== 'boolean') fail(this.at(key), 'expected a boolean');
    return v;
  }

  oneOf<T extends string>(key: string, allowed: readonly T[], dflt?: T): T {
    const v = this.o[key] ?? dflt;
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
      fail(this.at(key), `expected one of ${allowed.join(', ')}`);
    }
    return v as T;
  }

  strings(key: string): string[] {
    return this.list(key, (v, p) => {
      if (typeof v !== 'string' || v === '') fail(p, 'expected a non-empty string');
      return v;
    });
  }

  list<T>(key: string, each: (v: unknown, path: string) => T): T[] {
    const v = this.o[key];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) fail(this.at(key), 'expected an array');
    return v.map((item, i) => each(item, `${this.at(key)}[${i}]`));
  }

  obj(key: string): Fields {
    return Fields.of(this.o[key], this.at(key));
  }
}

function fail(path: string, why: string): never {
  throw new ConfigError(`${path}: ${why}`);
}

const MAX_PORT = 65535;
const MAX_MS = 24 * 3600 * 1000;
const MAX_COUNT = 1_000_000;

function named(value: unknown, path: string): Fields {
  const f = Fields.of(value, path);
  const name = f.raw('name') ?? f.raw('clusterName');
  return typeof name === 'string' ? new Fields(`${path}(${name})`, value as Json) : f;
}

function compileRegex(pattern: string, path: string): void {
  try {
    new RegExp(pattern);
  } catch (e) {
    fail(path, `invalid regex: ${(e as Error).message}`);
  }
}

function weightedClusters(f: Fields, key: string): WeightedCluster[] | undefined {
  if (!f.has(key)) return undefined;
  const list = f.list(key, (v, p) => {
    const w = Fields.of(v, p);
    return { name: w.str('name'), weight: w.int('weight', 0, MAX_COUNT) };
  });
  if (list.length === 0 || list.every((w) => w.weight === 0)) fail(f.at(key), 'needs at least one cluster with weight > 0');
  return list;
}

function clusterTarget(f: Fields): { cluster?: string; weightedClusters?: WeightedCluster[] } {
  const cluster = f.optStr('cluster');
  const weighted = weightedClusters(f, 'weightedClusters');
  if ((cluster === undefined) === (weighted === undefined)) fail(f.path, 'exactly one of cluster, weightedClusters is required');
  return cluster !== undefined ? { cluster } : { weightedClusters: weighted };
}

function downstreamTls(f: Fields): DownstreamTls {
  const requireClientCert = f.bool('requireClientCert', true);
  const validationSecret = f.optStr('validationSecret');
  if (requireClientCert && !validationSecret) fail(f.at('validationSecret'), 'required when requireClientCert is true');
  return {
    certificateSecret: f.str('certificateSecret'),
    validationSecret,
    requireClientCert,
    matchSubjectAltNames: f.strings('matchSubjectAltNames'),
    alpn: f.has('alpn') ? f.strings('alpn') : undefined,
  };
}

/** An HTTP or network filter: a name and the typed config its registered factory decodes. */
function typedFilter(v: unknown, path: string): HttpFilterConfig & NetworkFilterConfig {
  const f = named(v, path);
  return { name: f.str('name'), typedConfig: f.raw('typedConfig'), typeUrl: f.optStr('typeUrl') };
}

function httpConnectionManager(f: Fields): HttpConnectionManager {
  const hcm: HttpConnectionManager = {
    kind: 'http',
    statPrefix: f.optStr('statPrefix') ?? 'http',
    routeConfigName: f.optStr('routeConfigName'),
    routeConfig: f.has('routeConfig') ? routeConfiguration(f.raw('routeConfig'), f.at('routeConfig')) : undefined,
    httpFilters: f.list('httpFilters', typedFilter),
    codec: f.oneOf<CodecType>('codec', ['auto', 'http1', 'http2'], 'auto'),
    requestHeadersTimeoutMs: f.int('requestHeadersTimeoutMs', 1, MAX_MS, 10_000),
    idleTimeoutMs: f.int('idleTimeoutMs', 1, MAX_MS, 60_000),
    maxRequestHeadersBytes: f.int('maxRequestHeadersBytes', 1024, 1 << 20, 60 * 1024),
    forwardClientCertDetails: f.bool('forwardClientCertDetails', true),
  };
  if ((hcm.routeConfigName === undefined) === (hcm.routeConfig === undefined)) {
    fail(f.path, 'exactly one of routeConfigName, routeConfig is required');
  }
  const names = hcm.httpFilters.map((h) => h.name);
  if (hcm.httpFilters.length > 0 && names.indexOf('envoy.filters.http.router') !== names.length - 1) {
    fail(f.at('httpFilters'), 'envoy.filters.http.router must be present exactly once, as the last filter');
  }
  return hcm;
}

function tcpProxy(f: Fields): TcpProxy {
  return {
    kind: 'tcp',
    statPrefix: f.optStr('statPrefix') ?? 'tcp',
    ...clusterTarget(f),
    idleTimeoutMs: f.int('idleTimeoutMs', 1, MAX_MS, 3_600_000),
  };
}

function cidrRange(v: unknown, path: string): CidrRange {
  const f = Fields.of(v, path);
  const addressPrefix = f.str('addressPrefix');
  const bits = isIPv4(addressPrefix) ? 32 : isIPv6(addressPrefix) ? 128 : fail(f.at('addressPrefix'), `"${addressPrefix}" is not an IP address`);
  return { addressPrefix, prefixLen: f.int('prefixLen', 0, bits) };
}

function filterChainMatch(f: Fields): FilterChainMatch {
  return {
    destinationPort: f.optInt('destinationPort', 1, MAX_PORT),
    prefixRanges: f.has('prefixRanges') ? f.list('prefixRanges', cidrRange) : undefined,
    serverNames: f.has('serverNames') ? f.strings('serverNames') : undefined,
    transportProtocol: f.has('transportProtocol') ? f.oneOf<TransportProtocol>('transportProtocol', ['tls', 'raw_buffer']) : undefined,
    applicationProtocols: f.has('applicationProtocols') ? f.strings('applicationProtocols') : undefined,
  };
}

function filterChain(v: unknown, path: string): FilterChain {
  const f = named(v, path);
  const net = f.obj('network');
  const kind = net.oneOf('kind', ['http', 'tcp']);
  return {
    name: f.str('name'),
    match: f.has('match') ? filterChainMatch(f.obj('match')) : {},
    tls: f.has('tls') ? downstreamTls(f.obj('tls')) : undefined,
    networkFilters: f.list('networkFilters', typedFilter),
    network: kind === 'http' ? httpConnectionManager(net) : tcpProxy(net),
  };
}

function listener(v: unknown, path: string): Listener {
  const f = named(v, path);
  const l: Listener = {
    name: f.str('name'),
    address: f.str('address'),
    port: f.int('port', 0, MAX_PORT),
    filterChains: f.list('filterChains', filterChain),
    defaultFilterChain: f.has('defaultFilterChain') ? filterChain(f.raw('defaultFilterChain'), f.at('defaultFilterChain')) : undefined,
    maxConnections: f.optInt('maxConnections', 1, MAX_COUNT),
    useOriginalDst: f.bool('useOriginalDst', false),
  };
  if (l.filterChains.length === 0 && !l.defaultFilterChain) fail(f.path, 'needs filterChains or a defaultFilterChain');
  return l;
}

function headerMatcher(v: unknown, path: string): HeaderMatcher {
  const f = Fields.of(v, path);
  const m: HeaderMatcher = {
    name: f.str('name').toLowerCase(),
    exact: f.has('exact') ? String(f.raw('exact')) : undefined,
    prefix: f.optStr('prefix'),
    safeRegex: f.optStr('safeRegex'),
    present: f.has('present') ? f.bool('present', true) : undefined,
    invert: f.bool('invert', false),
  };
  if ([m.exact, m.prefix, m.safeRegex, m.present].filter((x) => x !== undefined).length !== 1) {
    fail(path, 'exactly one of exact, prefix, safeRegex, present is required');
  }
  if (m.safeRegex !== undefined) compileRegex(m.safeRegex, f.at('safeRegex'));
  return m;
}

function routeMatch(f: Fields): RouteMatch {
  const m: RouteMatch = {
    prefix: f.has('prefix') ? String(f.raw('prefix')) : undefined,
    path: f.optStr('path'),
    safeRegex: f.optStr('safeRegex'),
    headers: f.list('headers', headerMatcher),
    caseSensitive: f.bool('caseSensitive', true),
  };
  if ([m.prefix, m.path, m.safeRegex].filter((x) => x !== undefined).length !== 1) {
    fail(f.path, 'exactly one of prefix, path, safeRegex is required');
  }
  if (m.safeRegex !== undefined) compileRegex(m.safeRegex, f.at('safeRegex'));
  return m;
}

const RETRY_ON: readonly RetryOn[] = ['5xx', 'connect-failure', 'reset', 'gateway-error', 'retriable-status-codes'];

function retryPolicy(f: Fields): RetryPolicy {
  return {
    retryOn: f.list('retryOn', (v, p) => {
      if (!RETRY_ON.includes(v as RetryOn)) fail(p, `expected one of ${RETRY_ON.join(', ')}`);
      return v as RetryOn;
    }),
    numRetries: f.int('numRetries', 0, 10, 1),
    perTryTimeoutMs: f.optInt('perTryTimeoutMs', 1, MAX_MS),
    retriableStatusCodes: f.list('retriableStatusCodes', (v, p) => {
      if (typeof v !== 'number' || v < 100 || v > 599) fail(p, 'expected an HTTP status');
      return v;
    }),
  };
}

function hashPolicy(v: unknown, path: string): HashPolicy {
  const f = Fields.of(v, path);
  if (f.has('header')) return { header: f.str('header').toLowerCase() };
  if (f.bool('sourceIp', false)) return { sourceIp: true };
  fail(path, 'expected {header} or {sourceIp: true}');
}

function routeAction(f: Fields): RouteAction {
  return {
    ...clusterTarget(f),
    timeoutMs: f.int('timeoutMs', 0, MAX_MS, 15_000),
    retryPolicy: f.has('retryPolicy') ? retryPolicy(f.obj('retryPolicy')) : undefined,
    prefixRewrite: f.has('prefixRewrite') ? String(f.raw('prefixRewrite')) : undefined,
    hashPolicy: f.has('hashPolicy') ? f.list('hashPolicy', hashPolicy) : undefined,
  };
}

function directResponse(f: Fields): DirectResponse {
  return { status: f.int('status', 200, 599), body: f.has('body') ? String(f.raw('body')) : undefined };
}

function route(v: unknown, path: string): Route {
  const f = named(v, path);
  const r: Route = {
    name: f.optStr('name') ?? path,
    match: routeMatch(f.obj('match')),
    route: f.has('route') ? routeAction(f.obj('route')) : undefined,
    directResponse: f.has('directResponse') ? directResponse(f.obj('directResponse')) : undefined,
  };
  if ((r.route === undefined) === (r.directResponse === undefined)) fail(f.path, 'exactly one of route, directResponse is required');
  return r;
}

function virtualHost(v: unknown, path: string): VirtualHost {
  const f = named(v, path);
  const domains = f.strings('domains').map((d) => d.toLowerCase());
  if (domains.length === 0) fail(f.at('domains'), 'needs at least one domain');
  return { name: f.str('name'), domains, routes: f.list('routes', route) };
}

function routeConfiguration(v: unknown, path: string): RouteConfiguration {
  const f = named(v, path);
  return { name: f.str('name'), virtualHosts: f.list('virtualHosts', virtualHost) };
}

function circuitBreakers(f: Fields): CircuitBreakers {
  const d = DEFAULT_CIRCUIT_BREAKERS;
  return {
    maxConnections: f.int('maxConnections', 1, MAX_COUNT, d.maxConnections),
    maxPendingRequests: f.int('maxPendingRequests', 0, MAX_COUNT, d.maxPendingRequests),
    maxRequests: f.int('maxRequests', 1, MAX_COUNT, d.maxRequests),
    maxRetries: f.int('maxRetries', 0, MAX_COUNT, d.maxRetries),
  };
}

function outlierDetection(f: Fields): OutlierDetection {
  return {
    consecutive5xx: f.int('consecutive5xx', 1, MAX_COUNT, 5),
    intervalMs: f.int('intervalMs', 1, MAX_MS, 10_000),
    baseEjectionTimeMs: f.int('baseEjectionTimeMs', 1, MAX_MS, 30_000),
    maxEjectionPercent: f.int('maxEjectionPercent', 0, 100, 10),
  };
}

function healthCheck(f: Fields): HealthCheck {
  const h: HealthCheck = {
    intervalMs: f.int('intervalMs', 10, MAX_MS, 5_000),
    timeoutMs: f.int('timeoutMs', 1, MAX_MS, 1_000),
    unhealthyThreshold: f.int('unhealthyThreshold', 1, 100, 2),
    healthyThreshold: f.int('healthyThreshold', 1, 100, 1),
    httpPath: f.optStr('httpPath'),
  };
  if (h.httpPath !== undefined && !h.httpPath.startsWith('/')) fail(f.at('httpPath'), 'must start with /');
  return h;
}

function upstreamTls(f: Fields): UpstreamTls {
  const t: UpstreamTls = {
    certificateSecret: f.str('certificateSecret'),
    validationSecret: f.str('validationSecret'),
    matchSubjectAltNames: f.strings('matchSubjectAltNames'),
    sni: f.optStr('sni'),
    alpn: f.has('alpn') ? f.strings('alpn') : [],
  };
  // Secure naming: without expected identities any mesh workload could impersonate the service.
  if (t.matchSubjectAltNames.length === 0) fail(f.at('matchSubjectAltNames'), 'needs at least one expected server SPIFFE ID');
  return t;
}

const HEALTH: readonly HealthStatus[] = ['HEALTHY', 'UNHEALTHY', 'DRAINING', 'UNKNOWN'];

function endpoint(v: unknown, path: string): Endpoint {
  const f = Fields.of(v, path);
  return {
    address: f.str('address'),
    port: f.int('port', 1, MAX_PORT),
    weight: f.int('weight', 1, 128, 1),
    healthStatus: f.oneOf('healthStatus', HEALTH, 'HEALTHY'),
  };
}

function loadAssignment(v: unknown, path: string): ClusterLoadAssignment {
  const f = named(v, path);
  return { clusterName: f.str('clusterName'), endpoints: f.list('endpoints', endpoint) };
}

function cluster(v: unknown, path: string): Cluster {
  const f = named(v, path);
  const c: Cluster = {
    name: f.str('name'),
    type: f.oneOf('type', ['EDS', 'STATIC', 'ORIGINAL_DST'], 'EDS'),
    lbPolicy: f.oneOf<LbPolicy>('lbPolicy', ['ROUND_ROBIN', 'LEAST_REQUEST', 'RING_HASH', 'CLUSTER_PROVIDED'], 'ROUND_ROBIN'),
    connectTimeoutMs: f.int('connectTimeoutMs', 1, MAX_MS, 5_000),
    http2: f.bool('http2', true),
    circuitBreakers: f.has('circuitBreakers') ? circuitBreakers(f.obj('circuitBreakers')) : { ...DEFAULT_CIRCUIT_BREAKERS },
    outlierDetection: f.has('outlierDetection') ? outlierDetection(f.obj('outlierDetection')) : undefined,
    healthChecks: f.has('healthChecks') ? healthCheck(f.obj('healthChecks')) : undefined,
    tls: f.has('tls') ? upstreamTls(f.obj('tls')) : undefined,
    idleTimeoutMs: f.int('idleTimeoutMs', 1, MAX_MS, 60_000),
    loadAssignment: f.has('loadAssignment') ? loadAssignment(f.raw('loadAssignment'), f.at('loadAssignment')) : undefined,
  };
  if (c.type === 'STATIC' && !c.loadAssignment) fail(f.path, 'a STATIC cluster needs a loadAssignment');
  if ((c.type === 'ORIGINAL_DST') !== (c.lbPolicy === 'CLUSTER_PROVIDED')) fail(f.at('lbPolicy'), 'CLUSTER_PROVIDED goes with an ORIGINAL_DST cluster, and only with it');
  if (c.type === 'ORIGINAL_DST') {
    // Its hosts are the connections' destinations, one per connection: nothing to list, check or eject.
    for (const key of ['loadAssignment', 'healthChecks', 'outlierDetection'] as const) if (c[key]) fail(f.at(key), `an ORIGINAL_DST cluster takes no ${key}`);
  }
  return c;
}

function secret(v: unknown, path: string): Secret {
  const f = named(v, path);
  const s: Secret = { name: f.str('name') };
  if (f.has('tlsCertificate')) {
    const t = f.obj('tlsCertificate');
    s.tlsCertificate = { certChainPem: pem(t, 'certChainPem', 'CERTIFICATE'), privateKeyPem: pem(t, 'privateKeyPem', 'PRIVATE KEY') };
  }
  if (f.has('validationContext')) {
    s.validationContext = { trustedCaPem: pem(f.obj('validationContext'), 'trustedCaPem', 'CERTIFICATE') };
  }
  if (!s.tlsCertificate === !s.validationContext) fail(f.path, 'exactly one of tlsCertificate, validationContext is required');
  return s;
}

function pem(f: Fields, key: string, label: string): string {
  const v = f.str(key);
  if (!v.includes(`-----BEGIN`) || !v.includes(label)) fail(f.at(key), `expected PEM containing ${label}`);
  return v;
}

function unique<T>(items: T[], key: (t: T) => string, what: string): void {
  const seen = new Set<string>();
  for (const item of items) {
    const k = key(item);
    if (seen.has(k)) fail(what, `duplicate name ${JSON.stringify(k)}`);
    seen.add(k);
  }
}

/** Validate a whole snapshot, including references between resources. */
export function parseSnapshot(json: unknown): Snapshot {
  const f = Fields.of(json, 'snapshot');
  const snap: Snapshot = {
    listeners: f.list('listeners', listener),
    routes: f.list('routes', routeConfiguration),
    clusters: f.list('clusters', cluster),
    endpoints: f.list('endpoints', loadAssignment),
    secrets: f.list('secrets', secret),
  };
  unique(snap.listeners, (l) => l.name, 'listeners');
  unique(snap.listeners, (l) => `${l.address}:${l.port}`, 'listeners (address:port)');
  unique(snap.routes, (r) => r.name, 'routes');
  unique(snap.clusters, (c) => c.name, 'clusters');
  unique(snap.endpoints, (e) => e.clusterName, 'endpoints');
  unique(snap.secrets, (s) => s.name, 'secrets');
  checkReferences(snap);
  return snap;
}

function checkReferences(snap: Snapshot): void {
  const routes = new Set(snap.routes.map((r) => r.name));
  const certs = new Set(snap.secrets.filter((s) => s.tlsCertificate).map((s) => s.name));
  const cas = new Set(snap.secrets.filter((s) => s.validationContext).map((s) => s.name));
  const needSecret = (set: Set<string>, name: string | undefined, where: string, kind: string): void => {
    if (name !== undefined && !set.has(name)) fail(where, `references unknown ${kind} secret ${JSON.stringify(name)}`);
  };
  for (const l of snap.listeners) {
    for (const fc of [...l.filterChains, ...(l.defaultFilterChain ? [l.defaultFilterChain] : [])]) {
      const where = `listeners(${l.name}).filterChains(${fc.name})`;
      if (fc.network.kind === 'http' && fc.network.routeConfigName && !routes.has(fc.network.routeConfigName)) {
        fail(`${where}.network.routeConfigName`, `references unknown route configuration ${JSON.stringify(fc.network.routeConfigName)}`);
      }
      needSecret(certs, fc.tls?.certificateSecret, `${where}.tls.certificateSecret`, 'tlsCertificate');
      needSecret(cas, fc.tls?.validationSecret, `${where}.tls.validationSecret`, 'validationContext');
    }
  }
  for (const c of snap.clusters) {
    needSecret(certs, c.tls?.certificateSecret, `clusters(${c.name}).tls.certificateSecret`, 'tlsCertificate');
    needSecret(cas, c.tls?.validationSecret, `clusters(${c.name}).tls.validationSecret`, 'validationContext');
  }
}
