import { formatDiagnostic, parseAuthorizationPolicy, ObjectValidationError, validateAuthorizationPolicy } from '@trellis/policy';

function policy(spec: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'bar', namespace: 'foo' }, spec, ...extra };
}

function errorsOf(input: unknown): string[] {
  return validateAuthorizationPolicy(input).errors.map(formatDiagnostic);
}

function warningsOf(input: unknown): string[] {
  return validateAuthorizationPolicy(input).warnings.map(formatDiagnostic);
}

describe('AuthorizationPolicy validation', () => {
  test.each(['security.istio.io/v1', 'security.istio.io/v1beta1', 'security.trellis.dev/v1'])('accepts apiVersion %s', (apiVersion) => {
    expect(errorsOf(policy({ rules: [{}] }, { apiVersion }))).toEqual([]);
  });

  test('decodes into the typed model', () => {
    const p = parseAuthorizationPolicy(
      policy(
        {
          selector: { matchLabels: { app: 'httpbin' } },
          action: 'DENY',
          rules: [{ from: [{ source: { principals: ['cluster.local/ns/bar/sa/sleep'] } }], to: [{ operation: { ports: ['8000'] } }], when: [{ key: 'request.headers[x-a]', values: ['b'] }] }],
        },
        { metadata: { name: 'bar', namespace: 'foo', annotations: { 'istio.io/dry-run': 'true' }, creationTimestamp: '2026-01-01T00:00:00Z' } },
      ),
    );
    expect(p).toMatchObject({ action: 'DENY', dryRun: true, selector: { app: 'httpbin' }, targetRefs: [] });
    expect(p.rules[0]!.from[0]!.principals).toEqual(['cluster.local/ns/bar/sa/sleep']);
    expect(p.rules[0]!.from[0]!.notPrincipals).toEqual([]);
    expect(p.rules[0]!.when[0]).toEqual({ key: 'request.headers[x-a]', attribute: { kind: 'request.headers', header: 'x-a' }, values: ['b'], notValues: [] });
    expect(p.metadata.creationTimestamp).toBe('2026-01-01T00:00:00Z');
  });

  test('absent action is ALLOW, absent rules are empty', () => {
    expect(parseAuthorizationPolicy(policy({}))).toMatchObject({ action: 'ALLOW', rules: [] });
    expect(parseAuthorizationPolicy(policy(undefined))).toMatchObject({ action: 'ALLOW', rules: [] });
  });

  test('names object and field for a bad CIDR', () => {
    expect(errorsOf(policy({ rules: [{ from: [{ source: { ipBlocks: ['10.0.0.0/8', '10.0.0.0/33'] } }] }] }))).toEqual([
      'AuthorizationPolicy foo/bar: spec.rules[0].from[0].source.ipBlocks[1]: "10.0.0.0/33" is not an IP address or CIDR',
    ]);
  });

  test('rejects CUSTOM and provider', () => {
    expect(errorsOf(policy({ action: 'CUSTOM', provider: { name: 'ext' }, rules: [{}] }))).toEqual([
      'AuthorizationPolicy foo/bar: spec.action: CUSTOM (external authorization) is not supported by Trellis',
    ]);
    expect(errorsOf(policy({ provider: { name: 'ext' }, rules: [{}] }))).toEqual([
      'AuthorizationPolicy foo/bar: spec.provider: is only valid with action CUSTOM, which Trellis does not support',
    ]);
  });

  test('rejects unknown fields at every level', () => {
    const errors = errorsOf({
      ...policy({ rule: [], rules: [{ form: [], to: [{ operation: { method: ['GET'] } }] }] }),
      extra: 1,
    });
    expect(errors).toEqual(
      expect.arrayContaining([
        expect.stringContaining('(root).extra: unknown field'),
        expect.stringContaining('spec.rule: unknown field'),
        expect.stringContaining('spec.rules[0].form: unknown field'),
        expect.stringContaining('spec.rules[0].to[0].operation.method: unknown field'),
      ]),
    );
  });

  test('rejects principals written as SPIFFE URIs, and bad namespaces', () => {
    expect(errorsOf(policy({ rules: [{ from: [{ source: { principals: ['spiffe://cluster.local/ns/a/sa/b'], namespaces: ['Bad_NS'] } }] }] }))).toEqual([
      'AuthorizationPolicy foo/bar: spec.rules[0].from[0].source.principals[0]: "spiffe://cluster.local/ns/a/sa/b" must not include the "spiffe://" prefix (write "cluster.local/ns/a/sa/b")',
      'AuthorizationPolicy foo/bar: spec.rules[0].from[0].source.namespaces[0]: "Bad_NS" is not a namespace name or pattern',
    ]);
  });

  test('qualifies bare service accounts with the policy namespace; rejects malformed ones', () => {
    const p = parseAuthorizationPolicy(policy({ rules: [{ from: [{ source: { serviceAccounts: ['sleep', 'bar/curl'] } }] }] }));
    expect(p.rules[0]!.from[0]!.serviceAccounts).toEqual(['foo/sleep', 'bar/curl']);
    expect(errorsOf(policy({ rules: [{ from: [{ source: { notServiceAccounts: ['a/b/c', 'bar/*'] } }] }] }))).toEqual([
      'AuthorizationPolicy foo/bar: spec.rules[0].from[0].source.notServiceAccounts[0]: "a/b/c" is not a service account ("<name>" or "<namespace>/<name>", no wildcards)',
      'AuthorizationPolicy foo/bar: spec.rules[0].from[0].source.notServiceAccounts[1]: "bar/*" is not a service account ("<name>" or "<namespace>/<name>", no wildcards)',
    ]);
  });

  test('rejects when keys outside Istio\'s list', () => {
    const errors = errorsOf(policy({ rules: [{ when: [{ key: 'request.method', values: ['GET'] }, { key: 'request.headers[]', values: ['x'] }] }] }));
    expect(errors).toHaveLength(2);
    expect(errors[0]).toContain('spec.rules[0].when[0].key: "request.method" is not a supported key');
  });

  test.each([
    'request.headers[x-token]', 'source.ip', 'remote.ip', 'source.namespace', 'source.principal', 'request.auth.principal',
    'request.auth.audiences', 'request.auth.presenter', 'request.auth.claims[iss]', 'request.auth.claims[a][b]', 'destination.ip',
    'destination.port', 'connection.sni', 'experimental.envoy.filters.network.mysql_proxy[db.table]',
  ])('accepts when key %s', (key) => {
    const value = key.endsWith('.ip') ? '10.0.0.1' : key === 'destination.port' ? '80' : 'v';
    expect(errorsOf(policy({ rules: [{ when: [{ key, values: [value] }] }] }))).toEqual([]);
  });

  test('rejects bad ports, empty values, wildcards in the middle and path templates', () => {
    const errors = errorsOf(
      policy({
        rules: [
          {
            to: [{ operation: { ports: ['80', '65536', 'http'], hosts: ['a*b'], paths: ['/api/{*}', ''] } }],
            when: [{ key: 'destination.port', values: ['-1'] }, { key: 'source.ip' }],
          },
        ],
      }),
    );
    expect(errors).toEqual([
      'AuthorizationPolicy foo/bar: spec.rules[0].to[0].operation.hosts[0]: "a*b": "*" is only supported alone, as a prefix or as a suffix',
      'AuthorizationPolicy foo/bar: spec.rules[0].to[0].operation.paths[0]: "/api/{*}": path templates ({*}, {**}) are not supported',
      'AuthorizationPolicy foo/bar: spec.rules[0].to[0].operation.paths[1]: must not be empty',
      'AuthorizationPolicy foo/bar: spec.rules[0].to[0].operation.ports[1]: "65536" is not a port (0-65535)',
      'AuthorizationPolicy foo/bar: spec.rules[0].to[0].operation.ports[2]: "http" is not a port (0-65535)',
      'AuthorizationPolicy foo/bar: spec.rules[0].when[0].values[0]: "-1" is not a port (0-65535)',
      'AuthorizationPolicy foo/bar: spec.rules[0].when[1]: must set values or notValues',
    ]);
  });

  test('rejects empty from/to lists and entries without a source/operation', () => {
    expect(errorsOf(policy({ rules: [{ from: [], to: [{}] }, { from: [{ source: {} }] }] }))).toEqual([
      'AuthorizationPolicy foo/bar: spec.rules[0].from: must not be empty (omit it to match any)',
      'AuthorizationPolicy foo/bar: spec.rules[0].to[0].operation: is required',
      'AuthorizationPolicy foo/bar: spec.rules[1].from[0].source: must set at least one field',
    ]);
  });

  test('rejects selector with targetRef, bad dry-run annotation, bad envelope', () => {
    expect(errorsOf(policy({ selector: { matchLabels: { a: 'b' } }, targetRef: { kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'g' } }))).toEqual([
      'AuthorizationPolicy foo/bar: spec: selector and targetRef(s) are mutually exclusive',
    ]);
    expect(errorsOf(policy({}, { metadata: { name: 'bar', namespace: 'foo', annotations: { 'istio.io/dry-run': 'yes' } } }))).toEqual([
      'AuthorizationPolicy foo/bar: metadata.annotations["istio.io/dry-run"]: "yes" is not a boolean',
    ]);
    expect(errorsOf({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } })).toEqual([
      'AuthorizationPolicy ?/x: apiVersion: "v1" is not one of security.trellis.dev/v1, security.istio.io/v1, security.istio.io/v1beta1',
      'AuthorizationPolicy ?/x: kind: "ConfigMap" is not AuthorizationPolicy',
      'AuthorizationPolicy ?/x: metadata.namespace: undefined is not a valid namespace (it is required)',
    ]);
    expect(errorsOf('nope')).toEqual(['AuthorizationPolicy ?/?: (root): must be an object, got "nope"']);
    expect(errorsOf(policy({ action: 'REJECT', rules: 'all' }))).toEqual([
      'AuthorizationPolicy foo/bar: spec.action: "REJECT" is not one of ALLOW, DENY, AUDIT',
      'AuthorizationPolicy foo/bar: spec.rules: must be a list, got "all"',
    ]);
  });

  test('parse throws one error listing every problem', () => {
    const bad = policy({ action: 'CUSTOM', rules: [{ from: [{ source: { ipBlocks: ['x'] } }] }] });
    expect(() => parseAuthorizationPolicy(bad)).toThrow(ObjectValidationError);
    try {
      parseAuthorizationPolicy(bad);
    } catch (err) {
      expect((err as ObjectValidationError).errors).toHaveLength(2);
    }
  });

  test('warns about HTTP-only fields, with the TCP consequence per action', () => {
    expect(warningsOf(policy({ rules: [{ to: [{ operation: { methods: ['GET'] } }] }] }))).toEqual([
      'AuthorizationPolicy foo/bar: spec.rules[0].to[0].operation.methods: only applies to HTTP; on TCP traffic the whole rule is ignored',
    ]);
    expect(warningsOf(policy({ action: 'DENY', rules: [{ when: [{ key: 'request.auth.claims[iss]', notValues: ['x'] }] }] }))).toEqual([
      'AuthorizationPolicy foo/bar: spec.rules[0].when[0].notValues: only applies to HTTP; on TCP traffic this field is ignored and the rest of the rule still applies',
    ]);
  });

  test('warns about rules that can never match', () => {
    expect(warningsOf(policy({ rules: [{ from: [{ source: { principals: ['a/ns/b/sa/c'], notPrincipals: ['*'] } }], to: [{ operation: { methods: ['get'], paths: ['api', '/x?y=1'] } }] }] }))).toEqual([
      'AuthorizationPolicy foo/bar: spec.rules[0].from[0].source.notPrincipals: excludes "a/ns/b/sa/c", which spec.rules[0].from[0].source.principals requires: this can never match',
      'AuthorizationPolicy foo/bar: spec.rules[0].to[0].operation.methods: only applies to HTTP; on TCP traffic the whole rule is ignored',
      'AuthorizationPolicy foo/bar: spec.rules[0].to[0].operation.methods[0]: "get": methods are matched case-sensitively and requests use upper case',
      'AuthorizationPolicy foo/bar: spec.rules[0].to[0].operation.paths: only applies to HTTP; on TCP traffic the whole rule is ignored',
      'AuthorizationPolicy foo/bar: spec.rules[0].to[0].operation.paths[0]: "api" does not start with "/", so no request path matches it',
      'AuthorizationPolicy foo/bar: spec.rules[0].to[0].operation.paths[1]: "/x?y=1": paths are matched without the query string',
    ]);
    expect(warningsOf(policy({}))).toEqual([
      'AuthorizationPolicy foo/bar: spec.rules: no rules: this ALLOW policy allows nothing, so the selected workloads deny every request',
    ]);
    expect(warningsOf(policy({ action: 'DENY' }))).toEqual(['AuthorizationPolicy foo/bar: spec.rules: no rules: this policy never matches']);
  });

  test('warns that non-Gateway targetRefs are ignored by sidecars', () => {
    expect(warningsOf(policy({ targetRefs: [{ kind: 'Service', group: '', name: 'httpbin' }], rules: [{}] }))).toEqual([
      'AuthorizationPolicy foo/bar: spec.targetRefs[0]: core/Service targets waypoint or gateway proxies; Trellis sidecars ignore this policy',
    ]);
  });
});
