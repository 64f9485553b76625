// Per filter chain HTTP settings, shared by every connection accepted on that chain. A
// config change reconfigures the chain in place, so open connections' next requests run
// the new filters (an authorization change must not wait for connections to close).
import { HttpConnectionManager, RouteConfiguration } from '../config/model';
import { ConfigView } from '../config/store';
import { FilterRegistry, HttpFilter } from './filter';

export interface PeerTls {
  spiffeId?: string;
  sni?: string;
}

export class HttpChain {
  filters!: HttpFilter[];
  bodyFilters!: HttpFilter[];
  responseFilters!: HttpFilter[];
  hcm!: HttpConnectionManager;

  constructor(readonly listenerName: string, hcm: HttpConnectionManager, registry: FilterRegistry) {
    this.reconfigure(hcm, registry);
  }

  /** Requests already past their filters keep the ones they ran; the next requests use these. */
  reconfigure(hcm: HttpConnectionManager, registry: FilterRegistry): void {
    const filters = registry.build(hcm.httpFilters);
    this.hcm = hcm;
    this.filters = filters;
    this.bodyFilters = filters.filter((f) => f.onRequestBody);
    this.responseFilters = filters.filter((f) => f.onResponseHeaders).reverse();
  }

  /** Routes come from the view current when the request starts, so RDS updates reach open connections. */
  routeConfig(view: ConfigView): RouteConfiguration | undefined {
    return this.hcm.routeConfig ?? view.routes.get(this.hcm.routeConfigName as string);
  }
}
