import { TypeUrl, type SnapshotCache, type Snapshot } from '@trellis/xds';
import type { MeshModel, Workload } from '../model/mesh';
import { nodeIdOf } from '../translate/names';
import { ResourceMemo } from '../translate/memo';
import { proxylessSnapshot } from '../translate/proxyless';
import { sidecarSnapshot, type MeshSettings } from '../translate/sidecar';

export interface PushTiming {
  /** Wait this long after a change for more changes (default 100 ms)… */
  debounceMs: number;
  /** …but never delay a push longer than this after the first change (default 1 s). */
  maxDelayMs: number;
}

export interface PushReport {
  trigger: number;
  proxies: number;
  durationMs: number;
}

/**
 * Turns the mesh model into one snapshot per connected proxy. Changes are debounced
 * (a burst of file saves is one push); each snapshot's types carry content-derived
 * versions, so when only endpoints changed only EDS goes out.
 */
export class Pusher {
  private model: MeshModel;
  private readonly connected = new Set<string>();
  /** Connected nodes that are proxyless gRPC workloads: they get the proxyless form of their config. */
  private readonly proxyless = new Set<string>();
  /** Proxies that have accepted their listeners: only their workloads are offered as endpoints. */
  private readonly ready = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  /** Encoded resources shared by proxies and kept across pushes; revalidated whenever anything that feeds them changes. */
  private readonly memo = new ResourceMemo();
  private firstChangeAt: number | undefined;
  private changes = 0;

  constructor(
    private readonly cache: SnapshotCache,
    private settings: MeshSettings,
    initial: MeshModel,
    private readonly timing: PushTiming = { debounceMs: 100, maxDelayMs: 1000 },
    private readonly onPush: (report: PushReport) => void = () => undefined,
    /** `proxy-ready`: a workload is an endpoint once its proxy ACKed its routes; `always`: at once. */
    private readonly endpointReadiness: 'proxy-ready' | 'always' = 'proxy-ready',
  ) {
    this.model = initial;
    this.byNode = new Map(initial.workloads.map((w) => [nodeIdOf(w), w]));
  }

  private byNode = new Map<string, Workload>();

  workloadOf(nodeId: string): Workload | undefined {
    return this.byNode.get(nodeId);
  }

  /** A proxy (or a proxyless gRPC workload) connected: give it its snapshot now, not at the next change. */
  connect(nodeId: string, form: 'sidecar' | 'proxyless' = 'sidecar'): void {
    this.connected.add(nodeId);
    if (form === 'proxyless') this.proxyless.add(nodeId);
    else this.proxyless.delete(nodeId);
    this.pushTo(nodeId);
  }

  /** The ACK after which a node can take traffic: a sidecar's routes, a proxyless server's listeners. */
  readinessType(nodeId: string): string {
    return this.proxyless.has(nodeId) ? TypeUrl.Listener : TypeUrl.RouteConfiguration;
  }

  /** The proxy accepted its listeners: start sending it traffic. */
  markReady(nodeId: string): void {
    if (this.ready.has(nodeId) || !this.connected.has(nodeId)) return;
    this.ready.add(nodeId);
    this.schedule();
  }

  disconnect(nodeId: string): void {
    this.connected.delete(nodeId);
    this.proxyless.delete(nodeId);
    if (this.ready.delete(nodeId)) this.schedule();
  }

  update(model: MeshModel): void {
    this.model = model;
    this.byNode = new Map(model.workloads.map((w) => [nodeIdOf(w), w]));
    this.schedule();
  }

  updateSettings(settings: MeshSettings): void {
    this.settings = settings;
    this.schedule();
  }

  /** A change is waiting for its (debounced) push: what proxies hold is about to be outdated. */
  get pending(): boolean {
    return this.timer !== undefined;
  }

  snapshotFor(nodeId: string): Snapshot | undefined {
    const workload = this.workloadOf(nodeId);
    if (!workload) return undefined;
    const ready = this.endpointReadiness === 'always' ? () => true : (w: Workload) => this.ready.has(nodeIdOf(w));
    const build = this.proxyless.has(nodeId) ? proxylessSnapshot : sidecarSnapshot;
    return build(this.model, workload, this.settings, ready, this.memo, this.cache.getSnapshot(nodeId));
  }

  close(): void {
    clearTimeout(this.timer);
  }

  private schedule(): void {
    this.memo.invalidate();
    this.changes++;
    const now = Date.now();
    this.firstChangeAt ??= now;
    const delay = Math.max(0, Math.min(this.timing.debounceMs, this.firstChangeAt + this.timing.maxDelayMs - now));
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.pushAll(), delay);
  }

  private pushAll(): void {
    this.timer = undefined;
    const started = Date.now();
    const trigger = this.changes;
    this.changes = 0;
    this.firstChangeAt = undefined;
    for (const nodeId of this.connected) this.pushTo(nodeId);
    this.memo.sweep();
    this.onPush({ trigger, proxies: this.connected.size, durationMs: Date.now() - started });
  }

  private pushTo(nodeId: string): void {
    const snapshot = this.snapshotFor(nodeId);
    // The very snapshot the proxy holds: nothing changed for it, no watch to answer.
    if (snapshot === this.cache.getSnapshot(nodeId)) return;
    if (snapshot) this.cache.setSnapshot(nodeId, snapshot);
    else this.cache.clearSnapshot(nodeId);
  }
}
