// A single plaintext HTTP listener routing everything to STATIC endpoints: the smallest
// config that exercises the HTTP data path without TLS in the way.
export interface PlainOptions {
  endpoints: number[];
  route?: Record<string, unknown>;
  cluster?: Record<string, unknown>;
  hcm?: Record<string, unknown>;
  listener?: Record<string, unknown>;
  httpFilters?: unknown[];
}

export function plainSnapshot(o: PlainOptions): Record<string, unknown> {
  return {
    listeners: [{
      name: 'http',
      address: '127.0.0.1',
      port: 0,
      ...o.listener,
      filterChains: [{
        name: 'http',
        network: {
          kind: 'http',
          httpFilters: [...(o.httpFilters ?? []), { name: 'envoy.filters.http.router' }],
          routeConfig: {
            name: 'local',
            virtualHosts: [{ name: 'all', domains: ['*'], routes: [{ name: 'default', match: { prefix: '/' }, route: { cluster: 'app', timeoutMs: 5000, ...o.route } }] }],
          },
          ...o.hcm,
        },
      }],
    }],
    clusters: [{
      name: 'app',
      type: 'STATIC',
      connectTimeoutMs: 500,
      loadAssignment: { clusterName: 'app', endpoints: o.endpoints.map((port) => ({ address: '127.0.0.1', port })) },
      ...o.cluster,
    }],
  };
}
