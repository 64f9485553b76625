import { compileRbac, compileRbacChain, compileRbacRules, EvaluationState, RbacConfigError, type Permission, type Principal, type RbacContext } from '@trellis/rbac';

const CTX: RbacContext = {
  sourceAddress: '10.0.1.5',
  destinationAddress: '10.0.2.7',
  destinationPort: 8080,
  requestedServerName: 'httpbin.foo.svc',
  peerCertificate: { uriSans: ['spiffe://cluster.local/ns/bar/sa/sleep'], dnsSans: ['sleep.bar'], subject: 'CN=sleep' },
  headers: { ':method': 'GET', ':path': '/api/v1/items?limit=5', ':authority': 'HTTPBin.foo', 'X-Multi': ['a', 'b'], 'x-empty': '' },
  dynamicMetadata: { istio_authn: { 'request.auth.principal': 'iss/alice', 'request.auth.claims': { groups: ['dev', 'ops'], admin: true } } },
};

/** Whether a single permission (with principal any) matches CTX. */
function permits(permission: Permission, ctx: RbacContext = CTX): boolean {
  const rules = compileRbacRules({ action: 'ALLOW', policies: { p: { permissions: [permission], principals: [{ any: true }] } } });
  return rules.firstMatch(new EvaluationState(ctx)) !== undefined;
}

function identifies(principal: Principal, ctx: RbacContext = CTX): boolean {
  const rules = compileRbacRules({ action: 'ALLOW', policies: { p: { permissions: [{ any: true }], principals: [principal] } } });
  return rules.firstMatch(new EvaluationState(ctx)) !== undefined;
}

describe('permissions', () => {
  test.each<[string, Permission, boolean]>([
    ['any', { any: true }, true],
    ['destination_port', { destination_port: 8080 }, true],
    ['destination_port other', { destination_port: 80 }, false],
    ['destination_port_range is half-open', { destination_port_range: { start: 8000, end: 8080 } }, false],
    ['destination_port_range inside', { destination_port_range: { start: 8000, end: 8081 } }, true],
    ['destination_ip', { destination_ip: { address_prefix: '10.0.2.0', prefix_len: { value: 24 } } }, true],
    ['destination_ip unwrapped prefix_len', { destination_ip: { address_prefix: '10.0.3.0', prefix_len: 24 } }, false],
    ['requested_server_name suffix', { requested_server_name: { suffix: '.foo.svc' } }, true],
    ['url_path ignores the query', { url_path: { path: { exact: '/api/v1/items' } } }, true],
    ['url_path prefix', { url_path: { path: { prefix: '/api/' } } }, true],
    ['url_path contains', { url_path: { path: { contains: 'v1' } } }, true],
    ['url_path regex is a full match', { url_path: { path: { safe_regex: { regex: '/api' } } } }, false],
    ['url_path regex', { url_path: { path: { safe_regex: { regex: '/api/v[0-9]+/.*' } } } }, true],
    ['header :method', { header: { name: ':method', string_match: { exact: 'GET' } } }, true],
    ['header :authority ignore_case', { header: { name: ':authority', string_match: { exact: 'httpbin.foo', ignore_case: true } } }, true],
    ['header :authority case-sensitive', { header: { name: ':authority', string_match: { exact: 'httpbin.foo' } } }, false],
    ['header name is case-insensitive', { header: { name: 'x-multi', present_match: true } }, true],
    ['repeated header joined with ","', { header: { name: 'x-multi', exact_match: 'a,b' } }, true],
    ['present_match on an empty value', { header: { name: 'x-empty', present_match: true } }, true],
    ['present_match false means absent', { header: { name: 'x-missing', present_match: false } }, true],
    ['present_match inverted', { header: { name: 'x-missing', present_match: true, invert_match: true } }, true],
    ['value match on a missing header fails even inverted', { header: { name: 'x-missing', exact_match: 'a', invert_match: true } }, false],
    ['missing header does not match', { header: { name: 'x-missing', prefix_match: '' } }, false],
    ['treat_missing_header_as_empty', { header: { name: 'x-missing', exact_match: '', treat_missing_header_as_empty: true } }, true],
    ['invert_match', { header: { name: ':method', exact_match: 'POST', invert_match: true } }, true],
    ['safe_regex_match', { header: { name: 'x-multi', safe_regex_match: { regex: '^a$|^a,.*|.*,a,.*|.*,a$' } } }, true],
    ['regex (?i)', { header: { name: ':authority', safe_regex_match: { regex: '(?i)httpbin\\..*' } } }, true],
    ['suffix_match / contains_match', { and_rules: { rules: [{ header: { name: ':path', suffix_match: '=5' } }, { header: { name: ':path', contains_match: 'items' } }] } }, true],
    ['not_rule', { not_rule: { destination_port: 8080 } }, false],
    ['or_rules', { or_rules: { rules: [{ destination_port: 1 }, { destination_port: 8080 }] } }, true],
    ['and_rules', { and_rules: { rules: [{ destination_port: 8080 }, { destination_port: 1 }] } }, false],
    ['metadata string', { metadata: { filter: 'istio_authn', path: [{ key: 'request.auth.principal' }], value: { string_match: { prefix: 'iss/' } } } }, true],
    ['metadata nested list', { metadata: { filter: 'istio_authn', path: [{ key: 'request.auth.claims' }, { key: 'groups' }], value: { list_match: { one_of: { string_match: { exact: 'ops' } } } } } }, true],
    ['metadata bool', { metadata: { filter: 'istio_authn', path: [{ key: 'request.auth.claims' }, { key: 'admin' }], value: { bool_match: true } } }, true],
    ['metadata missing', { metadata: { filter: 'other', path: [{ key: 'k' }], value: { present_match: true } } }, false],
    ['metadata invert', { metadata: { filter: 'other', path: [{ key: 'k' }], value: { present_match: true }, invert: true } }, true],
  ])('%s', (_name, permission, expected) => {
    expect(permits(permission)).toBe(expected);
  });

  test('headers given as a lookup decide as the record does, and are asked for only when a matcher needs them', () => {
    const record = CTX.headers as Record<string, string | readonly string[]>;
    const asked: string[] = [];
    const lookup: RbacContext = {
      ...CTX,
      headers: (lowerName) => {
        asked.push(lowerName);
        const name = Object.keys(record).find((n) => n.toLowerCase() === lowerName);
        return name === undefined ? undefined : record[name];
      },
    };
    expect(permits({ destination_port: 8080 }, lookup)).toBe(true);
    expect(asked).toEqual([]);
    const permissions: Permission[] = [
      { header: { name: 'x-multi', exact_match: 'a,b' } },
      { header: { name: 'X-Multi', present_match: true } },
      { header: { name: 'x-missing', exact_match: '', treat_missing_header_as_empty: true } },
      { header: { name: ':authority', string_match: { exact: 'httpbin.foo', ignore_case: true } } },
      { url_path: { path: { exact: '/api/v1/items' } } },
    ];
    for (const permission of permissions) {
      expect(permits(permission, lookup)).toBe(permits(permission));
    }
    expect(new Set(asked)).toEqual(new Set(['x-multi', 'x-missing', ':authority', ':path']));
  });

  test('HTTP matchers never match a TCP connection', () => {
    const { headers: _headers, ...tcp } = CTX;
    expect(permits({ header: { name: ':method', present_match: true } }, tcp)).toBe(false);
    expect(permits({ url_path: { path: { prefix: '/' } } }, tcp)).toBe(false);
  });
});

describe('principals', () => {
  test.each<[string, Principal, boolean]>([
    ['authenticated URI SAN', { authenticated: { principal_name: { exact: 'spiffe://cluster.local/ns/bar/sa/sleep' } } }, true],
    ['authenticated DNS SAN', { authenticated: { principal_name: { exact: 'sleep.bar' } } }, true],
    ['authenticated subject', { authenticated: { principal_name: { exact: 'CN=sleep' } } }, true],
    ['authenticated namespace regex', { authenticated: { principal_name: { safe_regex: { regex: '.*/ns/bar/.*' } } } }, true],
    ['authenticated without a name: any peer cert', { authenticated: {} }, true],
    ['direct_remote_ip', { direct_remote_ip: { address_prefix: '10.0.0.0', prefix_len: { value: 16 } } }, true],
    ['source_ip', { source_ip: { address_prefix: '10.0.1.5', prefix_len: { value: 32 } } }, true],
    ['remote_ip defaults to the peer', { remote_ip: { address_prefix: '10.0.1.5', prefix_len: { value: 32 } } }, true],
    ['not_id', { not_id: { any: true } }, false],
    ['or_ids', { or_ids: { ids: [{ not_id: { any: true } }, { any: true }] } }, true],
    ['and_ids', { and_ids: { ids: [{ any: true }, { not_id: { any: true } }] } }, false],
    ['header', { header: { name: ':method', string_match: { exact: 'GET' } } }, true],
    ['url_path', { url_path: { path: { exact: '/api/v1/items' } } }, true],
  ])('%s', (_name, principal, expected) => {
    expect(identifies(principal)).toBe(expected);
  });

  test('no peer certificate: authenticated never matches', () => {
    const { peerCertificate: _cert, ...plaintext } = CTX;
    expect(identifies({ authenticated: {} }, plaintext)).toBe(false);
    expect(identifies({ not_id: { authenticated: { principal_name: { safe_regex: { regex: '.+' } } } } }, plaintext)).toBe(true);
  });

  test('remote_ip uses the original client address when known', () => {
    const ctx = { ...CTX, remoteAddress: '203.0.113.9' };
    expect(identifies({ remote_ip: { address_prefix: '203.0.113.0', prefix_len: { value: 24 } } }, ctx)).toBe(true);
    expect(identifies({ direct_remote_ip: { address_prefix: '203.0.113.0', prefix_len: { value: 24 } } }, ctx)).toBe(false);
  });
});

describe('actions and shadow rules', () => {
  const matchAll = { permissions: [{ any: true }], principals: [{ any: true }] };
  const matchNone = { permissions: [{ not_rule: { any: true } }], principals: [{ any: true }] };

  test('ALLOW: allowed iff a policy matches; reports the first by name', () => {
    expect(compileRbac({ rules: { action: 'ALLOW', policies: { b: matchAll, a: matchAll } } }).evaluate(CTX)).toEqual({ allowed: true, matchedPolicy: 'a' });
    expect(compileRbac({ rules: { action: 'ALLOW', policies: { a: matchNone } } }).evaluate(CTX)).toEqual({ allowed: false });
    expect(compileRbac({ rules: { action: 'ALLOW' } }).evaluate(CTX)).toEqual({ allowed: false });
  });

  test('absent action is ALLOW (proto3 default), numeric enums accepted', () => {
    expect(compileRbac({ rules: { policies: { a: matchNone } } }).evaluate(CTX).allowed).toBe(false);
    expect(compileRbac({ rules: { action: 1, policies: { a: matchAll } } }).evaluate(CTX)).toEqual({ allowed: false, matchedPolicy: 'a' });
  });

  test('DENY: denied iff a policy matches', () => {
    expect(compileRbac({ rules: { action: 'DENY', policies: { d: matchAll } } }).evaluate(CTX)).toEqual({ allowed: false, matchedPolicy: 'd' });
    expect(compileRbac({ rules: { action: 'DENY', policies: { d: matchNone } } }).evaluate(CTX)).toEqual({ allowed: true });
  });

  test('LOG: always allowed, logged when a policy matches', () => {
    expect(compileRbac({ rules: { action: 'LOG', policies: { l: matchAll } } }).evaluate(CTX)).toEqual({ allowed: true, matchedPolicy: 'l', logged: true });
    expect(compileRbac({ rules: { action: 'LOG', policies: { l: matchNone } } }).evaluate(CTX)).toEqual({ allowed: true });
  });

  test('no rules: nothing enforced; shadow rules reported, never enforced', () => {
    expect(compileRbac({}).evaluate(CTX)).toEqual({ allowed: true });
    expect(compileRbac({ shadow_rules: { action: 'DENY', policies: { s: matchAll } } }).evaluate(CTX)).toEqual({
      allowed: true,
      shadow: { action: 'DENY', allowed: false, matchedPolicy: 's' },
    });
  });

  test('chain: DENY then ALLOW as Istio emits; the first denial stops the chain', () => {
    const chain = compileRbacChain([
      { rules: { action: 'LOG', policies: { audit: matchAll } } },
      { rules: { action: 'DENY', policies: { deny: matchNone } } },
      { rules: { action: 'ALLOW', policies: { allow: matchAll } }, shadow_rules: { action: 'ALLOW', policies: { dry: matchNone } } },
    ]);
    expect(chain.evaluate(CTX)).toEqual({ allowed: true, matchedPolicy: 'allow', logged: ['audit'], shadow: [{ filter: 2, action: 'ALLOW', allowed: false }] });
    const denying = compileRbacChain([
      { rules: { action: 'DENY', policies: { deny: matchAll } } },
      { rules: { action: 'ALLOW', policies: { allow: matchAll } }, shadow_rules: { action: 'ALLOW', policies: { dry: matchAll } } },
    ]);
    expect(denying.evaluate(CTX)).toEqual({ allowed: false, deniedBy: 0, matchedPolicy: 'deny', logged: [], shadow: [] });
    expect(compileRbacChain([{ rules: { action: 'ALLOW' } }]).evaluate(CTX)).toEqual({ allowed: false, deniedBy: 0, logged: [], shadow: [] });
  });
});

describe('protobufjs toObject shapes (defaults: true, oneofs: true)', () => {
  test('null fields are absent and oneof group names are ignored', () => {
    const config = {
      rules: { action: 'DENY', policies: { p: { permissions: [{ rule: 'any', any: true }], principals: [{ identifier: 'not_id', not_id: { identifier: 'any', any: true } }], condition: null } } },
      shadow_rules: null, matcher: null, shadow_matcher: null, shadow_rules_stat_prefix: '', rules_stat_prefix: '', track_per_rule_stats: false,
    };
    expect(compileRbac(config).evaluate(CTX)).toEqual({ allowed: true });
  });

  test('a oneof group name must name a set member', () => {
    expect(() => compileRbac({ rules: { policies: { p: { permissions: [{ rule: 'header', any: true }], principals: [{ any: true }] } } } })).toThrow('permissions[0].rule: is not a known field');
  });
});

describe('compile errors name the field', () => {
  const policy = (permission: unknown) => ({ rules: { policies: { p: { permissions: [permission], principals: [{ any: true }] } } } });

  test.each<[string, unknown, string]>([
    ['unsupported permission', policy({ uri_template: { path_template: '/a/{x}' } }), 'rules.policies["p"].permissions[0].uri_template: is not supported by the Trellis RBAC engine'],
    ['unknown field', policy({ destinationPort: 80 }), 'rules.policies["p"].permissions[0].destinationPort: is not a known field'],
    ['empty rule', policy({}), 'rules.policies["p"].permissions[0]: must set one of'],
    ['two rules in a oneof', policy({ any: true, destination_port: 1 }), 'rules.policies["p"].permissions[0]: sets several of any, destination_port'],
    ['bad CIDR', policy({ destination_ip: { address_prefix: '10.0.0.300', prefix_len: { value: 8 } } }), 'rules.policies["p"].permissions[0].destination_ip.address_prefix: "10.0.0.300" is not an IP address'],
    ['prefix_len too long', policy({ destination_ip: { address_prefix: '10.0.0.0', prefix_len: { value: 33 } } }), 'destination_ip.prefix_len: must be an integer in [0, 32]'],
    ['bad regex', policy({ url_path: { path: { safe_regex: { regex: '(' } } } }), 'url_path.path.safe_regex.regex: "(" is not a valid regex'],
    ['non-RE2 regex', policy({ url_path: { path: { safe_regex: { regex: '(?=a)a' } } } }), 'uses syntax RE2 does not support'],
    ['header range_match', policy({ header: { name: 'x', range_match: { start: 1, end: 2 } } }), 'header.range_match: is not supported'],
    ['port out of range', policy({ destination_port: 70000 }), 'destination_port: must be an integer in [0, 65535]'],
    ['empty and_rules', policy({ and_rules: { rules: [] } }), 'and_rules.rules: must not be empty'],
    ['policy condition (CEL)', { rules: { policies: { p: { permissions: [{ any: true }], principals: [{ any: true }], condition: {} } } } }, 'rules.policies["p"].condition: is not supported'],
    ['empty principals', { rules: { policies: { p: { permissions: [{ any: true }], principals: [] } } } }, 'rules.policies["p"].principals: must not be empty'],
    ['bad action', { rules: { action: 'AUDIT' } }, 'rules.action: "AUDIT" is not ALLOW, DENY or LOG'],
    ['matcher API', { matcher: {} }, 'matcher: is not supported'],
    ['filter_state principal', { rules: { policies: { p: { permissions: [{ any: true }], principals: [{ filter_state: {} }] } } } }, 'principals[0].filter_state: is not supported'],
  ])('%s', (_name, config, message) => {
    expect(() => compileRbac(config)).toThrow(RbacConfigError);
    expect(() => compileRbac(config)).toThrow(message);
  });

  test('chain errors say which filter', () => {
    expect(() => compileRbacChain([{}, { rules: { action: 'NOPE' } }])).toThrow('filters[1].rules.action');
    expect(() => compileRbacChain([{ shadow_matcher: {} }])).toThrow('filters[0].shadow_matcher: is not supported');
  });
});
