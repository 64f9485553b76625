import type { CertificatePaths } from './certificate-files';

/** Istio's conventions, which the control plane's proxyless translation follows too. */
export const CERTIFICATE_PROVIDER = 'default';
export const SERVER_LISTENER_TEMPLATE = 'xds.istio.io/grpc/lds/inbound/%s';

export interface GrpcBootstrapOptions {
  /** The agent's loopback relay, host:port. */
  relayAddress: string;
  nodeId: string;
  namespace: string;
  certificates: CertificatePaths;
  /** How often gRPC re-reads the certificate files, e.g. `5s`. */
  refreshInterval: string;
}

/**
 * The bootstrap @grpc/grpc-js-xds reads (GRPC_XDS_BOOTSTRAP): the relay as its xDS server
 * (plaintext, loopback only — the relay adds the mTLS), `GENERATOR: grpc` so the control
 * plane sends the proxyless form, the certificate files as the `file_watcher` provider, and
 * the name template its xDS servers ask their Listener by.
 */
export function grpcBootstrap(options: GrpcBootstrapOptions): object {
  const { certificateFile, privateKeyFile, caCertificateFile } = options.certificates;
  return {
    xds_servers: [{ server_uri: options.relayAddress, channel_creds: [{ type: 'insecure' }], server_features: ['xds_v3'] }],
    // grpc-js-xds requires a locality; a local workload has none to report.
    node: { id: options.nodeId, locality: {}, metadata: { GENERATOR: 'grpc', NAMESPACE: options.namespace } },
    certificate_providers: {
      [CERTIFICATE_PROVIDER]: {
        plugin_name: 'file_watcher',
        config: { certificate_file: certificateFile, private_key_file: privateKeyFile, ca_certificate_file: caCertificateFile, refresh_interval: options.refreshInterval },
      },
    },
    server_listener_resource_name_template: SERVER_LISTENER_TEMPLATE,
  };
}
