// Policies + request → expected decision, as plain data so any runner can replay it:
// the pure evaluator, the translated RBAC through @trellis/rbac, a real proxy over mTLS.
// Policies are the raw objects a user would `kubectl apply` (parsed YAML).
// Expectations follow Istio's sidecar behaviour; comments cite the subtle rule.

import type { DryRunResult, MeshOptions, PolicyRuleRef, RequestAttributes, Workload } from '@trellis/policy';

export interface DecisionCase {
  name: string;
  policies: object[];
  workload: Workload;
  request: RequestAttributes;
  /** Root namespace (default `trellis-system`) and trust domain. */
  options?: MeshOptions;
  expect: {
    decision: 'ALLOW' | 'DENY';
    reason: PolicyRuleRef | 'no policies' | 'no ALLOW policy applies' | 'no ALLOW policy matched';
    /** Matching enforced AUDIT rules, in the proxy's order; default none. */
    audited?: PolicyRuleRef[];
    /** Default none. */
    dryRun?: DryRunResult[];
  };
}

// ---- building blocks (they only assemble plain objects) ----

const SLEEP = 'spiffe://cluster.local/ns/bar/sa/sleep';

export const WORKLOAD: Workload = { namespace: 'foo', labels: { app: 'httpbin', version: 'v1' } };

function policy(namespace: string, name: string, spec: object, annotations?: Record<string, string>): object {
  return {
    apiVersion: 'security.istio.io/v1',
    kind: 'AuthorizationPolicy',
    metadata: annotations ? { name, namespace, annotations } : { name, namespace },
    spec,
  };
}

/** A policy in the workload's namespace. */
const ap = (name: string, spec: object, annotations?: Record<string, string>) => policy('foo', name, spec, annotations);
const dryRun = { 'istio.io/dry-run': 'true' };

function http(overrides: Partial<RequestAttributes> = {}, httpOverrides: Partial<NonNullable<RequestAttributes['http']>> = {}): RequestAttributes {
  return {
    principal: SLEEP,
    sourceIp: '10.0.1.5',
    destinationIp: '10.0.2.7',
    destinationPort: 8000,
    ...overrides,
    http: { method: 'GET', path: '/headers', host: 'httpbin.foo.svc.cluster.local', headers: {}, ...httpOverrides },
  };
}

function tcp(overrides: Partial<RequestAttributes> = {}): RequestAttributes {
  return { principal: SLEEP, sourceIp: '10.0.1.5', destinationIp: '10.0.2.7', destinationPort: 8000, ...overrides };
}

const plaintext = { principal: undefined } as Partial<RequestAttributes>;

const rule = (policyName: string, ruleIndex = 0, namespace = 'foo'): PolicyRuleRef => ({ policy: `${namespace}/${policyName}`, ruleIndex });
const ALLOWED_BY = (p: PolicyRuleRef) => ({ decision: 'ALLOW' as const, reason: p });
const DENIED_BY = (p: PolicyRuleRef) => ({ decision: 'DENY' as const, reason: p });
const NO_MATCH = { decision: 'DENY' as const, reason: 'no ALLOW policy matched' as const };
const NO_ALLOW = { decision: 'ALLOW' as const, reason: 'no ALLOW policy applies' as const };
const NO_POLICIES = { decision: 'ALLOW' as const, reason: 'no policies' as const };

const allowFrom = (source: object) => ({ action: 'ALLOW', rules: [{ from: [{ source }] }] });
const allowTo = (operation: object) => ({ action: 'ALLOW', rules: [{ to: [{ operation }] }] });
const allowWhen = (...when: object[]) => ({ action: 'ALLOW', rules: [{ when }] });
const denyRule = (r: object) => ({ action: 'DENY', rules: [r] });

function c(name: string, policies: object[], request: RequestAttributes, expect: DecisionCase['expect'], extra: Partial<DecisionCase> = {}): DecisionCase {
  return { name, policies, workload: WORKLOAD, request, expect, ...extra };
}

export const decisionCases: DecisionCase[] = [
  // ---- scope: root namespace, workload namespace, selector ----
  c('no policies: allow', [], http(), NO_POLICIES),
  c('policy in another namespace does not apply', [policy('other', 'p', { rules: [] })], http(), NO_POLICIES),
  c('root-namespace policy applies mesh-wide', [policy('trellis-system', 'mesh', allowFrom({ namespaces: ['bar'] }))], http(), ALLOWED_BY(rule('mesh', 0, 'trellis-system'))),
  c('root-namespace allow-nothing makes every workload default-deny', [policy('trellis-system', 'deny-all', {})], http(), NO_MATCH),
  c('root-namespace policy with selector applies to matching workloads in other namespaces',
    [policy('trellis-system', 'sel', { selector: { matchLabels: { app: 'httpbin' } }, rules: [{ to: [{ operation: { methods: ['POST'] } }] }] })],
    http(), NO_MATCH),
  c('selector that does not match the labels: policy ignored',
    [ap('other-app', { selector: { matchLabels: { app: 'reviews' } } })], http(), NO_POLICIES),
  c('selector is a subset of the labels: policy applies',
    [ap('v1-only', { selector: { matchLabels: { version: 'v1' } } })], http(), NO_MATCH),
  c('selector with a label the workload lacks: policy ignored',
    [ap('v1-canary', { selector: { matchLabels: { version: 'v1', track: 'canary' } } })], http(), NO_POLICIES),
  c('configurable root namespace: istio-system is mesh-wide, trellis-system is just a namespace',
    [policy('istio-system', 'mesh', { action: 'DENY', rules: [{}] }), policy('trellis-system', 'ignored', { rules: [] })],
    http(), DENIED_BY(rule('mesh', 0, 'istio-system')), { options: { rootNamespace: 'istio-system' } }),
  c('targetRefs to the Gateway this workload runs: applies',
    [ap('gw', { targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'ingress' }], action: 'DENY', rules: [{}] })],
    http(), DENIED_BY(rule('gw')), { workload: { namespace: 'foo', labels: { 'gateway.networking.k8s.io/gateway-name': 'ingress' } } }),
  c('targetRef to a Service: waypoint-only, ignored by sidecars',
    [ap('svc', { targetRef: { group: '', kind: 'Service', name: 'httpbin' }, action: 'DENY', rules: [{}] })], http(), NO_POLICIES),

  // ---- empty vs absent rules ----
  c('ALLOW without rules allows nothing', [ap('allow-nothing', { action: 'ALLOW' })], http(), NO_MATCH),
  c('ALLOW with rules: [] allows nothing', [ap('allow-nothing', { rules: [] })], http(), NO_MATCH),
  c('ALLOW with rules: [{}] allows everything', [ap('allow-all', { rules: [{}] })], http(plaintext), ALLOWED_BY(rule('allow-all'))),
  c('DENY without rules never matches', [ap('deny-nothing', { action: 'DENY' })], http(), NO_ALLOW),
  c('DENY with rules: [{}] denies everything', [ap('deny-all', { action: 'DENY', rules: [{}] })], http(), DENIED_BY(rule('deny-all'))),
  c('allow-nothing next to a matching ALLOW: ALLOW policies are a union',
    [ap('allow-nothing', {}), ap('allow-bar', allowFrom({ namespaces: ['bar'] }))], http(), ALLOWED_BY(rule('allow-bar'))),

  // ---- source.principals (SPIFFE ID without spiffe://) ----
  c('principals exact', [ap('p', allowFrom({ principals: ['cluster.local/ns/bar/sa/sleep'] }))], http(), ALLOWED_BY(rule('p'))),
  c('principals exact, other identity', [ap('p', allowFrom({ principals: ['cluster.local/ns/bar/sa/other'] }))], http(), NO_MATCH),
  c('principals prefix', [ap('p', allowFrom({ principals: ['cluster.local/ns/bar/*'] }))], http(), ALLOWED_BY(rule('p'))),
  c('principals suffix', [ap('p', allowFrom({ principals: ['*/sa/sleep'] }))], http(), ALLOWED_BY(rule('p'))),
  c('principals suffix, other identity', [ap('p', allowFrom({ principals: ['*/sa/curl'] }))], http(), NO_MATCH),
  c('principals "*" requires mTLS: plaintext denied', [ap('p', allowFrom({ principals: ['*'] }))], http(plaintext), NO_MATCH),
  c('principals "*" with mTLS', [ap('p', allowFrom({ principals: ['*'] }))], http(), ALLOWED_BY(rule('p'))),
  c('notPrincipals "*" in DENY denies plaintext', [ap('d', denyRule({ from: [{ source: { notPrincipals: ['*'] } }] }))], http(plaintext), DENIED_BY(rule('d'))),
  c('notPrincipals "*" in DENY lets mTLS through', [ap('d', denyRule({ from: [{ source: { notPrincipals: ['*'] } }] }))], http(), NO_ALLOW),
  c('notPrincipals exact excludes the caller', [ap('p', allowFrom({ notPrincipals: ['cluster.local/ns/bar/sa/sleep'] }))], http(), NO_MATCH),
  c('notPrincipals matches plaintext (nothing to exclude)', [ap('p', allowFrom({ notPrincipals: ['cluster.local/ns/bar/sa/sleep'] }))], http(plaintext), ALLOWED_BY(rule('p'))),

  // ---- trust domain: cluster.local in a policy means the mesh's trust domain (Istio's migration rule) ----
  c('cluster.local principal matches the mesh trust domain', [ap('p', allowFrom({ principals: ['cluster.local/ns/bar/sa/sleep'] }))],
    http({ principal: 'spiffe://trellis.example/ns/bar/sa/sleep' }), ALLOWED_BY(rule('p')), { options: { trustDomain: { trustDomain: 'trellis.example' } } }),
  c('trust domain aliases match too', [ap('p', allowFrom({ principals: ['trellis.example/ns/bar/sa/*'] }))],
    http({ principal: 'spiffe://old.example/ns/bar/sa/sleep' }), ALLOWED_BY(rule('p')), { options: { trustDomain: { trustDomain: 'trellis.example', aliases: ['old.example'] } } }),
  c('a foreign trust domain stays literal', [ap('p', allowFrom({ principals: ['other.example/ns/bar/sa/sleep'] }))],
    http({ principal: 'spiffe://trellis.example/ns/bar/sa/sleep' }), NO_MATCH, { options: { trustDomain: { trustDomain: 'trellis.example' } } }),
  c('notPrincipals are rewritten as well', [ap('d', denyRule({ from: [{ source: { notPrincipals: ['cluster.local/ns/bar/sa/sleep'] } }] }))],
    http({ principal: 'spiffe://trellis.example/ns/bar/sa/sleep' }), NO_ALLOW, { options: { trustDomain: { trustDomain: 'trellis.example' } } }),
  c('without a configured trust domain cluster.local is literal', [ap('p', allowFrom({ principals: ['cluster.local/ns/bar/sa/sleep'] }))],
    http({ principal: 'spiffe://trellis.example/ns/bar/sa/sleep' }), NO_MATCH),

  // ---- source.serviceAccounts (Istio 1.2x: `<ns>/<sa>`, bare `<sa>` = the policy's namespace) ----
  c('serviceAccounts ns/sa', [ap('p', allowFrom({ serviceAccounts: ['bar/sleep'] }))], http(), ALLOWED_BY(rule('p'))),
  c('serviceAccounts bare name is in the policy namespace', [ap('p', allowFrom({ serviceAccounts: ['sleep'] }))], http(), NO_MATCH),
  c('serviceAccounts needs an identity', [ap('p', allowFrom({ serviceAccounts: ['bar/sleep'] }))], http(plaintext), NO_MATCH),
  c('notServiceAccounts in DENY', [ap('d', denyRule({ from: [{ source: { notServiceAccounts: ['bar/sleep', 'baz/admin'] } }] }))], http(), NO_ALLOW),

  // ---- source.namespaces (derived from the principal) ----
  c('namespaces exact', [ap('p', allowFrom({ namespaces: ['bar'] }))], http(), ALLOWED_BY(rule('p'))),
  c('namespaces prefix', [ap('p', allowFrom({ namespaces: ['ba*'] }))], http(), ALLOWED_BY(rule('p'))),
  c('namespaces suffix', [ap('p', allowFrom({ namespaces: ['*ar'] }))], http(), ALLOWED_BY(rule('p'))),
  c('namespaces "*" still needs an identity', [ap('p', allowFrom({ namespaces: ['*'] }))], http(plaintext), NO_MATCH),
  c('namespaces other', [ap('p', allowFrom({ namespaces: ['baz'] }))], http(), NO_MATCH),
  c('notNamespaces in DENY', [ap('d', denyRule({ from: [{ source: { notNamespaces: ['foo'] } }] }))], http(), DENIED_BY(rule('d'))),

  // ---- ipBlocks / remoteIpBlocks ----
  c('ipBlocks CIDR', [ap('p', allowFrom({ ipBlocks: ['10.0.0.0/16'] }))], http(), ALLOWED_BY(rule('p'))),
  c('ipBlocks bare address', [ap('p', allowFrom({ ipBlocks: ['10.0.1.6'] }))], http(), NO_MATCH),
  c('notIpBlocks', [ap('p', allowFrom({ ipBlocks: ['10.0.0.0/8'], notIpBlocks: ['10.0.1.0/24'] }))], http(), NO_MATCH),
  c('ipBlocks IPv6', [ap('p', allowFrom({ ipBlocks: ['fd00:10::/32'] }))], http({ sourceIp: 'fd00:10:0:1::5' }), ALLOWED_BY(rule('p'))),
  c('ipBlocks uses the peer, not X-Forwarded-For', [ap('p', allowFrom({ ipBlocks: ['203.0.113.0/24'] }))], http({ remoteIp: '203.0.113.9' }), NO_MATCH),
  c('remoteIpBlocks uses the original client', [ap('p', allowFrom({ remoteIpBlocks: ['203.0.113.0/24'] }))], http({ remoteIp: '203.0.113.9' }), ALLOWED_BY(rule('p'))),
  c('remoteIpBlocks defaults to the peer', [ap('p', allowFrom({ remoteIpBlocks: ['10.0.1.5'] }))], http(), ALLOWED_BY(rule('p'))),
  c('notRemoteIpBlocks in DENY', [ap('d', denyRule({ from: [{ source: { notRemoteIpBlocks: ['203.0.113.0/24'] } }] }))], http({ remoteIp: '198.51.100.1' }), DENIED_BY(rule('d'))),

  // ---- operation: hosts, methods, paths, ports ----
  c('hosts exact, case-insensitive', [ap('p', allowTo({ hosts: ['HTTPBIN.foo.svc.cluster.local'] }))], http(), ALLOWED_BY(rule('p'))),
  c('hosts suffix', [ap('p', allowTo({ hosts: ['*.svc.cluster.local'] }))], http(), ALLOWED_BY(rule('p'))),
  c('hosts prefix', [ap('p', allowTo({ hosts: ['httpbin.*'] }))], http(), ALLOWED_BY(rule('p'))),
  c('hosts exact does not match host:port', [ap('p', allowTo({ hosts: ['httpbin.foo.svc.cluster.local'] }))], http({}, { host: 'httpbin.foo.svc.cluster.local:8000' }), NO_MATCH),
  c('notHosts', [ap('p', allowTo({ notHosts: ['httpbin.*'] }))], http(), NO_MATCH),
  c('methods', [ap('p', allowTo({ methods: ['GET', 'HEAD'] }))], http(), ALLOWED_BY(rule('p'))),
  c('methods are case-sensitive', [ap('p', allowTo({ methods: ['get'] }))], http(), NO_MATCH),
  c('methods other', [ap('p', allowTo({ methods: ['POST'] }))], http(), NO_MATCH),
  c('notMethods', [ap('p', allowTo({ notMethods: ['POST', 'PUT'] }))], http({}, { method: 'DELETE' }), ALLOWED_BY(rule('p'))),
  c('paths exact ignores the query string', [ap('p', allowTo({ paths: ['/headers'] }))], http({}, { path: '/headers?show_env=1' }), ALLOWED_BY(rule('p'))),
  c('paths prefix', [ap('p', allowTo({ paths: ['/api/*'] }))], http({}, { path: '/api/v1/users' }), ALLOWED_BY(rule('p'))),
  c('paths prefix, not under it', [ap('p', allowTo({ paths: ['/api/*'] }))], http({}, { path: '/apiary' }), NO_MATCH),
  c('paths suffix', [ap('p', allowTo({ paths: ['*/info'] }))], http({}, { path: '/v2/info' }), ALLOWED_BY(rule('p'))),
  c('paths "*"', [ap('p', allowTo({ paths: ['*'] }))], http(), ALLOWED_BY(rule('p'))),
  c('notPaths in DENY', [ap('d', denyRule({ to: [{ operation: { notPaths: ['/public/*'] } }] }))], http({}, { path: '/public/index.html' }), NO_ALLOW),
  c('ports', [ap('p', allowTo({ ports: ['8000'] }))], http(), ALLOWED_BY(rule('p'))),
  c('notPorts', [ap('p', allowTo({ notPorts: ['8000'] }))], http(), NO_MATCH),

  // ---- when conditions ----
  c('when request.headers exact', [ap('p', allowWhen({ key: 'request.headers[X-Token]', values: ['admin'] }))], http({}, { headers: { 'x-token': 'admin' } }), ALLOWED_BY(rule('p'))),
  c('when request.headers: any value of a repeated header', [ap('p', allowWhen({ key: 'request.headers[x-group]', values: ['ops'] }))], http({}, { headers: { 'X-Group': ['dev', 'ops'] } }), ALLOWED_BY(rule('p'))),
  c('when request.headers prefix', [ap('p', allowWhen({ key: 'request.headers[user-agent]', values: ['curl/*'] }))], http({}, { headers: { 'user-agent': 'curl/8.5' } }), ALLOWED_BY(rule('p'))),
  c('when request.headers suffix', [ap('p', allowWhen({ key: 'request.headers[x-client]', values: ['*-internal'] }))], http({}, { headers: { 'x-client': 'billing-internal' } }), ALLOWED_BY(rule('p'))),
  c('when request.headers "*" means present, even if empty', [ap('p', allowWhen({ key: 'request.headers[x-debug]', values: ['*'] }))], http({}, { headers: { 'x-debug': '' } }), ALLOWED_BY(rule('p'))),
  c('when request.headers on a pseudo-header', [ap('p', allowWhen({ key: 'request.headers[:method]', values: ['GET'] }))], http(), ALLOWED_BY(rule('p'))),
  c('when request.headers missing', [ap('p', allowWhen({ key: 'request.headers[x-token]', values: ['*'] }))], http(), NO_MATCH),
  c('when request.headers notValues on a missing header', [ap('p', allowWhen({ key: 'request.headers[x-token]', notValues: ['blocked'] }))], http(), ALLOWED_BY(rule('p'))),
  c('when source.ip / remote.ip', [ap('p', allowWhen({ key: 'source.ip', values: ['10.0.1.0/24'] }, { key: 'remote.ip', notValues: ['203.0.113.0/24'] }))], http(), ALLOWED_BY(rule('p'))),
  c('when source.namespace / source.principal', [ap('p', allowWhen({ key: 'source.namespace', values: ['bar'] }, { key: 'source.principal', notValues: ['*/sa/default'] }))], http(), ALLOWED_BY(rule('p'))),
  c('when destination.ip / destination.port', [ap('p', allowWhen({ key: 'destination.ip', values: ['10.0.2.0/24'] }, { key: 'destination.port', values: ['8000', '9000'] }))], http(), ALLOWED_BY(rule('p'))),
  c('when destination.port other', [ap('p', allowWhen({ key: 'destination.port', values: ['9000'] }))], http(), NO_MATCH),
  c('when connection.sni', [ap('p', allowWhen({ key: 'connection.sni', values: ['*.foo.svc.cluster.local'] }))], http({ sni: 'outbound_.8000_._.httpbin.foo.svc.cluster.local' }), ALLOWED_BY(rule('p'))),
  c('when connection.sni absent', [ap('p', allowWhen({ key: 'connection.sni', values: ['*'] }))], http(), NO_MATCH),
  c('when experimental.envoy.filters metadata', [ap('p', allowWhen({ key: 'experimental.envoy.filters.network.mysql_proxy[db.table]', values: ['[update]'] }))],
    tcp({ filterMetadata: { 'envoy.filters.network.mysql_proxy': { 'db.table': ['insert', 'update'] } } }), ALLOWED_BY(rule('p'))),

  // ---- request authentication (JWT) ----
  c('requestPrincipals', [ap('p', allowFrom({ requestPrincipals: ['https://issuer.example/*'] }))], http({}, { auth: { principal: 'https://issuer.example/alice' } }), ALLOWED_BY(rule('p'))),
  c('requestPrincipals "*" without a JWT', [ap('p', allowFrom({ requestPrincipals: ['*'] }))], http(), NO_MATCH),
  c('notRequestPrincipals "*" in DENY: deny requests without a JWT', [ap('d', denyRule({ from: [{ source: { notRequestPrincipals: ['*'] } }] }))], http(), DENIED_BY(rule('d'))),
  c('when request.auth.claims list claim', [ap('p', allowWhen({ key: 'request.auth.claims[groups]', values: ['admins'] }))], http({}, { auth: { principal: 'iss/alice', claims: { groups: ['users', 'admins'] } } }), ALLOWED_BY(rule('p'))),
  c('when request.auth.claims nested', [ap('p', allowWhen({ key: 'request.auth.claims[realm][role]', values: ['ops*'] }))], http({}, { auth: { principal: 'iss/alice', claims: { realm: { role: 'operator' } } } }), NO_MATCH),
  c('when request.auth.audiences / presenter', [ap('p', allowWhen({ key: 'request.auth.audiences', values: ['httpbin'] }, { key: 'request.auth.presenter', values: ['*'] }))], http({}, { auth: { principal: 'iss/alice', audiences: 'httpbin', presenter: 'web-app' } }), ALLOWED_BY(rule('p'))),

  // ---- combining inside a policy ----
  c('from entries are ORed', [ap('p', { rules: [{ from: [{ source: { namespaces: ['baz'] } }, { source: { ipBlocks: ['10.0.0.0/8'] } }] }] })], http(), ALLOWED_BY(rule('p'))),
  c('fields of one source are ANDed', [ap('p', allowFrom({ namespaces: ['bar'], ipBlocks: ['192.168.0.0/16'] }))], http(), NO_MATCH),
  c('to entries are ORed', [ap('p', { rules: [{ to: [{ operation: { methods: ['POST'] } }, { operation: { paths: ['/headers'] } }] }] })], http(), ALLOWED_BY(rule('p'))),
  c('from, to and when must all match', [ap('p', { rules: [{ from: [{ source: { namespaces: ['bar'] } }], to: [{ operation: { methods: ['GET'] } }], when: [{ key: 'request.headers[x-token]', values: ['t'] }] }] })], http(), NO_MATCH),
  c('rules are ORed; the matching index is reported', [ap('p', { rules: [{ from: [{ source: { namespaces: ['baz'] } }] }, { to: [{ operation: { methods: ['GET'] } }] }] })], http(), ALLOWED_BY(rule('p', 1))),
  c('several matching rules: the first by RBAC name (rule[10] sorts before rule[2])',
    [ap('p', { rules: Array.from({ length: 11 }, (_, i) => (i === 2 || i === 10 ? {} : { to: [{ operation: { methods: ['POST'] } }] })) })],
    http(), ALLOWED_BY(rule('p', 10))),

  // ---- action order ----
  c('DENY wins over ALLOW', [ap('allow', { rules: [{}] }), ap('deny', denyRule({ to: [{ operation: { paths: ['/headers'] } }] }))], http(), DENIED_BY(rule('deny'))),
  c('DENY not matching, ALLOW matching', [ap('allow', { rules: [{}] }), ap('deny', denyRule({ to: [{ operation: { paths: ['/admin'] } }] }))], http(), ALLOWED_BY(rule('allow'))),
  c('DENY not matching, no ALLOW: allow', [ap('deny', denyRule({ to: [{ operation: { paths: ['/admin'] } }] }))], http(), NO_ALLOW),
  c('root-namespace DENY wins over namespace ALLOW', [policy('trellis-system', 'mesh-deny', denyRule({ from: [{ source: { namespaces: ['bar'] } }] })), ap('allow', { rules: [{}] })], http(), DENIED_BY(rule('mesh-deny', 0, 'trellis-system'))),
  c('AUDIT does not change an allow', [ap('audit', { action: 'AUDIT', rules: [{}] })], http(), { ...NO_ALLOW, audited: [rule('audit')] }),
  c('AUDIT does not change a deny', [ap('audit', { action: 'AUDIT', rules: [{ to: [{ operation: { methods: ['GET'] } }] }] }), ap('allow-post', allowTo({ methods: ['POST'] }))], http(), { ...NO_MATCH, audited: [rule('audit')] }),
  c('AUDIT runs before DENY', [ap('audit', { action: 'AUDIT', rules: [{}] }), ap('deny', { action: 'DENY', rules: [{}] })], http(), { ...DENIED_BY(rule('deny')), audited: [rule('audit')] }),
  c('AUDIT not matching', [ap('audit', { action: 'AUDIT', rules: [{ to: [{ operation: { methods: ['POST'] } }] }] })], http(), NO_ALLOW),

  // ---- dry-run ----
  c('dry-run DENY never denies', [ap('d', { action: 'DENY', rules: [{}] }, dryRun)], http(), { ...NO_ALLOW, dryRun: [{ action: 'DENY', decision: 'DENY', matched: rule('d') }] }),
  c('dry-run ALLOW does not make the workload default-deny', [ap('a', allowTo({ methods: ['POST'] }), dryRun)], http(), { ...NO_ALLOW, dryRun: [{ action: 'ALLOW', decision: 'DENY' }] }),
  c('dry-run ALLOW next to an enforced ALLOW', [ap('a', allowTo({ methods: ['GET'] }), dryRun), ap('b', allowTo({ paths: ['/admin'] }))], http(), { ...NO_MATCH, dryRun: [{ action: 'ALLOW', decision: 'ALLOW', matched: rule('a') }] }),
  c('dry-run ALLOW is not reached after an enforced DENY', [ap('a', { rules: [{}] }, dryRun), ap('d', { action: 'DENY', rules: [{}] })], http(), DENIED_BY(rule('d'))),
  c('dry-run AUDIT', [ap('au', { action: 'AUDIT', rules: [{}] }, dryRun)], http(), { ...NO_ALLOW, dryRun: [{ action: 'AUDIT', decision: 'ALLOW', matched: rule('au') }] }),
  c('dry-run annotation "false" is enforced', [ap('d', { action: 'DENY', rules: [{}] }, { 'istio.io/dry-run': 'false' })], http(), DENIED_BY(rule('d'))),

  // ---- TCP: HTTP-only fields ----
  c('TCP: ALLOW rule with an HTTP-only field is dropped entirely', [ap('p', allowTo({ methods: ['GET'] }))], tcp(), NO_MATCH),
  c('TCP: ALLOW rule mixing principals and methods is dropped though the principal matches',
    [ap('p', { rules: [{ from: [{ source: { namespaces: ['bar'] } }], to: [{ operation: { methods: ['GET'] } }] }] })], tcp(), NO_MATCH),
  c('TCP: other ALLOW rules still apply', [ap('p', { rules: [{ to: [{ operation: { methods: ['GET'] } }] }, { from: [{ source: { namespaces: ['bar'] } }] }] })], tcp(), ALLOWED_BY(rule('p', 1))),
  c('TCP: ALLOW with ports works', [ap('p', allowTo({ ports: ['8000'] }))], tcp(), ALLOWED_BY(rule('p'))),
  c('TCP: ALLOW with connection.sni works', [ap('p', allowWhen({ key: 'connection.sni', values: ['httpbin.*'] }))], tcp({ sni: 'httpbin.foo' }), ALLOWED_BY(rule('p'))),
  c('TCP: ALLOW with a request header condition is dropped', [ap('p', allowWhen({ key: 'request.headers[x-token]', values: ['*'] }))], tcp(), NO_MATCH),
  c('TCP: ALLOW with requestPrincipals is dropped', [ap('p', allowFrom({ requestPrincipals: ['*'] }))], tcp(), NO_MATCH),
  c('TCP: DENY with only methods denies all TCP', [ap('d', denyRule({ to: [{ operation: { methods: ['POST'] } }] }))], tcp(), DENIED_BY(rule('d'))),
  c('TCP: DENY with only notMethods denies all TCP', [ap('d', denyRule({ to: [{ operation: { notMethods: ['GET'] } }] }))], tcp(), DENIED_BY(rule('d'))),
  c('TCP: DENY keeps its TCP fields', [ap('d', denyRule({ from: [{ source: { namespaces: ['baz'] } }], to: [{ operation: { methods: ['POST'] } }] }))], tcp(), NO_ALLOW),
  c('TCP: DENY keeps its TCP fields, matching', [ap('d', denyRule({ from: [{ source: { namespaces: ['bar'] } }], to: [{ operation: { paths: ['/admin'] } }] }))], tcp(), DENIED_BY(rule('d'))),
  c('HTTP: the same DENY only denies POST', [ap('d', denyRule({ to: [{ operation: { methods: ['POST'] } }] }))], http(), NO_ALLOW),
  c('TCP: AUDIT drops HTTP-only fields too', [ap('au', { action: 'AUDIT', rules: [{ to: [{ operation: { paths: ['/admin'] } }] }] })], tcp(), { ...NO_ALLOW, audited: [rule('au')] }),
  c('TCP: DENY with requestPrincipals and notRequestPrincipals denies all TCP', [ap('d', denyRule({ from: [{ source: { notRequestPrincipals: ['*'] } }] }))], tcp(), DENIED_BY(rule('d'))),
  c('TCP: DENY wins, then the TCP-safe ALLOW', [ap('d', denyRule({ from: [{ source: { ipBlocks: ['192.168.0.0/16'] } }], to: [{ operation: { methods: ['GET'] } }] })), ap('a', allowFrom({ principals: ['cluster.local/ns/bar/sa/sleep'] }))], tcp(), ALLOWED_BY(rule('a'))),
];
