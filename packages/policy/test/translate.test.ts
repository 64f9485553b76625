import { parseAuthorizationPolicy, toEnvoyHttpRbac, toEnvoyNetworkRbac } from '@trellis/policy';
import type { Permission, Policy, Principal } from '@trellis/rbac';
import { ALL_FIELDS_POLICY } from './all-fields.fixture';

const WORKLOAD = { namespace: 'foo', labels: { app: 'httpbin' } };
const RULE = 'ns[foo]-policy[httpbin-1]-rule[0]';

function onlyPolicy(configs: ReturnType<typeof toEnvoyHttpRbac>): Policy {
  expect(configs).toHaveLength(1);
  return configs[0]!.rules!.policies![RULE]!;
}

/** The and_rules/and_ids list of the first permission and principal. */
function parts(p: Policy): { permissions: Permission[]; principals: Principal[] } {
  return { permissions: p.permissions[0]!.and_rules!.rules, principals: p.principals[0]!.and_ids!.ids };
}

describe('toEnvoyHttpRbac, every field (compare Istio builder testdata allow-full-rule)', () => {
  const policy = parseAuthorizationPolicy(ALL_FIELDS_POLICY);
  const { permissions, principals } = parts(onlyPolicy(toEnvoyHttpRbac([policy], WORKLOAD)));

  test('principals: spiffe:// prefixed, suffix as regex, "*" as .+', () => {
    expect(principals[0]).toEqual({
      or_ids: {
        ids: [
          { authenticated: { principal_name: { exact: 'spiffe://principal' } } },
          { authenticated: { principal_name: { prefix: 'spiffe://principal-prefix-' } } },
          { authenticated: { principal_name: { safe_regex: { regex: 'spiffe://.*-suffix-principal' } } } },
          { authenticated: { principal_name: { safe_regex: { regex: '.+' } } } },
        ],
      },
    });
    expect(principals[1]).toEqual({ not_id: { or_ids: { ids: [{ authenticated: { principal_name: { exact: 'spiffe://not-principal' } } }] } } });
  });

  test('requestPrincipals from istio_authn metadata', () => {
    expect(principals[2]!.or_ids!.ids[2]).toEqual({
      metadata: { filter: 'istio_authn', path: [{ key: 'request.auth.principal' }], value: { string_match: { suffix: '/sub' } } },
    });
  });

  test('namespaces as a regex on the principal', () => {
    expect(principals[4]!.or_ids!.ids.map((id) => id.authenticated!.principal_name!.safe_regex!.regex)).toEqual([
      '.*/ns/ns/.*', '.*/ns/ns-prefix-.*/.*', '.*/ns/.*-ns-suffix/.*', '.*/ns/.*/.*',
    ]);
  });

  test('remote and direct IPs, with prefix_len wrapped as protobufjs does', () => {
    expect(principals[6]).toEqual({
      or_ids: { ids: [{ remote_ip: { address_prefix: '1.2.3.4', prefix_len: { value: 32 } } }, { remote_ip: { address_prefix: 'fd00::', prefix_len: { value: 8 } } }] },
    });
    expect(principals[8]).toEqual({
      or_ids: { ids: [{ direct_remote_ip: { address_prefix: '1.2.3.4', prefix_len: { value: 32 } } }, { direct_remote_ip: { address_prefix: '5.6.0.0', prefix_len: { value: 16 } } }] },
    });
  });

  test('service accounts as Istio\'s identity regex, bare names in the policy namespace', () => {
    expect(principals[10]!.or_ids!.ids.map((id) => id.authenticated!.principal_name!.safe_regex!.regex)).toEqual([
      'spiffe://.+/ns/my-ns/(.+/|)sa/my-sa(/.+)?', 'spiffe://.+/ns/foo/(.+/|)sa/sa-only(/.+)?',
    ]);
    expect(principals[11]!.not_id).toBeDefined();
  });

  test('request headers match any element of a repeated header', () => {
    const header = principals.find((p) => p.or_ids?.ids[0]?.header)!;
    expect(header.or_ids!.ids).toEqual([
      { header: { name: 'X-header', safe_regex_match: { regex: '^header$|^header,.*|.*,header,.*|.*,header$' } } },
      { header: { name: 'X-header', safe_regex_match: { regex: '^header-prefix-.*$|^header-prefix-.*,.*|.*,header-prefix-.*,.*|.*,header-prefix-.*$' } } },
      { header: { name: 'X-header', safe_regex_match: { regex: '^.*-suffix-header$|^.*-suffix-header,.*|.*,.*-suffix-header,.*|.*,.*-suffix-header$' } } },
      { header: { name: 'X-header', present_match: true } },
    ]);
    const notHeader = principals[principals.indexOf(header) + 1]!;
    expect(notHeader.not_id!.or_ids!.ids[0]!.header!.safe_regex_match!.regex).toBe('^not\\.header$|^not\\.header,.*|.*,not\\.header,.*|.*,not\\.header$');
  });

  test('claims as list matches on nested metadata paths', () => {
    const claims = principals.flatMap((p) => p.or_ids?.ids ?? []).filter((id) => id.metadata?.path[0]?.key === 'request.auth.claims');
    expect(claims.map((c) => c.metadata)).toEqual([
      { filter: 'istio_authn', path: [{ key: 'request.auth.claims' }, { key: 'iss' }], value: { list_match: { one_of: { string_match: { exact: 'iss' } } } } },
      { filter: 'istio_authn', path: [{ key: 'request.auth.claims' }, { key: 'nested1' }, { key: 'nested2' }], value: { list_match: { one_of: { string_match: { exact: 'nested' } } } } },
    ]);
  });

  test('hosts ignore case; "*" is presence', () => {
    expect(permissions[0]!.or_rules!.rules).toEqual([
      { header: { name: ':authority', string_match: { exact: 'exact.com', ignore_case: true } } },
      { header: { name: ':authority', string_match: { suffix: '.suffix.com', ignore_case: true } } },
      { header: { name: ':authority', string_match: { prefix: 'prefix.', ignore_case: true } } },
      { header: { name: ':authority', present_match: true } },
    ]);
  });

  test('methods, paths, ports', () => {
    expect(permissions[2]!.or_rules!.rules[1]).toEqual({ header: { name: ':method', string_match: { prefix: 'method-prefix-' } } });
    expect(permissions[3]).toEqual({ not_rule: { or_rules: { rules: [{ header: { name: ':method', string_match: { exact: 'DELETE' } } }] } } });
    expect(permissions[4]!.or_rules!.rules).toEqual([
      { url_path: { path: { exact: '/exact' } } },
      { url_path: { path: { prefix: '/prefix/' } } },
      { url_path: { path: { suffix: '/suffix' } } },
      { url_path: { path: { safe_regex: { regex: '.+' } } } },
    ]);
    expect(permissions[6]).toEqual({ or_rules: { rules: [{ destination_port: 80 }, { destination_port: 90 }] } });
    expect(permissions[7]).toEqual({ not_rule: { or_rules: { rules: [{ destination_port: 8000 }] } } });
  });

  test('when conditions on the permission side: destination, sni, filter metadata', () => {
    expect(permissions.slice(8)).toEqual([
      { or_rules: { rules: [{ destination_ip: { address_prefix: '10.10.10.10', prefix_len: { value: 32 } } }] } },
      { or_rules: { rules: [{ destination_port: 91 }] } },
      { or_rules: { rules: [{ requested_server_name: { exact: 'exact.com' } }, { requested_server_name: { suffix: '.suffix.com' } }] } },
      {
        or_rules: {
          rules: [
            { metadata: { filter: 'envoy.filters.a.b', path: [{ key: 'c' }], value: { string_match: { exact: 'exact' } } } },
            { metadata: { filter: 'envoy.filters.a.b', path: [{ key: 'c' }], value: { list_match: { one_of: { string_match: { exact: 'listed' } } } } } },
          ],
        },
      },
    ]);
  });
});

describe('filter layout', () => {
  const p = (name: string, spec: object, annotations?: Record<string, string>) =>
    parseAuthorizationPolicy({ apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name, namespace: 'foo', ...(annotations ? { annotations } : {}) }, spec });

  test('one filter per action in the order AUDIT (LOG), DENY, ALLOW; dry-run in shadow_rules', () => {
    const configs = toEnvoyHttpRbac(
      [p('a', { rules: [{}] }), p('d', { action: 'DENY', rules: [{}] }), p('au', { action: 'AUDIT', rules: [{}] }), p('dd', { action: 'DENY', rules: [{}] }, { 'istio.io/dry-run': 'true' })],
      WORKLOAD,
    );
    expect(configs.map((c) => [c.rules?.action, c.shadow_rules?.action, c.shadow_rules_stat_prefix])).toEqual([
      ['LOG', undefined, undefined],
      ['DENY', 'DENY', 'istio_dry_run_deny_'],
      ['ALLOW', undefined, undefined],
    ]);
  });

  test('only dry-run policies: shadow rules without enforced rules', () => {
    const [config] = toEnvoyHttpRbac([p('a', { rules: [{}] }, { 'istio.io/dry-run': 'true' })], WORKLOAD);
    expect(config).toEqual({
      shadow_rules: { action: 'ALLOW', policies: { 'ns[foo]-policy[a]-rule[0]': expect.anything() } },
      shadow_rules_stat_prefix: 'istio_dry_run_allow_',
    });
  });

  test('a policy without rules becomes a policy that never matches', () => {
    const [config] = toEnvoyHttpRbac([p('none', {})], WORKLOAD);
    expect(config!.rules).toEqual({
      action: 'ALLOW',
      policies: { 'ns[foo]-policy[none]-rule[0]': { permissions: [{ not_rule: { any: true } }], principals: [{ not_id: { any: true } }] } },
    });
  });

  test('network filters carry a stat prefix and drop HTTP-only ALLOW rules', () => {
    const configs = toEnvoyNetworkRbac([p('a', { rules: [{ to: [{ operation: { methods: ['GET'] } }] }, { to: [{ operation: { ports: ['80'] } }] }] })], WORKLOAD);
    expect(configs).toEqual([
      {
        stat_prefix: 'tcp.',
        rules: {
          action: 'ALLOW',
          policies: {
            'ns[foo]-policy[a]-rule[1]': {
              permissions: [{ and_rules: { rules: [{ or_rules: { rules: [{ destination_port: 80 }] } }] } }],
              principals: [{ and_ids: { ids: [{ any: true }] } }],
            },
          },
        },
      },
    ]);
  });

  test('no applicable policy: no filters', () => {
    expect(toEnvoyHttpRbac([p('a', { selector: { matchLabels: { app: 'x' } }, rules: [{}] })], WORKLOAD)).toEqual([]);
  });
});
