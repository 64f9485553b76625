import { effectiveMtlsMode, formatDiagnostic, parsePeerAuthentication, validatePeerAuthentication, type PeerAuthentication } from '@trellis/policy';

const WORKLOAD = { namespace: 'foo', labels: { app: 'httpbin' } };

function pa(namespace: string, name: string, spec: object, creationTimestamp?: string): PeerAuthentication {
  return parsePeerAuthentication({
    apiVersion: 'security.istio.io/v1',
    kind: 'PeerAuthentication',
    metadata: creationTimestamp ? { name, namespace, creationTimestamp } : { name, namespace },
    spec,
  });
}

const mesh = (mode: string, name = 'default', at?: string) => pa('trellis-system', name, { mtls: { mode } }, at);
const ns = (mode: string, name = 'default', at?: string) => pa('foo', name, { mtls: { mode } }, at);
const wl = (spec: object, name = 'httpbin', at?: string) => pa('foo', name, { selector: { matchLabels: { app: 'httpbin' } }, ...spec }, at);

describe('effectiveMtlsMode precedence', () => {
  test.each<[string, PeerAuthentication[], number, string]>([
    ['nothing configured: Trellis default STRICT', [], 8000, 'STRICT'],
    ['mesh-wide PERMISSIVE', [mesh('PERMISSIVE')], 8000, 'PERMISSIVE'],
    ['namespace overrides mesh', [mesh('PERMISSIVE'), ns('STRICT')], 8000, 'STRICT'],
    ['workload overrides namespace', [mesh('STRICT'), ns('STRICT'), wl({ mtls: { mode: 'DISABLE' } })], 8000, 'DISABLE'],
    ['UNSET workload inherits namespace', [mesh('STRICT'), ns('PERMISSIVE'), wl({ mtls: { mode: 'UNSET' } })], 8000, 'PERMISSIVE'],
    ['absent mtls inherits', [ns('DISABLE'), wl({})], 8000, 'DISABLE'],
    ['UNSET namespace inherits mesh', [mesh('DISABLE'), ns('UNSET')], 8000, 'DISABLE'],
    ['UNSET everywhere: default', [mesh('UNSET'), ns('UNSET')], 8000, 'STRICT'],
    ['portLevelMtls overrides for its port', [ns('STRICT'), wl({ portLevelMtls: { 8000: { mode: 'PERMISSIVE' } } })], 8000, 'PERMISSIVE'],
    ['portLevelMtls leaves other ports', [ns('PERMISSIVE'), wl({ mtls: { mode: 'STRICT' }, portLevelMtls: { 8000: { mode: 'DISABLE' } } })], 9000, 'STRICT'],
    ['portLevelMtls UNSET inherits the workload mode', [ns('PERMISSIVE'), wl({ mtls: { mode: 'STRICT' }, portLevelMtls: { 8000: { mode: 'UNSET' } } })], 8000, 'STRICT'],
    ['oldest namespace policy wins', [ns('DISABLE', 'b', '2026-01-02T00:00:00Z'), ns('PERMISSIVE', 'a', '2026-01-03T00:00:00Z')], 8000, 'DISABLE'],
    ['same age: name breaks the tie', [ns('DISABLE', 'b', '2026-01-02T00:00:00Z'), ns('PERMISSIVE', 'a', '2026-01-02T00:00:00Z')], 8000, 'PERMISSIVE'],
    ['oldest workload policy wins', [wl({ mtls: { mode: 'DISABLE' } }, 'new', '2026-02-01T00:00:00Z'), wl({ mtls: { mode: 'PERMISSIVE' } }, 'old', '2026-01-01T00:00:00Z')], 8000, 'PERMISSIVE'],
    ['oldest mesh policy wins', [mesh('PERMISSIVE', 'x', '2026-01-01T00:00:00Z'), mesh('DISABLE', 'a', '2026-03-01T00:00:00Z')], 8000, 'PERMISSIVE'],
    ['other namespaces do not apply', [pa('bar', 'default', { mtls: { mode: 'DISABLE' } })], 8000, 'STRICT'],
    ['non-matching selector does not apply', [pa('foo', 'x', { selector: { matchLabels: { app: 'reviews' } }, mtls: { mode: 'DISABLE' } })], 8000, 'STRICT'],
    ['root-namespace policy with a selector is not mesh-wide', [pa('trellis-system', 'x', { selector: { matchLabels: { app: 'httpbin' } }, mtls: { mode: 'DISABLE' } })], 8000, 'STRICT'],
  ])('%s', (_name, peerAuths, port, expected) => {
    expect(effectiveMtlsMode(peerAuths, WORKLOAD, port)).toBe(expected);
  });

  test('mesh default is configurable (Istio: PERMISSIVE)', () => {
    expect(effectiveMtlsMode([], WORKLOAD, 80, { meshDefault: 'PERMISSIVE' })).toBe('PERMISSIVE');
  });

  test('root namespace is configurable', () => {
    const istioMesh = pa('istio-system', 'default', { mtls: { mode: 'DISABLE' } });
    expect(effectiveMtlsMode([istioMesh], WORKLOAD, 80, { rootNamespace: 'istio-system' })).toBe('DISABLE');
    expect(effectiveMtlsMode([istioMesh], WORKLOAD, 80)).toBe('STRICT');
  });

  test('a workload in the root namespace takes the mesh policy; selector policies there are ignored', () => {
    const rootWorkload = { namespace: 'trellis-system', labels: { app: 'httpbin' } };
    const rootSelector = pa('trellis-system', 'x', { selector: { matchLabels: { app: 'httpbin' } }, mtls: { mode: 'DISABLE' } });
    expect(effectiveMtlsMode([mesh('PERMISSIVE'), rootSelector], rootWorkload, 80)).toBe('PERMISSIVE');
  });
});

describe('PeerAuthentication validation', () => {
  const errors = (spec: unknown) =>
    validatePeerAuthentication({ apiVersion: 'security.trellis.dev/v1', kind: 'PeerAuthentication', metadata: { name: 'p', namespace: 'foo' }, spec }).errors.map(formatDiagnostic);

  test('valid', () => {
    expect(errors({ selector: { matchLabels: { a: 'b' } }, mtls: { mode: 'STRICT' }, portLevelMtls: { '8080': { mode: 'DISABLE' } } })).toEqual([]);
  });

  test('portLevelMtls requires a selector', () => {
    expect(errors({ portLevelMtls: { 8080: { mode: 'DISABLE' } } })).toEqual([
      'PeerAuthentication foo/p: spec.portLevelMtls: requires spec.selector (port-level mTLS only applies to selected workloads)',
    ]);
  });

  test('bad modes, ports and fields', () => {
    expect(errors({ selector: { matchLabels: { a: 'b' } }, mtls: { mode: 'strict' }, portLevelMtls: { 0: { mode: 'STRICT' }, http: {} }, mode: 'x' })).toEqual([
      'PeerAuthentication foo/p: spec.mode: unknown field (expected one of selector, mtls, portLevelMtls)',
      'PeerAuthentication foo/p: spec.mtls.mode: "strict" is not one of UNSET, DISABLE, PERMISSIVE, STRICT',
      'PeerAuthentication foo/p: spec.portLevelMtls["0"]: "0" is not a port (1-65535)',
      'PeerAuthentication foo/p: spec.portLevelMtls["http"]: "http" is not a port (1-65535)',
    ]);
  });
});
