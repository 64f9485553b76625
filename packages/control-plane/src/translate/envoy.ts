/** Type URLs of the Envoy extensions the translation emits. */
export const EnvoyType = {
  HttpConnectionManager: 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
  TcpProxy: 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy',
  Router: 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router',
  HttpRbac: 'type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC',
  NetworkRbac: 'type.googleapis.com/envoy.extensions.filters.network.rbac.v3.RBAC',
  DownstreamTlsContext: 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext',
  UpstreamTlsContext: 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
  HttpProtocolOptions: 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
  Waf: 'type.googleapis.com/trellis.waf.v1.Waf',
  OpenApi: 'type.googleapis.com/trellis.openapi.v1.OpenApi',
} as const;

export const ADS = { ads: {}, resource_api_version: 'V3' };

export function sdsSecret(name: string): object {
  return { name, sds_config: ADS };
}

export function socketAddress(address: string, port: number): object {
  return { socket_address: { address, port_value: port } };
}

export function duration(ms: number): object {
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 };
}
