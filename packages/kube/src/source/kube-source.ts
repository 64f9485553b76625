import { EventEmitter } from 'node:events';
import type { KubeConfig } from '@kubernetes/client-node' with { 'resolution-mode': 'import' };
import type { FileDiagnostic, LoadResult } from '@trellis/control-plane';
import { MeshModelBuilder } from './mesh-model';
import { DEFAULT_BACKOFF, ResourceInformer, type Backoff } from './resource-informer';
import { resourcePath, WATCHED_RESOURCES, type WatchedResource } from './resources';

export interface KubeSourceOptions {
  /** Which API server, with which credentials: `KubeConfig.loadFromDefault()` in a pod or beside kubectl. */
  kubeConfig: KubeConfig;
  /** Events closer together than this make one model (a rollout changes many pods at once). */
  debounceMs?: number;
  backoff?: Backoff;
}

function informerDiagnostic(informer: ResourceInformer): FileDiagnostic[] {
  const { state, resource } = informer;
  if (state.phase !== 'failing') return [];
  return [{
    file: resourcePath(resource), line: 0, severity: 'warning', object: '(apiserver)', field: resource.kind,
    message: `list/watch failing (${state.error}); keeping the last known objects, retrying with backoff`,
  }];
}

/**
 * The cluster config source: informers on the kinds the mesh reads, turned into the
 * mesh model. start() resolves with the first model once every kind has been listed
 * (kinds whose CRD is not installed do not hold it up); after that every change emits
 * `change`, as FileSource does. Through an API server outage the last objects stay in
 * force, with a warning naming the failing kind.
 */
export class KubeSource extends EventEmitter<{ change: [LoadResult] }> {
  private readonly informers: ResourceInformer[];
  private readonly builder = new MeshModelBuilder();
  private readonly debounceMs: number;
  private rebuildTimer: NodeJS.Timeout | undefined;
  private latest: LoadResult | undefined;
  private synced: ((result: LoadResult) => void) | undefined;

  constructor(options: KubeSourceOptions) {
    super();
    this.debounceMs = options.debounceMs ?? 50;
    const backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.informers = WATCHED_RESOURCES.map((resource) => new ResourceInformer(resource, options.kubeConfig, () => this.scheduleRebuild(), backoff));
  }

  start(): Promise<LoadResult> {
    const first = new Promise<LoadResult>((resolve) => { this.synced = resolve; });
    for (const informer of this.informers) informer.start();
    return first;
  }

  /** The last model built, or undefined before the first sync. */
  current(): LoadResult | undefined {
    return this.latest;
  }

  close(): void {
    clearTimeout(this.rebuildTimer);
    for (const informer of this.informers) informer.stop();
  }

  private hasSynced(): boolean {
    return this.informers.every(({ state, resource }) => state.phase === 'synced' || (resource.optional && state.phase === 'absent') || (this.latest !== undefined && state.phase === 'failing'));
  }

  private scheduleRebuild(): void {
    clearTimeout(this.rebuildTimer);
    this.rebuildTimer = setTimeout(() => this.rebuild(), this.debounceMs);
  }

  private rebuild(): void {
    if (!this.hasSynced()) return;
    const objects = new Map<WatchedResource, ResourceInformer>(this.informers.map((i) => [i.resource, i]));
    const result = this.builder.build((resource) => objects.get(resource)?.objects() ?? []);
    result.diagnostics.push(...this.informers.flatMap(informerDiagnostic));
    this.latest = result;
    if (this.synced) {
      this.synced(result);
      this.synced = undefined;
      return;
    }
    this.emit('change', result);
  }
}
