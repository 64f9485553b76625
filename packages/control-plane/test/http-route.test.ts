import { decodeHttpRoute } from '../src';

const route = (spec: object) => ({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: 'r', namespace: 'shop' }, spec });

test('a GAMMA route decodes: Service parents, matches, weighted backends, timeouts', () => {
  const { value, errors } = decodeHttpRoute(route({
    parentRefs: [{ group: '', kind: 'Service', name: 'reviews', port: 9080 }],
    rules: [
      { matches: [{ path: { type: 'Exact', value: '/health' }, method: 'GET', headers: [{ name: 'X-Canary', value: 'yes' }] }], backendRefs: [{ name: 'reviews-v2', port: 9080 }], timeouts: { request: '1m30s' } },
      { backendRefs: [{ name: 'reviews-v1', port: 9080, weight: 90 }, { name: 'reviews-v2', port: 9080, weight: 10 }] },
    ],
  }));
  expect(errors).toEqual([]);
  expect(value!.parents).toEqual([{ namespace: 'shop', service: 'reviews', port: 9080 }]);
  expect(value!.rules[0]).toEqual({ matches: [{ pathType: 'Exact', path: '/health', method: 'GET', headers: [{ name: 'x-canary', value: 'yes', regex: false }] }], backends: [{ namespace: 'shop', service: 'reviews-v2', port: 9080, weight: 1 }], timeoutMs: 90_000 });
  expect(value!.rules[1]!.matches).toEqual([{ pathType: 'PathPrefix', path: '/', headers: [] }]);
});

test('gateway parents, unsupported features and bad values are named', () => {
  const { errors } = decodeHttpRoute(route({
    parentRefs: [{ name: 'my-gateway' }],
    rules: [{ matches: [{ path: { type: 'Glob', value: 'x' }, method: 'FETCH', queryParams: [] }], filters: [{}], backendRefs: [{ name: 'b' }], timeouts: { request: 'soon' } }],
  }));
  expect(errors.map((e) => `${e.field}: ${e.message}`)).toEqual([
    'spec.parentRefs[0]: only Service parents (group "", kind Service) are supported: this is a mesh, not a gateway',
    'spec.parentRefs: needs at least one Service',
    'spec.rules[0].filters: route filters are not supported yet',
    'spec.rules[0].matches[0].queryParams: query parameter matches are not supported yet',
    'spec.rules[0].matches[0].path.type: "Glob" is not PathPrefix, Exact or RegularExpression',
    'spec.rules[0].matches[0].path.value: "x" must start with /',
    'spec.rules[0].matches[0].method: "FETCH" is not one of GET, HEAD, POST, PUT, DELETE, CONNECT, OPTIONS, TRACE, PATCH',
    'spec.rules[0].backendRefs[0].port: is required for Service backends',
    'spec.rules[0].timeouts.request: "soon" is not a duration like 10s or 500ms',
  ]);
});
