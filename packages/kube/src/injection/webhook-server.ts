import type * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { KubeConfig } from '@kubernetes/client-node' with { 'resolution-mode': 'import' };
import { generateKeyPair, joinPem, type CertificateAuthority } from '@trellis/control-plane';
import { requestJson } from '../source/api-client';
import { injectionPatch, type AdmittedPod, type InjectionSettings } from './inject';
import { NamespaceLabels } from './namespace-labels';

/** The webhook configuration whose caBundle the control plane keeps current. */
export const WEBHOOK_CONFIGURATION = 'trellis-sidecar-injector';
export const INJECT_PATH = '/inject';
const MAX_REVIEW_BYTES = 4 * 1024 * 1024;

export interface AdmissionReview {
  apiVersion?: string;
  kind?: string;
  request?: { uid?: string; namespace?: string; kind?: { kind?: string }; operation?: string; object?: AdmittedPod };
}

export interface AdmissionResponse {
  apiVersion: 'admission.k8s.io/v1';
  kind: 'AdmissionReview';
  response: { uid: string; allowed: boolean; patchType?: 'JSONPatch'; patch?: string; status?: { code: number; message: string }; warnings?: string[] };
}

/** Answers one AdmissionReview v1 for a Pod: allowed, with the injection patch when there is one. */
export function admissionResponse(review: AdmissionReview, namespaceLabels: Record<string, string>, settings: InjectionSettings): AdmissionResponse {
  const request = review.request;
  const uid = request?.uid ?? '';
  const answer = (response: Omit<AdmissionResponse['response'], 'uid'>): AdmissionResponse => ({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid, ...response } });
  if (review.apiVersion !== 'admission.k8s.io/v1' || review.kind !== 'AdmissionReview' || !request?.uid) {
    return answer({ allowed: false, status: { code: 400, message: 'expected an admission.k8s.io/v1 AdmissionReview with request.uid' } });
  }
  if (request.kind?.kind !== 'Pod' || !request.object) return answer({ allowed: true });
  const decision = injectionPatch(request.object, namespaceLabels, settings);
  if ('refused' in decision) return answer({ allowed: false, status: { code: 400, message: `trellis sidecar injection: ${decision.refused}` } });
  if (!decision.inject) return answer({ allowed: true });
  return answer({ allowed: true, patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(decision.patch)).toString('base64') });
}

export interface InjectionWebhookOptions {
  kubeConfig: KubeConfig;
  ca: CertificateAuthority;
  /** The roots handed to pods are the CA's at admission time, so pods admitted during a root rotation trust both. */
  settings: Omit<InjectionSettings, 'caRootsPem'>;
  /** The names the API server dials, e.g. trellis-control-plane.trellis-system.svc. */
  dnsNames: string[];
  /** host:port; port 0 picks a free one. */
  address: string;
  /** Serving certificate lifetime; renewed at two thirds of it. Default 24 h. */
  certificateTtlSeconds?: number;
  log?: (event: string, fields?: Record<string, unknown>) => void;
}

/**
 * The injector's HTTPS endpoint: a serving certificate from the mesh CA (renewed before it
 * expires, swapped in without a restart), POST /inject answering AdmissionReviews, and the
 * mesh roots written into the MutatingWebhookConfiguration's caBundle (on start, and at each
 * renewal if a root rotation changed them) so the API server trusts that certificate.
 */
export class InjectionWebhook {
  private server: https.Server | undefined;
  private renewal: NodeJS.Timeout | undefined;
  private readonly log: NonNullable<InjectionWebhookOptions['log']>;
  /** When the current serving certificate expires. */
  notAfter: Date | undefined;
  private publishedBundle: string | undefined;
  private readonly namespaceLabels: NamespaceLabels;

  constructor(private readonly options: InjectionWebhookOptions) {
    this.log = options.log ?? (() => undefined);
    this.namespaceLabels = new NamespaceLabels(options.kubeConfig);
  }

  async start(): Promise<string> {
    this.namespaceLabels.start();
    const server = https.createServer(await this.servingCredentials(), (request, response) => this.handle(request, response));
    this.server = server;
    const [host, port] = [this.options.address.slice(0, this.options.address.lastIndexOf(':')), Number(this.options.address.slice(this.options.address.lastIndexOf(':') + 1))];
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    await this.publishCaBundle();
    this.log('injection webhook ready', { address: this.address, configuration: WEBHOOK_CONFIGURATION });
    return this.address;
  }

  get address(): string {
    const { address, port } = this.server!.address() as AddressInfo;
    return `${address}:${port}`;
  }

  async stop(): Promise<void> {
    clearTimeout(this.renewal);
    this.namespaceLabels.stop();
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  /** Issues a fresh serving certificate and schedules the next one. */
  private async servingCredentials(): Promise<{ key: string; cert: string }> {
    const ttlSeconds = this.options.certificateTtlSeconds ?? 24 * 3600;
    const { privateKeyPem, publicKeyPem } = await generateKeyPair();
    const issued = await this.options.ca.issueServing(publicKeyPem, { dnsNames: this.options.dnsNames, ttlSeconds });
    this.notAfter = issued.notAfter;
    const renewInMs = Math.max(1000, (issued.notAfter.getTime() - Date.now()) * 2 / 3);
    clearTimeout(this.renewal);
    this.renewal = setTimeout(() => void this.renew(), renewInMs);
    this.renewal.unref();
    return { key: privateKeyPem, cert: joinPem(issued.chainPem) };
  }

  /** Writes the mesh roots into the webhook configuration when they differ from what it holds. */
  private async publishCaBundle(): Promise<void> {
    const bundle = joinPem(this.options.ca.trustBundlePem());
    if (bundle === this.publishedBundle) return;
    await patchCaBundle(this.options.kubeConfig, WEBHOOK_CONFIGURATION, bundle);
    this.publishedBundle = bundle;
  }

  /**
   * A fresh certificate, then the roots: through a root rotation the bundle published still
   * holds the root of the certificate being replaced until the new one is served.
   */
  private async renew(): Promise<void> {
    try {
      this.server?.setSecureContext(await this.servingCredentials());
      await this.publishCaBundle();
      this.log('injection webhook certificate renewed', { notAfter: this.notAfter?.toISOString() });
    } catch (error) {
      // Keep serving on the current certificate; try again in a minute.
      this.log('injection webhook certificate renewal failed', { error: (error as Error).message });
      this.renewal = setTimeout(() => void this.renew(), 60_000);
      this.renewal.unref();
    }
  }

  private handle(request: http.IncomingMessage, response: http.ServerResponse): void {
    const reply = (code: number, body: unknown) => {
      response.writeHead(code, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    if (request.method !== 'POST' || new URL(request.url ?? '/', 'https://webhook').pathname !== INJECT_PATH) return reply(404, { error: `POST ${INJECT_PATH} only` });
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_REVIEW_BYTES) request.destroy();
      else chunks.push(chunk);
    });
    request.on('end', () => {
      let review: AdmissionReview;
      try {
        review = JSON.parse(Buffer.concat(chunks).toString('utf8')) as AdmissionReview;
      } catch {
        return reply(400, { error: 'the body is not JSON' });
      }
      this.review(review).then((answer) => reply(200, answer), (error: Error) => reply(500, { error: error.message }));
    });
  }

  private async review(review: AdmissionReview): Promise<AdmissionResponse> {
    const namespace = review.request?.namespace;
    const labels = namespace ? await this.namespaceLabels.of(namespace) : {};
    const answer = admissionResponse(review, labels, { ...this.options.settings, caRootsPem: joinPem(this.options.ca.trustBundlePem()) });
    this.log('admission', { namespace, pod: review.request?.object?.metadata?.name ?? review.request?.object?.metadata?.generateName, patched: answer.response.patch !== undefined, allowed: answer.response.allowed });
    return answer;
  }
}

/** Sets every webhook's caBundle in the named MutatingWebhookConfiguration (one JSON patch). */
export async function patchCaBundle(kubeConfig: KubeConfig, name: string, caBundlePem: string): Promise<void> {
  const path = `/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/${name}`;
  const configuration = await requestJson(kubeConfig, 'GET', path) as { webhooks?: unknown[] };
  const caBundle = Buffer.from(caBundlePem).toString('base64');
  const patch = (configuration.webhooks ?? []).map((_, i) => ({ op: 'add', path: `/webhooks/${i}/clientConfig/caBundle`, value: caBundle }));
  if (!patch.length) throw new Error(`MutatingWebhookConfiguration ${name}: has no webhooks to give a caBundle`);
  await requestJson(kubeConfig, 'PATCH', path, { json: patch, contentType: 'application/json-patch+json' });
}
