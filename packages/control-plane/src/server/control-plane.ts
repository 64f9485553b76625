import * as grpc from '@grpc/grpc-js';
import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { CertificateRotator, addCertificateService, localCredentialSource, rotatingServerCredentials, type Authenticator } from '@trellis/identity';
import { CertificateAuthority, caDirectoryOf, initCaDir, joinPem, parseWorkloadId, saveCaToDir, type CaDirectory, type WorkloadIdentity } from '@trellis/pki';
import { AdsServer, SnapshotCache, type StreamAuthorizer } from '@trellis/xds';
import type { MeshModel } from '../model/mesh';
import { FileSource, formatFileDiagnostic, type ConfigSource, type FileDiagnostic } from '../sources/file-source';
import { nodeIdOf, spiffeId as spiffeIdOf } from '../translate/names';
import { isProxylessNode } from '../translate/proxyless';
import type { MeshSettings } from '../translate/sidecar';
import type { OutboundTrafficPolicy } from '../translate/capture';
import { mutualTlsServerCredentials } from './credentials';
import { Pusher, type PushReport } from './pusher';
import { formatProxyStatus, proxyStatus } from './status';
import { WorkloadTokens } from './workload-tokens';

export const CONTROL_PLANE_IDENTITY = { namespace: 'trellis-system', serviceAccount: 'trellis-control-plane' };

/** The file a local proxy starts from (`trellis proxy --bootstrap`). */
export interface ProxyBootstrap {
  xdsAddress: string;
  caAddress: string;
  adminAddress: string;
  trustDomain: string;
  controlPlaneId: string;
  rootCertFile: string;
  /** `<tokenDir>/<workload>.<namespace>.token`; none are written when the control plane has another authenticator. */
  tokenDir: string;
}

/** Where the CA's signing material is kept: by default `<stateDir>/ca`; in a cluster, a Secret. */
export interface CaStore {
  /** The CA to sign with (created on first use when the store has none). */
  load(): Promise<CaDirectory>;
  /** Called after every root rotation step. */
  save(ca: CaDirectory): Promise<void>;
  /** A store shared by replicas calls `onSaved` with each step another one saves; returns how to stop. */
  watch?(onSaved: (ca: CaDirectory) => void): () => void;
}

export interface ControlPlaneOptions {
  /** A directory of YAML to read the mesh from; or give `source`. */
  configDir?: string;
  /** Where the mesh model comes from, e.g. a KubeSource; default a FileSource over `configDir`. */
  source?: ConfigSource;
  /** CA material and workload tokens live here (created on first start). */
  stateDir: string;
  /** Default: the CA directory under `stateDir`. */
  caStore?: CaStore;
  /** Who may ask the CA for which identity; default the bootstrap tokens written under `stateDir`. */
  authenticator?: Authenticator;
  trustDomain?: string;
  rootNamespace?: string;
  defaultMtls?: 'STRICT' | 'PERMISSIVE';
  /** Captured calls outside the registry: passed through (ALLOW_ANY, default) or refused. */
  outboundTrafficPolicy?: OutboundTrafficPolicy;
  /**
   * When a workload becomes an endpoint: once its proxy has ACKed its routes (default,
   * so traffic never arrives before the proxy can take it), or `always` at once (for
   * workloads whose proxies the control plane does not see, e.g. simulated ones).
   */
  endpointReadiness?: 'proxy-ready' | 'always';
  /** Lifetime of workload certificates (default 24 h). Proxies renew at half of it. */
  certificateTtlSeconds?: number;
  /** host:port; port 0 picks a free one. */
  xdsAddress?: string;
  caAddress?: string;
  adminAddress?: string;
  log?: (event: string, fields?: Record<string, unknown>) => void;
}

function listen(server: grpc.Server, address: string, credentials: grpc.ServerCredentials): Promise<string> {
  return new Promise((resolve, reject) =>
    server.bindAsync(address, credentials, (error, port) => (error ? reject(new Error(`cannot listen on ${address}: ${error.message}`)) : resolve(`${address.slice(0, address.lastIndexOf(':'))}:${port}`))),
  );
}

/**
 * The mesh control plane in one process: the file source feeding the mesh model,
 * the pusher turning it into per-proxy snapshots, the ADS server (mTLS: only
 * workloads the CA identified may connect, each only as itself), the CA's CSR
 * service (TLS + bootstrap token), and a localhost admin endpoint.
 */
export class ControlPlane {
  readonly cache = new SnapshotCache();
  readonly ads: AdsServer;
  private readonly source: ConfigSource;
  private pusher!: Pusher;
  private ca!: CertificateAuthority;
  /** Only when they are what authenticates workloads: with another authenticator (a cluster's TokenReview) nothing reads them. */
  private tokens: WorkloadTokens | undefined;
  private rotator!: CertificateRotator;
  private stopCaWatch: (() => void) | undefined;
  /** Followed rotation steps, one at a time. */
  private following = Promise.resolve();
  private readonly xdsServer = new grpc.Server();
  private readonly caServer = new grpc.Server();
  private admin: http.Server | undefined;
  private model!: MeshModel;
  diagnostics: FileDiagnostic[] = [];
  /** Workload certificates issued since start (the rotation tests count them). */
  issuedCount = 0;
  addresses = { xds: '', ca: '', admin: '' };
  readonly trustDomain: string;
  private outboundTrafficPolicy: OutboundTrafficPolicy;
  private readonly log: NonNullable<ControlPlaneOptions['log']>;

  constructor(private readonly options: ControlPlaneOptions) {
    this.trustDomain = options.trustDomain ?? 'cluster.local';
    this.outboundTrafficPolicy = options.outboundTrafficPolicy ?? 'ALLOW_ANY';
    this.log = options.log ?? (() => undefined);
    if (!options.source && !options.configDir) throw new Error('ControlPlane: give a configDir or a source');
    this.source = options.source ?? new FileSource(options.configDir!);
    this.ads = new AdsServer(this.cache, { controlPlaneId: 'trellis', authorize: this.authorize });
  }

  get caDir(): string {
    return path.join(this.options.stateDir, 'ca');
  }

  tokenFile(workload: { name: string; namespace: string }): string {
    if (!this.tokens) throw new Error('this control plane writes no bootstrap tokens: it authenticates workloads with the authenticator it was given');
    return this.tokens.tokenFile(workload);
  }

  /** PEM roots proxies pin to authenticate the control plane before their first certificate. */
  trustBundlePem(): string {
    return joinPem(this.ca.trustBundlePem());
  }

  /** The mesh CA, for the control plane's other endpoints (e.g. a webhook's serving certificate). */
  get certificateAuthority(): CertificateAuthority {
    return this.ca;
  }

  private get caStore(): CaStore {
    return this.options.caStore ?? {
      load: () => initCaDir(this.caDir, { trustDomain: this.trustDomain }),
      save: (ca) => saveCaToDir(this.caDir, ca),
    };
  }

  async start(): Promise<void> {
    const ca = await this.caStore.load();
    this.ca = await CertificateAuthority.create(ca.signing, {
      trustDomain: this.trustDomain,
      additionalRootsPem: ca.rootsPem,
      ...(this.options.certificateTtlSeconds ? { defaultTtlSeconds: this.options.certificateTtlSeconds } : {}),
      ...(ca.rootRotation ? { rootRotation: ca.rootRotation } : {}),
    });
    if (!this.options.authenticator) this.tokens = new WorkloadTokens(this.tokenDir, this.trustDomain);
    this.applyLoad(await this.source.start());
    this.pusher = new Pusher(this.cache, this.settings(), this.model, undefined, (report: PushReport) => this.log('pushed', { ...report }), this.options.endpointReadiness);
    this.ads.on('stream-open', (s) => { this.log('proxy connected', { node: s.node.id, peer: s.peer }); this.pusher.connect(s.node.id, isProxylessNode(s.node.metadata) ? 'proxyless' : 'sidecar'); });
    this.ads.on('ack', ({ nodeId, typeUrl }) => typeUrl === this.pusher.readinessType(nodeId) && this.pusher.markReady(nodeId));
    this.ads.on('stream-close', (s) => { this.log('proxy disconnected', { node: s.node.id }); this.pusher.disconnect(s.node.id); });
    this.source.on('change', (result) => {
      this.applyLoad(result);
      this.pusher.update(this.model);
    });

    const self: WorkloadIdentity = { trustDomain: this.trustDomain, ...CONTROL_PLANE_IDENTITY };
    this.rotator = new CertificateRotator(localCredentialSource(this.ca, self));
    await this.rotator.start();
    this.ads.addTo(this.xdsServer);
    addCertificateService(this.caServer, {
      ca: this.ca,
      authenticator: this.options.authenticator ?? this.tokens!,
      onEvent: (event) => {
        if (event.event === 'issued') this.issuedCount++;
        this.log(`certificate ${event.event}`, { ...event });
      },
    });
    this.addresses.xds = await listen(this.xdsServer, this.options.xdsAddress ?? '127.0.0.1:15010', mutualTlsServerCredentials(this.rotator));
    this.addresses.ca = await listen(this.caServer, this.options.caAddress ?? '127.0.0.1:15012', rotatingServerCredentials(this.rotator));
    this.addresses.admin = await this.startAdmin(this.options.adminAddress ?? '127.0.0.1:15014');
    this.writeBootstrap();
    this.stopCaWatch = this.caStore.watch?.((saved) => {
      this.following = this.following.then(() => this.followRootRotation(saved)).catch((error: Error) => this.log('root rotation not followed', { error: error.message }));
    });
    this.log('control plane ready', { ...this.addresses, trustDomain: this.trustDomain, bootstrap: this.bootstrapFile });
  }

  /**
   * One step of a root rotation (Istio's plug-in CA procedure, automated): `begin`
   * trusts a new root beside the old one, `switch` issues from the new root, `retire`
   * drops the old one. Between steps wait at least one certificate lifetime so every
   * workload has renewed; each step pushes the new trust bundle to every proxy (SDS).
   */
  async rotateRoot(step: 'begin' | 'switch' | 'retire'): Promise<string> {
    if (step === 'begin') await this.ca.beginRootRotation();
    else if (step === 'switch') this.ca.switchToNewRoot();
    else this.ca.retireOldRoot();
    await this.caStore.save(caDirectoryOf(this.ca));
    return this.rootsChanged(step);
  }

  /** What captured calls outside the registry get from now on; every captured proxy is pushed its new listener. */
  setOutboundTrafficPolicy(policy: OutboundTrafficPolicy): void {
    this.outboundTrafficPolicy = policy;
    this.pusher.updateSettings(this.settings());
  }

  /** New roots reach the local bootstrap and every proxy (SDS). */
  private rootsChanged(step: string): string {
    this.writeBootstrap();
    this.pusher.updateSettings(this.settings());
    const phase = this.ca.rootRotationPhase();
    this.log('root rotation', { step, phase, roots: this.ca.trustBundlePem().length });
    return phase;
  }

  /**
   * Another replica's rotation steps, seen in the shared store, replayed here (begin with
   * its next CA, switch, retire: at most one turn) so every replica signs from and trusts
   * the same roots without a restart. Our own saves find nothing left to do.
   */
  private async followRootRotation(saved: CaDirectory): Promise<void> {
    // PEM text may differ in layout between stores: compare the certificates.
    const same = (a: { certPem: string } | undefined, b: { certPem: string } | undefined) => (a && b ? new X509Certificate(a.certPem).fingerprint256 === new X509Certificate(b.certPem).fingerprint256 : a === b);
    const reached = () => {
      const state = this.ca.rootRotationState();
      return same(this.ca.signingCa(), saved.signing) && same(state.next, saved.rootRotation?.next)
        && (state.retiringRootPem === undefined) === (saved.rootRotation?.retiringRootPem === undefined);
    };
    const steps: string[] = [];
    try {
      while (!reached() && steps.length < 3) {
        const phase = this.ca.rootRotationPhase();
        if (phase === 'steady') await this.ca.beginRootRotation(saved.rootRotation?.next ?? saved.signing);
        else if (phase === 'trusting-new-root') this.ca.switchToNewRoot();
        else this.ca.retireOldRoot();
        steps.push(phase === 'steady' ? 'begin' : phase === 'trusting-new-root' ? 'switch' : 'retire');
      }
      if (!reached()) throw new Error('the saved CA is not reachable by rotation steps; restart this replica to load it');
    } catch (error) {
      this.log('root rotation not followed', { error: (error as Error).message, steps });
    } finally {
      if (steps.length) this.rootsChanged(`followed ${steps.join(', ')}`);
    }
  }

  private get tokenDir(): string {
    return path.join(this.options.stateDir, 'tokens');
  }

  get bootstrapFile(): string {
    return path.join(this.options.stateDir, 'bootstrap.json');
  }

  /**
   * What a local proxy needs to join: where the control plane listens, who it is,
   * the root to authenticate it by, and where its bootstrap token is.
   */
  private writeBootstrap(): void {
    fs.mkdirSync(this.options.stateDir, { recursive: true });
    const rootCertFile = path.join(this.options.stateDir, 'root-cert.pem');
    fs.writeFileSync(rootCertFile, this.trustBundlePem());
    const bootstrap: ProxyBootstrap = {
      xdsAddress: this.addresses.xds,
      caAddress: this.addresses.ca,
      adminAddress: this.addresses.admin,
      trustDomain: this.trustDomain,
      controlPlaneId: spiffeIdOf(this.trustDomain, CONTROL_PLANE_IDENTITY.namespace, CONTROL_PLANE_IDENTITY.serviceAccount),
      rootCertFile,
      tokenDir: this.tokenDir,
    };
    fs.writeFileSync(this.bootstrapFile, JSON.stringify(bootstrap, null, 2) + '\n');
  }

  async stop(): Promise<void> {
    this.stopCaWatch?.();
    this.source.close();
    this.pusher?.close();
    this.rotator?.stop();
    this.xdsServer.forceShutdown();
    this.caServer.forceShutdown();
    await new Promise<void>((resolve) => (this.admin ? this.admin.close(() => resolve()) : resolve()));
  }

  /** The mesh as the control plane currently sees it. */
  get meshModel(): MeshModel {
    return this.model;
  }

  proxyStatus() {
    // What was last pushed is what a proxy should hold: no re-translation per status call.
    return proxyStatus(this.ads.streamStatuses(), (node) => this.cache.getSnapshot(node), this.pusher.pending);
  }

  private settings(): MeshSettings {
    return {
      trustDomain: this.trustDomain,
      rootNamespace: this.options.rootNamespace ?? 'trellis-system',
      defaultMtls: this.options.defaultMtls ?? 'STRICT',
      trustBundlePem: this.trustBundlePem(),
      outboundTrafficPolicy: this.outboundTrafficPolicy,
    };
  }

  private applyLoad({ model, diagnostics }: { model: MeshModel; diagnostics: FileDiagnostic[] }): void {
    this.model = model;
    this.diagnostics = diagnostics;
    for (const d of diagnostics) this.log(`config ${d.severity}`, { message: formatFileDiagnostic(d) });
    this.tokens?.sync(model.workloads);
  }

  /** A proxy speaks only for the workload its certificate names. */
  private readonly authorize: StreamAuthorizer = (node, call) => {
    const certificate = (call as unknown as { getAuthContext(): { sslPeerCertificate?: { subjectaltname?: string } } }).getAuthContext().sslPeerCertificate;
    const uri = /URI:([^,\s]+)/.exec(certificate?.subjectaltname ?? '')?.[1];
    if (!uri) return 'the xDS endpoint requires a workload certificate with a SPIFFE ID';
    let peer: WorkloadIdentity;
    try {
      peer = parseWorkloadId(uri);
    } catch (error) {
      return `client certificate: ${(error as Error).message}`;
    }
    const workload = this.pusher.workloadOf(node.id);
    if (!workload) return `node "${node.id}" names no workload in the mesh (expected <workload>.<namespace>)`;
    if (peer.trustDomain !== this.trustDomain || peer.namespace !== workload.namespace || peer.serviceAccount !== workload.serviceAccount) {
      return `certificate ${uri} may not speak for ${nodeIdOf(workload)} (service account ${workload.namespace}/${workload.serviceAccount})`;
    }
    return undefined;
  };

  private startAdmin(address: string): Promise<string> {
    const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))];
    const server = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://admin');
      const json = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body, null, 2));
      };
      if (url.pathname === '/ready') return json(200, { ready: true });
      if (url.pathname === '/debug/proxy-status') {
        if (url.searchParams.get('format') === 'text') {
          res.writeHead(200, { 'content-type': 'text/plain' });
          return res.end(formatProxyStatus(this.proxyStatus()) + '\n');
        }
        return json(200, this.proxyStatus());
      }
      if (url.pathname === '/debug/config') return json(200, { diagnostics: this.diagnostics.map(formatFileDiagnostic) });
      if (url.pathname === '/ca/root-rotation' && req.method === 'POST') {
        const step = url.searchParams.get('step');
        if (step !== 'begin' && step !== 'switch' && step !== 'retire') return json(400, { error: 'step must be begin, switch or retire' });
        this.rotateRoot(step).then((phase) => json(200, { phase }), (error: Error) => json(409, { error: error.message }));
        return;
      }
      json(404, { error: `no such endpoint ${url.pathname}; try /debug/proxy-status or /debug/config` });
    });
    this.admin = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve(`${host}:${(server.address() as { port: number }).port}`));
    });
  }
}
