// Builders for the two proxies of a mesh pair: proxy A's outbound side (app A calls it in
// plaintext, it originates mTLS to B) and proxy B's inbound side (terminates mTLS,
// checks A's SPIFFE ID, forwards to app B on localhost).
import { Ca, Svid } from './pki';

export const ID_A = 'spiffe://cluster.local/ns/default/sa/a';
export const ID_B = 'spiffe://cluster.local/ns/default/sa/b';
export const SERVICE_B = 'b.default.svc.cluster.local';

export function secrets(svid: Svid, ca: Ca | string): unknown[] {
  return [
    { name: 'default', tlsCertificate: { certChainPem: svid.certPem, privateKeyPem: svid.keyPem } },
    { name: 'ROOTCA', validationContext: { trustedCaPem: typeof ca === 'string' ? ca : ca.certPem } },
  ];
}

export interface InboundOptions {
  svid: Svid;
  ca: Ca;
  appPort: number;
  /** Allowed client identities (empty = any identity the CA vouches for). */
  allowed?: string[];
  permissive?: boolean;
  tcp?: boolean;
  httpFilters?: unknown[];
  port?: number;
}

export function inboundSnapshot(o: InboundOptions): Record<string, unknown> {
  const network = o.tcp
    ? { kind: 'tcp', cluster: 'inbound|app' }
    : {
        kind: 'http',
        statPrefix: 'inbound',
        httpFilters: [...(o.httpFilters ?? []), { name: 'envoy.filters.http.router' }],
        routeConfig: { name: 'inbound', virtualHosts: [{ name: 'app', domains: ['*'], routes: [{ name: 'app', match: { prefix: '/' }, route: { cluster: 'inbound|app', timeoutMs: 10_000 } }] }] },
      };
  const chains: unknown[] = [
    {
      name: 'mtls',
      match: { transportProtocol: 'tls' },
      tls: { certificateSecret: 'default', validationSecret: 'ROOTCA', requireClientCert: true, matchSubjectAltNames: o.allowed ?? [] },
      network,
    },
  ];
  if (o.permissive) chains.push({ name: 'plaintext', match: { transportProtocol: 'raw_buffer' }, network });
  return {
    listeners: [{ name: 'inbound', address: '127.0.0.1', port: o.port ?? 0, filterChains: chains }],
    clusters: [{ name: 'inbound|app', type: 'STATIC', connectTimeoutMs: 1000, loadAssignment: { clusterName: 'inbound|app', endpoints: [{ address: '127.0.0.1', port: o.appPort }] } }],
    secrets: secrets(o.svid, o.ca),
  };
}

export interface OutboundOptions {
  svid: Svid;
  ca: Ca;
  /** Proxy B inbound ports (one endpoint each). */
  upstreamPorts: number[];
  expectedIds?: string[];
  tcp?: boolean;
  lbPolicy?: string;
  retryPolicy?: unknown;
  outlierDetection?: unknown;
  circuitBreakers?: unknown;
  timeoutMs?: number;
  port?: number;
}

export function outboundSnapshot(o: OutboundOptions): Record<string, unknown> {
  const network = o.tcp
    ? { kind: 'tcp', cluster: 'outbound|b' }
    : { kind: 'http', statPrefix: 'outbound', routeConfigName: 'outbound', httpFilters: [{ name: 'envoy.filters.http.router' }] };
  return {
    listeners: [{ name: 'outbound', address: '127.0.0.1', port: o.port ?? 0, filterChains: [{ name: 'outbound', network }] }],
    routes: [
      {
        name: 'outbound',
        virtualHosts: [
          {
            name: 'b',
            domains: [SERVICE_B, 'b'],
            routes: [{ name: 'b-default', match: { prefix: '/' }, route: { cluster: 'outbound|b', timeoutMs: o.timeoutMs ?? 10_000, retryPolicy: o.retryPolicy } }],
          },
        ],
      },
    ],
    clusters: [
      {
        name: 'outbound|b',
        type: 'EDS',
        lbPolicy: o.lbPolicy ?? 'ROUND_ROBIN',
        connectTimeoutMs: 1000,
        outlierDetection: o.outlierDetection,
        circuitBreakers: o.circuitBreakers,
        tls: { certificateSecret: 'default', validationSecret: 'ROOTCA', matchSubjectAltNames: o.expectedIds ?? [ID_B] },
      },
    ],
    endpoints: [{ clusterName: 'outbound|b', endpoints: o.upstreamPorts.map((port) => ({ address: '127.0.0.1', port })) }],
    secrets: secrets(o.svid, o.ca),
  };
}
