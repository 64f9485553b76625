/** The attributes of one connection/request a policy decision depends on. */
export interface RequestAttributes {
  /** The peer's SPIFFE ID from its mTLS certificate (`spiffe://cluster.local/ns/default/sa/sleep`); absent for plaintext. */
  principal?: string;
  /** Peer address of the connection (source.ip, ipBlocks). */
  sourceIp: string;
  /** Original client address, e.g. from X-Forwarded-For (remote.ip, remoteIpBlocks); defaults to sourceIp. */
  remoteIp?: string;
  destinationIp: string;
  destinationPort: number;
  /** TLS SNI (connection.sni). */
  sni?: string;
  /** Absent for TCP traffic. */
  http?: HttpAttributes;
  /** Dynamic metadata written by other filters, for `experimental.envoy.filters.*` conditions. */
  filterMetadata?: Record<string, Record<string, unknown>>;
}

export interface HttpAttributes {
  method: string;
  /** Request path, may include a query string (ignored for matching). */
  path: string;
  /** Host / :authority. */
  host: string;
  /** Other headers; a repeated header is a list (Envoy joins it with ','). */
  headers?: Record<string, string | string[]>;
  /** The validated JWT (RequestAuthentication), if any. */
  auth?: RequestAuth;
}

export interface RequestAuth {
  /** `<iss>/<sub>` */
  principal?: string;
  audiences?: string;
  presenter?: string;
  /** Claims; values are strings or lists of strings, objects for nested claims. */
  claims?: Record<string, unknown>;
}
