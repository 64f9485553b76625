import * as grpc from '@grpc/grpc-js';
import { STANDARD_HTTP_FILTERS, STANDARD_NETWORK_FILTERS } from '@trellis/http-filters';
import type { CertificateRotator, IssuedCredentials } from '@trellis/identity';
import { joinPem, spiffeServerIdentityCheck } from '@trellis/pki';
import { Proxy } from '@trellis/proxy';
import { PROXY_RESOURCE_TYPES, XdsProxyConfig } from '@trellis/proxy-xds';
import { AdsClient } from '@trellis/xds';
import type { Writable } from 'node:stream';
import { AppHealthServer, appHealthFromEnvironment, type AppHealthOptions } from './app-health';
import { workloadCertificateRotator, type WorkloadCertificateOptions } from './workload-certificates';

/** The SDS name under which listeners and clusters refer to this workload's own certificate. */
export const WORKLOAD_CERT_SECRET = 'default';

export interface SidecarOptions extends WorkloadCertificateOptions {
  /** `<workload>.<namespace>`, as the control plane names its proxies. */
  nodeId: string;
  xdsAddress: string;
  adminPort?: number;
  accessLog?: Writable | null;
  /** The app's rewritten kubelet probes to answer; default what the injector put in the environment, if anything. */
  appHealth?: AppHealthOptions;
  log?: (event: string, fields?: Record<string, unknown>) => void;
}

/**
 * One workload's proxy: asks the mesh CA for a certificate (its key is made here
 * and never leaves), follows the control plane over ADS with that certificate, and
 * runs the data path on what it is sent. Rotated certificates reach new
 * connections at once; xDS reconnects use them too.
 */
export class Sidecar {
  readonly proxy: Proxy;
  private readonly rotator: CertificateRotator;
  private ads: AdsClient | undefined;
  private appHealth: AppHealthServer | undefined;
  private readonly log: NonNullable<SidecarOptions['log']>;

  constructor(private readonly options: SidecarOptions) {
    this.log = options.log ?? (() => undefined);
    this.proxy = new Proxy({ ...(options.adminPort === undefined ? {} : { adminPort: options.adminPort }), accessLog: options.accessLog === undefined ? process.stdout : options.accessLog });
    for (const { typeUrl, factory } of STANDARD_HTTP_FILTERS) this.proxy.registerFilter(typeUrl, factory, typeUrl);
    for (const { typeUrl, factory } of STANDARD_NETWORK_FILTERS) this.proxy.registerNetworkFilter(typeUrl, factory, typeUrl);
    this.rotator = workloadCertificateRotator(options);
    this.rotator.on('update', (c) => this.log('certificate', { spiffeId: c.spiffeId, notAfter: c.notAfter.toISOString() }));
  }

  async start(): Promise<void> {
    await this.rotator.start();
    await this.proxy.start();
    const appHealth = this.options.appHealth ?? appHealthFromEnvironment();
    if (appHealth) {
      this.appHealth = new AppHealthServer(appHealth);
      this.log('app health', { address: await this.appHealth.start(), probes: Object.keys(appHealth.probers) });
    }
    const admin = this.proxy.adminPort;
    this.log('ready', { node: this.options.nodeId, ...(admin === undefined ? {} : { admin: `127.0.0.1:${admin}` }) });
    const ads = new AdsClient({
      target: this.options.xdsAddress,
      credentials: () => this.xdsCredentials(this.rotator.current()!),
      // The control plane is reached by IP; its identity is its SPIFFE ID, not a DNS name.
      channelOptions: { 'grpc.ssl_target_name_override': 'trellis-control-plane', 'grpc.default_authority': 'trellis-control-plane' },
      node: { id: this.options.nodeId, metadata: { namespace: this.options.identity.namespace } },
      types: PROXY_RESOURCE_TYPES,
      protocol: 'delta',
    });
    this.ads = ads;
    const config = new XdsProxyConfig({
      client: ads,
      apply: (snapshot) => this.proxy.applyConfig(snapshot),
      localSecrets: () => {
        const c = this.rotator.current()!;
        return [{ name: WORKLOAD_CERT_SECRET, tlsCertificate: { certChainPem: joinPem(c.chainPem), privateKeyPem: c.keyPem } }];
      },
    });
    config.on('applied', (summary) => this.log('config applied', summary));
    config.on('rejected', (error) => this.log('config rejected', { error: error.message }));
    ads.on('nack', (nack) => this.log('xds nack', nack));
    ads.on('disconnected', (why) => this.log('xds disconnected', why));
    this.rotator.on('update', () => config.refresh());
    config.start();
  }

  async stop(drainMs = 5000): Promise<void> {
    this.ads?.close();
    this.rotator.stop();
    await this.appHealth?.stop();
    await this.proxy.drain(drainMs);
  }

  private xdsCredentials(c: IssuedCredentials): grpc.ChannelCredentials {
    return grpc.credentials.createSsl(Buffer.from(joinPem(c.bundlePem)), Buffer.from(c.keyPem), Buffer.from(joinPem(c.chainPem)), {
      checkServerIdentity: spiffeServerIdentityCheck(c.bundlePem, { expectedIds: [this.options.controlPlaneId] }),
    });
  }
}
