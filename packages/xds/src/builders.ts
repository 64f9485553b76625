import type { ResourceInput } from './cache/snapshot';

/**
 * Builders for the common Envoy resources, in the proto-field-name form that
 * `Snapshot.create` encodes. They cover the shapes the mesh pushes over ADS;
 * anything richer can still be written out as a plain object.
 */

const HCM = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const ROUTER = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';
const ADS_SOURCE = { ads: {}, resource_api_version: 'V3' };

/** A listener in the api_listener form that proxyless gRPC clients resolve `xds:///name` with. */
export function apiListener(name: string, routeConfigName: string): ResourceInput {
  return {
    name,
    message: {
      name,
      api_listener: {
        api_listener: {
          '@type': HCM,
          rds: { route_config_name: routeConfigName, config_source: ADS_SOURCE },
          http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER } }],
        },
      },
    },
  };
}

/** One virtual host for `domain`, all paths to one cluster or split by weight. */
export function weightedRoute(name: string, domain: string, weights: Record<string, number>): ResourceInput {
  const entries = Object.entries(weights);
  const action = entries.length === 1
    ? { cluster: entries[0]![0] }
    : { weighted_clusters: { clusters: entries.map(([cluster, weight]) => ({ name: cluster, weight: { value: weight } })) } };
  return {
    name,
    message: { name, virtual_hosts: [{ name: domain, domains: [domain], routes: [{ match: { prefix: '' }, route: action }] }] },
  };
}

export function edsCluster(name: string, extra: object = {}): ResourceInput {
  return {
    name,
    message: { name, type: 'EDS', eds_cluster_config: { eds_config: ADS_SOURCE, service_name: name }, lb_policy: 'ROUND_ROBIN', ...extra },
  };
}

export interface EndpointAddress {
  host: string;
  port: number;
}

export function clusterLoadAssignment(clusterName: string, addresses: EndpointAddress[], locality = { region: 'local', zone: 'a' }): ResourceInput {
  return {
    name: clusterName,
    message: {
      cluster_name: clusterName,
      endpoints: [{
        locality,
        load_balancing_weight: { value: 1 },
        lb_endpoints: addresses.map(({ host, port }) => ({ endpoint: { address: { socket_address: { address: host, port_value: port } } }, health_status: 'HEALTHY' })),
      }],
    },
  };
}
