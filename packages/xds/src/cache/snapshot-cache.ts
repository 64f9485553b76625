import { isFullStateType } from '../type-urls';
import type {
  CancelWatch, ConfigWatcher, DeltaResponse, DeltaWatchRequest, NodeInfo, Resource, SotwResponse, SotwWatchRequest, Subscription,
} from './cache';
import { Snapshot, type TypeSnapshot } from './snapshot';

const EMPTY_TYPE: TypeSnapshot = { version: '', resources: new Map() };

type PendingWatch = () => boolean;

export interface SnapshotCacheOptions {
  /** Which snapshot a node reads; by default its own id. Group nodes to share one snapshot. */
  nodeKey?: (node: NodeInfo) => string;
  /** Refuse inconsistent snapshots (dangling RDS/EDS names). Default true. */
  requireConsistent?: boolean;
}

/**
 * One snapshot per node key. A watch is answered at once when the node's view
 * differs from what the client holds, otherwise parked until `setSnapshot`.
 */
export class SnapshotCache implements ConfigWatcher {
  private readonly snapshots = new Map<string, Snapshot>();
  private readonly watches = new Map<string, Set<PendingWatch>>();
  private readonly nodeKey: (node: NodeInfo) => string;
  private readonly requireConsistent: boolean;

  constructor(options: SnapshotCacheOptions = {}) {
    this.nodeKey = options.nodeKey ?? ((node) => node.id);
    this.requireConsistent = options.requireConsistent ?? true;
  }

  keyOf(node: NodeInfo): string {
    return this.nodeKey(node);
  }

  setSnapshot(key: string, snapshot: Snapshot): void {
    if (this.requireConsistent) {
      const errors = snapshot.consistencyErrors();
      if (errors.length > 0) throw new Error(`snapshot for "${key}" is inconsistent: ${errors.join('; ')}`);
    }
    this.snapshots.set(key, snapshot);
    const pending = this.watches.get(key);
    if (!pending) return;
    for (const tryRespond of [...pending]) {
      if (tryRespond()) pending.delete(tryRespond);
    }
  }

  getSnapshot(key: string): Snapshot | undefined {
    return this.snapshots.get(key);
  }

  clearSnapshot(key: string): void {
    this.snapshots.delete(key);
  }

  keys(): string[] {
    return [...this.snapshots.keys()];
  }

  watchSotw(request: SotwWatchRequest, respond: (response: SotwResponse) => void): CancelWatch {
    return this.park(request.node, () => {
      const response = this.sotwResponse(request);
      if (response) respond(response);
      return !!response;
    });
  }

  watchDelta(request: DeltaWatchRequest, respond: (response: DeltaResponse) => void): CancelWatch {
    return this.park(request.node, () => {
      const response = this.deltaResponse(request);
      if (response) respond(response);
      return !!response;
    });
  }

  private park(node: NodeInfo, tryRespond: PendingWatch): CancelWatch {
    const key = this.nodeKey(node);
    if (this.snapshots.has(key) && tryRespond()) return () => undefined;
    let set = this.watches.get(key);
    if (!set) this.watches.set(key, (set = new Set()));
    set.add(tryRespond);
    return () => {
      set.delete(tryRespond);
      if (set.size === 0 && this.watches.get(key) === set) this.watches.delete(key);
    };
  }

  private typeSnapshot(node: NodeInfo, typeUrl: string): TypeSnapshot | undefined {
    const snapshot = this.snapshots.get(this.nodeKey(node));
    if (!snapshot) return undefined;
    return snapshot.get(typeUrl) ?? EMPTY_TYPE;
  }

  private sotwResponse(request: SotwWatchRequest): SotwResponse | undefined {
    const current = this.typeSnapshot(request.node, request.typeUrl);
    if (!current) return undefined;
    if (request.rejectedVersion !== undefined && current.version === request.rejectedVersion) return undefined;
    const resources = select(current, request.subscription);
    if (!isFullStateType(request.typeUrl)) {
      // RDS, EDS and SDS responses may carry only what changed, and clients keep what they are not
      // sent (xDS protocol, "Grouping Resources into Responses"): one changed endpoint set is one
      // resource on the wire, not every cluster's endpoints.
      const changed = resources.filter((r) => request.knownResources.get(r.name) !== r.version);
      return changed.length === 0 ? undefined : { typeUrl: request.typeUrl, version: current.version, resources: changed };
    }
    const unchanged = sameResources(resources, knownWithin(request.knownResources, request.subscription));
    // A full-state type is answered once even when empty: clients wait for it to start.
    if (unchanged && request.knownVersion !== '') return undefined;
    return { typeUrl: request.typeUrl, version: current.version, resources };
  }

  private deltaResponse(request: DeltaWatchRequest): DeltaResponse | undefined {
    const current = this.typeSnapshot(request.node, request.typeUrl);
    if (!current) return undefined;
    const changed = select(current, request.subscription).filter(
      (r) => request.knownResources.get(r.name) !== r.version && request.rejectedResources?.get(r.name) !== r.version,
    );
    const removed = [...request.knownResources.keys()].filter((name) => !current.resources.has(name));
    if (changed.length === 0 && removed.length === 0) return undefined;
    return { typeUrl: request.typeUrl, systemVersion: current.version, resources: changed, removed };
  }
}

function select(current: TypeSnapshot, subscription: Subscription): Resource[] {
  if (subscription === '*') return [...current.resources.values()];
  const selected: Resource[] = [];
  for (const name of subscription) {
    const resource = current.resources.get(name);
    if (resource) selected.push(resource);
  }
  return selected;
}

/** Names the client dropped from its subscription say nothing about what it must be sent. */
function knownWithin(known: ReadonlyMap<string, string>, subscription: Subscription): ReadonlyMap<string, string> {
  if (subscription === '*') return known;
  return new Map([...known].filter(([name]) => subscription.has(name)));
}

function sameResources(resources: Resource[], known: ReadonlyMap<string, string>): boolean {
  return resources.length === known.size && resources.every((r) => known.get(r.name) === r.version);
}
