// Per filter chain HTTP settings, built once when a listener's config is applied and
// shared by every connection accepted on that chain.
import { HttpConnectionManager, RouteConfiguration } from '../config/model';
import { ConfigView } from '../config/store';
import { FilterRegistry, HttpFilter } from './filter';

export interface PeerTls {
  spiffeId?: string;
  sni?: string;
}

export class HttpChain {
  readonly filters: HttpFilter[];
  readonly bodyFilters: HttpFilter[];
  readonly responseFilters: HttpFilter[];

  constructor(readonly listenerName: string, readonly hcm: HttpConnectionManager, registry: FilterRegistry) {
    this.filters = registry.build(hcm.httpFilters);
    this.bodyFilters = this.filters.filter((f) => f.onRequestBody);
    this.responseFilters = this.filters.filter((f) => f.onResponseHeaders).reverse();
  }

  /** Routes come from the view current when the request starts, so RDS updates reach open connections. */
  routeConfig(view: ConfigView): RouteConfiguration | undefined {
    return this.hcm.routeConfig ?? view.routes.get(this.hcm.routeConfigName as string);
  }
}
