/** Type URLs of the Envoy v3 resources carried over ADS. */
export const TypeUrl = {
  Listener: 'type.googleapis.com/envoy.config.listener.v3.Listener',
  RouteConfiguration: 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
  Cluster: 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
  ClusterLoadAssignment: 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
  Secret: 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret',
} as const;

export type ResourceTypeUrl = (typeof TypeUrl)[keyof typeof TypeUrl];

/**
 * Make-before-break push order: secrets and clusters (with their endpoints) exist
 * before the listeners and routes that point at them. Removals go in reverse.
 */
export const PUSH_ORDER: readonly ResourceTypeUrl[] = [
  TypeUrl.Secret,
  TypeUrl.Cluster,
  TypeUrl.ClusterLoadAssignment,
  TypeUrl.Listener,
  TypeUrl.RouteConfiguration,
];

/**
 * In SotW, a response for these types is the complete set: a resource missing
 * from it is deleted. For the others, a response carries only what was asked for
 * and absence means nothing (the client unsubscribes instead).
 */
export function isFullStateType(typeUrl: string): boolean {
  return typeUrl === TypeUrl.Listener || typeUrl === TypeUrl.Cluster;
}

export function shortTypeName(typeUrl: string): string {
  switch (typeUrl) {
    case TypeUrl.Listener: return 'LDS';
    case TypeUrl.RouteConfiguration: return 'RDS';
    case TypeUrl.Cluster: return 'CDS';
    case TypeUrl.ClusterLoadAssignment: return 'EDS';
    case TypeUrl.Secret: return 'SDS';
    default: return typeUrl.slice(typeUrl.lastIndexOf('.') + 1);
  }
}

export function pushRank(typeUrl: string): number {
  const rank = PUSH_ORDER.indexOf(typeUrl as ResourceTypeUrl);
  return rank === -1 ? PUSH_ORDER.length : rank;
}
