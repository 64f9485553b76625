import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CertificateRotator } from '@trellis/identity';
import { workloadCertificateRotator, type WorkloadCertificateOptions } from '../workload-certificates';
import { AdsRelay } from './ads-relay';
import { certificatePaths, writeAtomically, writeCertificateFiles } from './certificate-files';
import { grpcBootstrap } from './grpc-bootstrap';

export interface GrpcAgentOptions extends WorkloadCertificateOptions {
  /** `<workload>.<namespace>`, as the control plane names its nodes. */
  nodeId: string;
  /** The control plane's xDS endpoint (mTLS). */
  xdsAddress: string;
  /** Where the certificate files and `grpc-bootstrap.json` go (created if missing). */
  dir: string;
  /** Loopback host and port of the ADS relay (default 127.0.0.1, any free port). */
  relayHost?: string;
  relayPort?: number;
  /** How often gRPC re-reads the certificate files (default `5s`). */
  refreshInterval?: string;
  log?: (event: string, fields?: Record<string, unknown>) => void;
}

/**
 * The pod-side helper of a proxyless gRPC workload (Istio's pilot-agent in its gRPC
 * mode): it holds the workload's SVID (key made here, renewed by CSR), keeps it in files
 * for gRPC's `file_watcher` certificate provider, relays the app's ADS stream to the
 * control plane over mTLS, and writes the bootstrap that points the app at both. Start the
 * app with `GRPC_XDS_BOOTSTRAP=<dir>/grpc-bootstrap.json`.
 */
export class GrpcAgent {
  private readonly rotator: CertificateRotator;
  private readonly relay: AdsRelay;
  private readonly log: NonNullable<GrpcAgentOptions['log']>;
  readonly certificates: ReturnType<typeof certificatePaths>;
  readonly bootstrapFile: string;
  relayAddress = '';

  constructor(private readonly options: GrpcAgentOptions) {
    this.log = options.log ?? (() => undefined);
    this.certificates = certificatePaths(options.dir);
    this.bootstrapFile = path.join(options.dir, 'grpc-bootstrap.json');
    this.rotator = workloadCertificateRotator(options);
    this.relay = new AdsRelay({
      ...(options.relayHost === undefined ? {} : { host: options.relayHost }), ...(options.relayPort === undefined ? {} : { port: options.relayPort }),
      xdsAddress: options.xdsAddress, controlPlaneId: options.controlPlaneId, credentials: () => this.rotator.current()!, log: this.log,
    });
  }

  async start(): Promise<void> {
    fs.mkdirSync(this.options.dir, { recursive: true, mode: 0o700 });
    this.rotator.on('update', (c) => {
      writeCertificateFiles(this.certificates, c);
      this.log('certificate', { spiffeId: c.spiffeId, notAfter: c.notAfter.toISOString() });
    });
    await this.rotator.start();
    this.relayAddress = await this.relay.listen();
    const bootstrap = grpcBootstrap({
      relayAddress: this.relayAddress,
      nodeId: this.options.nodeId,
      namespace: this.options.identity.namespace,
      certificates: this.certificates,
      refreshInterval: this.options.refreshInterval ?? '5s',
    });
    writeAtomically(this.bootstrapFile, JSON.stringify(bootstrap, null, 2) + '\n', 0o644);
    this.log('ready', { node: this.options.nodeId, relay: this.relayAddress, bootstrap: this.bootstrapFile });
  }

  stop(): void {
    this.relay.close();
    this.rotator.stop();
  }
}
