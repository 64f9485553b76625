import { formatDiagnostic, validateSecurityResources } from '@trellis/policy';

test('validates a batch by kind, keeping the valid objects', () => {
  const meta = (name: string) => ({ name, namespace: 'foo' });
  const result = validateSecurityResources([
    { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: meta('ok'), spec: { rules: [{}] } },
    { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: meta('bad'), spec: { action: 'CUSTOM' } },
    { apiVersion: 'security.istio.io/v1beta1', kind: 'PeerAuthentication', metadata: meta('default'), spec: { mtls: { mode: 'STRICT' } } },
    { apiVersion: 'v1', kind: 'ConfigMap' },
  ]);
  expect(result.authorizationPolicies.map((p) => p.metadata.name)).toEqual(['ok']);
  expect(result.peerAuthentications.map((p) => p.mtlsMode)).toEqual(['STRICT']);
  expect(result.errors.map(formatDiagnostic)).toEqual([
    'AuthorizationPolicy foo/bad: spec.action: CUSTOM (external authorization) is not supported by Trellis',
    'document 3: kind: "ConfigMap" is not AuthorizationPolicy or PeerAuthentication',
  ]);
});
