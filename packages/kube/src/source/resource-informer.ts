import type { KubeConfig, KubernetesListObject, KubernetesObject, ListWatch } from '@kubernetes/client-node' with { 'resolution-mode': 'import' };
import { getJson } from './api-client';
import { k8s } from './client-node';
import { resourcePath, type WatchedResource } from './resources';

export interface Backoff {
  initialMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { initialMs: 500, maxMs: 30_000 };

export type InformerState =
  | { phase: 'listing' }
  | { phase: 'synced' }
  /** The kind is not served (its CRD is not installed); retried at the slowest backoff. */
  | { phase: 'absent' }
  /** Listing or watching failed; the objects of the last good list/watch stay in force. */
  | { phase: 'failing'; error: string; retryInMs: number };

type WatchArguments = Parameters<InstanceType<typeof k8s.Watch>['watch']>;

/** Like client-go, ask the server to end each watch after 5-10 minutes: a half-open connection cannot stall a kind for longer. */
const watchTimeoutSeconds = () => 300 + Math.floor(Math.random() * 300);

/**
 * client-node's Watch, asking the API server for bookmarks (so a resumed watch starts
 * from a recent version) and for a timeout, and telling when a watch is established:
 * a quiet kind gets no event to show that it has recovered from an outage.
 */
class BookmarkingWatch extends k8s.Watch {
  constructor(kubeConfig: KubeConfig, private readonly onEstablished: () => void) {
    super(kubeConfig);
  }

  override async watch(...[path, params, callback, done]: WatchArguments): Promise<AbortController> {
    let failed = false;
    const controller = await super.watch(path, { ...params, allowWatchBookmarks: true, timeoutSeconds: watchTimeoutSeconds() }, callback, (error: unknown) => {
      if (error) failed = true;
      done(error);
    });
    if (!failed) this.onEstablished();
    return controller;
  }
}

function statusCode(error: unknown): number | undefined {
  const { statusCode, code } = (error ?? {}) as { statusCode?: unknown; code?: unknown };
  return typeof statusCode === 'number' ? statusCode : typeof code === 'number' ? code : undefined;
}

/**
 * One kind, list/watched with client-node's ListWatch (list at a resourceVersion, watch
 * from it, 410 Gone → relist, bookmarks advance the version), plus what ListWatch leaves
 * to its user: restarting after errors with exponential backoff, resuming from the last
 * version seen so no event is lost, and keeping its cache through an outage.
 */
export class ResourceInformer {
  private readonly listWatch: ListWatch<KubernetesObject>;
  private retryTimer: NodeJS.Timeout | undefined;
  private delayMs: number;
  private stopped = false;
  state: InformerState = { phase: 'listing' };

  constructor(
    readonly resource: WatchedResource,
    kubeConfig: KubeConfig,
    private readonly onChange: () => void,
    private readonly backoff: Backoff = DEFAULT_BACKOFF,
    /** Only this namespace's objects (what a namespaced Role may list); default all. */
    namespace?: string,
  ) {
    this.delayMs = backoff.initialMs;
    const path = resourcePath(resource, namespace);
    const list = async () => {
      const result = await getJson(kubeConfig, path) as KubernetesListObject<KubernetesObject>;
      this.recovered();
      return result;
    };
    this.listWatch = new k8s.ListWatch(path, new BookmarkingWatch(kubeConfig, () => this.recovered()), list, false);
    this.listWatch.on(k8s.CHANGE, () => {
      this.recovered();
      this.onChange();
    });
    this.listWatch.on(k8s.ERROR, (error: unknown) => this.failed(error));
  }

  start(): void {
    this.stopped = false;
    void this.listWatch.start();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    void this.listWatch.stop();
  }

  /** One object from the cache: `name`, in `namespace` for a namespaced kind. */
  object(name: string, namespace?: string): KubernetesObject | undefined {
    return this.listWatch.get(name, namespace);
  }

  /** The objects as last listed and watched, through any outage since. */
  objects(): readonly KubernetesObject[] {
    return this.listWatch.list();
  }

  private recovered(): void {
    this.delayMs = this.backoff.initialMs;
    if (this.state.phase !== 'synced') {
      this.state = { phase: 'synced' };
      this.onChange();
    }
  }

  /** ListWatch has stopped: start it again later, from the last resourceVersion it saw. */
  private failed(error: unknown): void {
    if (this.stopped) return;
    const absent = this.resource.optional && statusCode(error) === 404;
    const retryInMs = absent ? this.backoff.maxMs : this.delayMs;
    this.delayMs = Math.min(this.delayMs * 2, this.backoff.maxMs);
    const previous = this.state;
    this.state = absent ? { phase: 'absent' } : { phase: 'failing', error: (error as Error)?.message ?? String(error), retryInMs };
    if (previous.phase !== this.state.phase) this.onChange();
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => { if (!this.stopped) void this.listWatch.start(); }, retryInMs);
  }
}
