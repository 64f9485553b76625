// Holds the current snapshot as one immutable ConfigView. A new snapshot is validated
// whole and then swapped in with a single assignment, so listeners, routes, clusters and
// secrets always change together; a request keeps the view it started with until it ends.
import { EventEmitter } from 'node:events';
import { Cluster, ClusterLoadAssignment, RouteConfiguration, Secret, Snapshot } from './model';
import { parseSnapshot } from './validate';

export class ConfigView {
  readonly routes: ReadonlyMap<string, RouteConfiguration>;
  readonly clusters: ReadonlyMap<string, Cluster>;
  readonly endpoints: ReadonlyMap<string, ClusterLoadAssignment>;
  readonly secrets: ReadonlyMap<string, Secret>;

  constructor(readonly snapshot: Snapshot, readonly version: number) {
    this.routes = new Map(snapshot.routes.map((r) => [r.name, r]));
    this.clusters = new Map(snapshot.clusters.map((c) => [c.name, c]));
    this.endpoints = new Map(snapshot.endpoints.map((e) => [e.clusterName, e]));
    this.secrets = new Map(snapshot.secrets.map((s) => [s.name, s]));
  }

  /** EDS assignment if present, else the cluster's inline one (STATIC). */
  loadAssignment(cluster: Cluster): ClusterLoadAssignment | undefined {
    return cluster.type === 'EDS' ? this.endpoints.get(cluster.name) : cluster.loadAssignment;
  }
}

export interface ConfigStoreEvents {
  change: [next: ConfigView, previous: ConfigView];
}

const EMPTY: Snapshot = { listeners: [], routes: [], clusters: [], endpoints: [], secrets: [] };

export class ConfigStore extends EventEmitter<ConfigStoreEvents> {
  private view = new ConfigView(EMPTY, 0);

  get current(): ConfigView {
    return this.view;
  }

  /**
   * Validate and atomically install a snapshot. Throws (and keeps the old snapshot) on bad
   * input or when `preflight` — checks that need the whole view, like building TLS
   * contexts and filters — throws.
   */
  apply(input: Snapshot | unknown, preflight?: (view: ConfigView) => void): ConfigView {
    // Re-validating typed input is cheap and guards callers that build snapshots by hand.
    const snapshot = parseSnapshot(input);
    const previous = this.view;
    const next = new ConfigView(snapshot, previous.version + 1);
    preflight?.(next);
    this.view = next;
    this.emit('change', this.view, previous);
    return this.view;
  }
}
