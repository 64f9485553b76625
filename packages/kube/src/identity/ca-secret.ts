import type { KubeConfig } from '@kubernetes/client-node' with { 'resolution-mode': 'import' };
import { caFromFiles, createSelfSignedRoot, joinPem, type CaDirectory, type CaFiles, type CaStore } from '@trellis/control-plane';
import { ApiError, requestJson } from '../source/api-client';
import { DEFAULT_BACKOFF, ResourceInformer, type Backoff } from '../source/resource-informer';
import { SECRETS } from '../source/resources';

/** An operator's own CA, in Istio's `cacerts` layout: plugged in, it wins over ours. */
export const PLUGGED_IN_CA_SECRET = 'cacerts';
/** The self-signed root the control plane makes on first start, when no CA is plugged in. */
export const SELF_SIGNED_CA_SECRET = 'trellis-ca';
const SELF_SIGNED_TYPE = 'trellis.dev/ca-root';

// Secret keys: the cacerts file names, and for a root rotation in progress the next CA
// (a Secret key cannot hold a directory) and the root being retired.
const KEYS = { cert: 'ca-cert.pem', key: 'ca-key.pem', chain: 'cert-chain.pem', roots: 'root-cert.pem' } as const;
const NEXT_PREFIX = 'next-';
const RETIRING_ROOT = 'retiring-root-cert.pem';

export interface SecretCaStoreOptions {
  kubeConfig: KubeConfig;
  /** The control plane's namespace, where both Secrets live. */
  namespace: string;
  trustDomain: string;
  /** Of the watch that follows other replicas' root rotations. */
  backoff?: Backoff;
  log?: (event: string, fields?: Record<string, unknown>) => void;
}

interface SecretObject {
  metadata?: { resourceVersion?: string };
  data?: Record<string, string>;
}

const decode = (data: Record<string, string>) => Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
const encode = (texts: Record<string, string>) => Object.fromEntries(Object.entries(texts).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));

/**
 * The mesh CA kept in Kubernetes Secrets of the control plane's namespace: a plugged-in
 * `cacerts` Secret if there is one, else our own `trellis-ca`, created by whichever replica
 * starts first (the others lose the create with 409 and read the winner's, so all agree on
 * one root). Keys never leave the Secret's data: errors name the Secret and key only.
 */
export class SecretCaStore implements CaStore {
  private pluggedIn = false;
  private resourceVersion: string | undefined;

  constructor(private readonly options: SecretCaStoreOptions) {}

  async load(): Promise<CaDirectory> {
    const plugged = await this.read(PLUGGED_IN_CA_SECRET);
    if (plugged) {
      this.pluggedIn = true;
      this.log('CA loaded', { secret: this.name(PLUGGED_IN_CA_SECRET), pluggedIn: true });
      return this.parse(PLUGGED_IN_CA_SECRET, plugged);
    }
    const own = (await this.read(SELF_SIGNED_CA_SECRET)) ?? (await this.createSelfSigned());
    this.resourceVersion = own.metadata?.resourceVersion;
    return this.parse(SELF_SIGNED_CA_SECRET, own);
  }

  /** A root rotation step: only our own Secret is ours to write. */
  async save(ca: CaDirectory): Promise<void> {
    if (this.pluggedIn) throw new Error(`the CA is plugged in through Secret ${this.name(PLUGGED_IN_CA_SECRET)}: rotate it by replacing that Secret`);
    const body = { apiVersion: 'v1', kind: 'Secret', type: SELF_SIGNED_TYPE, metadata: { name: SELF_SIGNED_CA_SECRET, namespace: this.options.namespace, resourceVersion: this.resourceVersion }, data: encode(secretTexts(ca)) };
    const saved = await requestJson(this.options.kubeConfig, 'PUT', this.path(SELF_SIGNED_CA_SECRET), { json: body }) as SecretObject;
    this.resourceVersion = saved.metadata?.resourceVersion;
  }

  /**
   * Each change another replica saves to our Secret (a root rotation step), parsed. A
   * plugged-in CA is not followed: replacing it is an operator's restart-time change.
   */
  watch(onSaved: (ca: CaDirectory) => void): () => void {
    if (this.pluggedIn) return () => undefined;
    const informer: ResourceInformer = new ResourceInformer(SECRETS, this.options.kubeConfig, () => {
      const object = informer.object(SELF_SIGNED_CA_SECRET, this.options.namespace) as SecretObject | undefined;
      const version = object?.metadata?.resourceVersion;
      if (!object || version === this.resourceVersion) return;
      // Our next save replaces this version, not the one we last wrote.
      this.resourceVersion = version;
      this.parse(SELF_SIGNED_CA_SECRET, object).then(onSaved, (error: Error) => this.log('CA Secret change ignored', { secret: this.name(SELF_SIGNED_CA_SECRET), error: error.message }));
    }, this.options.backoff ?? DEFAULT_BACKOFF, this.options.namespace);
    informer.start();
    return () => informer.stop();
  }

  private async createSelfSigned(): Promise<SecretObject> {
    const signing = await createSelfSignedRoot({ trustDomain: this.options.trustDomain });
    const body = {
      apiVersion: 'v1', kind: 'Secret', type: SELF_SIGNED_TYPE,
      metadata: { name: SELF_SIGNED_CA_SECRET, namespace: this.options.namespace, labels: { 'app.kubernetes.io/part-of': 'trellis' } },
      data: encode(secretTexts({ signing, rootsPem: [signing.certPem] })),
    };
    try {
      const created = await requestJson(this.options.kubeConfig, 'POST', `/api/v1/namespaces/${this.options.namespace}/secrets`, { json: body }) as SecretObject;
      this.log('CA created', { secret: this.name(SELF_SIGNED_CA_SECRET) });
      return created;
    } catch (error) {
      if (!(error instanceof ApiError && error.statusCode === 409)) throw error;
      // Another replica created it first: use that one.
      const winner = await this.read(SELF_SIGNED_CA_SECRET);
      if (!winner) throw new Error(`Secret ${this.name(SELF_SIGNED_CA_SECRET)}: creating it conflicted, yet it cannot be read`);
      this.log('CA loaded', { secret: this.name(SELF_SIGNED_CA_SECRET), createdBy: 'another replica' });
      return winner;
    }
  }

  private async parse(secret: string, object: SecretObject): Promise<CaDirectory> {
    const texts = decode(object.data ?? {});
    const where = (key: string) => `Secret ${this.name(secret)} key ${key}`;
    const filesOf = (prefix: string): CaFiles => {
      for (const key of [KEYS.cert, KEYS.key, KEYS.roots]) if (!texts[prefix + key]) throw new Error(`${where(prefix + key)}: is missing`);
      return { cert: texts[prefix + KEYS.cert], key: texts[prefix + KEYS.key], roots: texts[prefix + KEYS.roots], chain: texts[prefix + KEYS.chain] };
    };
    const ca = await caFromFiles(filesOf(''), where, `CA in Secret ${this.name(secret)}`);
    if (texts[NEXT_PREFIX + KEYS.cert]) {
      const next = await caFromFiles(filesOf(NEXT_PREFIX), (key) => where(NEXT_PREFIX + key), `next CA in Secret ${this.name(secret)}`);
      return { ...ca, rootRotation: { next: next.signing } };
    }
    return texts[RETIRING_ROOT] ? { ...ca, rootRotation: { retiringRootPem: texts[RETIRING_ROOT] } } : ca;
  }

  private async read(secret: string): Promise<SecretObject | undefined> {
    try {
      return await requestJson(this.options.kubeConfig, 'GET', this.path(secret)) as SecretObject;
    } catch (error) {
      if (error instanceof ApiError && error.statusCode === 404) return undefined;
      throw new Error(`cannot read Secret ${this.name(secret)} for the CA (${(error as Error).message})`);
    }
  }

  private path(secret: string): string {
    return `/api/v1/namespaces/${this.options.namespace}/secrets/${secret}`;
  }

  private name(secret: string): string {
    return `${this.options.namespace}/${secret}`;
  }

  private log(event: string, fields: Record<string, unknown>): void {
    this.options.log?.(event, fields);
  }
}

/** The Secret's texts for a CA, in the cacerts layout (the chain file starts with the signing cert, as on disk). */
function secretTexts(ca: CaDirectory): Record<string, string> {
  const filesOf = (signing: CaDirectory['signing'], rootsPem: string[], prefix = '') => ({
    [prefix + KEYS.cert]: signing.certPem,
    [prefix + KEYS.key]: signing.keyPem,
    [prefix + KEYS.chain]: joinPem([signing.certPem, ...signing.chainPem]),
    [prefix + KEYS.roots]: joinPem(rootsPem),
  });
  const texts = filesOf(ca.signing, ca.rootsPem);
  const { next, retiringRootPem } = ca.rootRotation ?? {};
  if (next) Object.assign(texts, filesOf(next, [next.chainPem.length ? next.chainPem[next.chainPem.length - 1] : next.certPem], NEXT_PREFIX));
  if (retiringRootPem) texts[RETIRING_ROOT] = retiringRootPem;
  return texts;
}
