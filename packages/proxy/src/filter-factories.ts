// Filters plug in by name or typed_config type URL, so the data path never knows RBAC, the
// WAF or OpenAPI: HTTP and network filters share this lookup and its error wording.
import type { FilterConfig } from './config/model';
import type { Stats } from './admin/stats';

/** What the proxy lends a filter: where it counts its decisions (`/stats/prometheus`). */
export interface FilterEnvironment {
  stats: Stats;
}

export interface FilterFactory<F> {
  /**
   * Decode and validate `typedConfig` once per config; throw with a clear message on bad
   * config. Without `env` (a filter used on its own, as in tests) the filter counts nothing.
   */
  create(typedConfig: unknown, env?: FilterEnvironment): F;
}

export class FilterFactories<F> {
  private readonly factories = new Map<string, FilterFactory<F>>();

  /** `kind` names the filters in errors ("http filter", "network filter"). */
  constructor(private readonly kind: string, private readonly env?: FilterEnvironment) {}

  /** Register under the filter name and, optionally, its typed_config type URL. */
  register(name: string, factory: FilterFactory<F>, typeUrl?: string): void {
    this.factories.set(name, factory);
    if (typeUrl) this.factories.set(typeUrl, factory);
  }

  /** Build one configured filter; errors name the filter. */
  create(config: FilterConfig): F {
    const factory = (config.typeUrl && this.factories.get(config.typeUrl)) || this.factories.get(config.name);
    if (!factory) throw new Error(`${this.kind} ${JSON.stringify(config.name)}: no factory registered for this name or type URL`);
    try {
      return factory.create(config.typedConfig, this.env);
    } catch (e) {
      throw new Error(`${this.kind} ${JSON.stringify(config.name)}: ${(e as Error).message}`);
    }
  }
}
