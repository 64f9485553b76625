// What every listener and request shares: the config store, cluster runtime, TLS
// contexts for the current view, stats, access log and the HTTP and network filter registries.
import { ConfigStore, ConfigView } from './config/store';
import { ClusterManager } from './outbound/cluster-manager';
import { SecureContexts } from './tls/contexts';
import { Stats } from './admin/stats';
import { AccessLog } from './admin/access-log';
import { FilterRegistry } from './http/filter';
import { NetworkFilterRegistry } from './network-filter';

export class Runtime {
  readonly clusters: ClusterManager;
  private currentContexts: SecureContexts;
  private contextsView: ConfigView;

  constructor(
    readonly store: ConfigStore,
    readonly stats: Stats,
    readonly accessLog: AccessLog,
    readonly filters: FilterRegistry,
    readonly networkFilters: NetworkFilterRegistry,
  ) {
    this.clusters = new ClusterManager(stats);
    this.contextsView = store.current;
    this.currentContexts = new SecureContexts(store.current);
  }

  /** TLS contexts for the current view; rebuilt lazily after each config change. */
  get contexts(): SecureContexts {
    return this.contextsFor(this.store.current);
  }

  contextsFor(view: ConfigView): SecureContexts {
    if (this.contextsView !== view) {
      this.contextsView = view;
      this.currentContexts = new SecureContexts(view);
    }
    return this.currentContexts;
  }

  /** Bring cluster state in line with the store's current view. */
  syncClusters(): void {
    this.clusters.apply(this.store.current, this.contexts);
  }
}
