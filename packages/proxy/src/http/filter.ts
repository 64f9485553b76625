// The HTTP filter chain. Filters run in configured order on the request head (and,
// when they ask for it, the request body) before the router sends the request upstream,
// and in reverse order on the response head. Filters are created per listener from
// factories registered by name or type URL, so RBAC and WAF plug in without the data
// path knowing them.
import { HttpFilterConfig, Route, ROUTER_FILTER } from '../config/model';
import { Headers } from './headers';
import type { Stats } from '../admin/stats';

export interface LocalReply {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

/** `undefined` (or `'continue'`) lets the request proceed; a local reply ends it here. */
export type FilterResult = void | 'continue' | { localReply: LocalReply };

export interface PeerInfo {
  /** SPIFFE ID from the verified client certificate; absent for plaintext peers. */
  spiffeId?: string;
  address: string;
  port: number;
}

export interface HttpFilterContext {
  readonly protocol: 'http/1.1' | 'h2';
  readonly method: string;
  readonly authority: string;
  /** Path including the query string. */
  path: string;
  readonly headers: Headers;
  readonly peer: PeerInfo;
  readonly local: { address: string; port: number };
  readonly sni?: string;
  readonly requestId: string;
  /** The matched route, once routing has run (filters see it: routing happens first, like Envoy's cached route). */
  readonly route?: Route;
  readonly listenerName: string;
  /** Free-form per-request state filters may share with each other and the access log. */
  readonly metadata: Map<string, unknown>;
}

export interface HttpResponseContext {
  status: number;
  headers: Headers;
}

export interface HttpFilter {
  onRequestHeaders(ctx: HttpFilterContext): FilterResult | Promise<FilterResult>;
  /**
   * Present only on filters that inspect bodies; the proxy then buffers the body until all have
   * continued. Called only after every header filter continued, chunk by chunk in order. A
   * promise defers that chunk's verdict (a body judged off the event loop): later chunks still
   * arrive, and nothing goes upstream until every verdict is in or the route timeout fires.
   */
  onRequestBody?(ctx: HttpFilterContext, chunk: Buffer, endOfStream: boolean): FilterResult | Promise<FilterResult>;
  onResponseHeaders?(ctx: HttpFilterContext, response: HttpResponseContext): void;
}

/** What the proxy lends a filter: where it counts its decisions (`/stats/prometheus`). */
export interface FilterEnvironment {
  stats: Stats;
}

export interface HttpFilterFactory {
  /**
   * Decode and validate `typedConfig` once per listener; throw with a clear message on bad
   * config. Without `env` (a filter used on its own, as in tests) the filter counts nothing.
   */
  create(typedConfig: unknown, env?: FilterEnvironment): HttpFilter;
}

export class FilterRegistry {
  private readonly factories = new Map<string, HttpFilterFactory>();

  constructor(private readonly env?: FilterEnvironment) {}

  /** Register under the filter name and, optionally, its typed_config type URL. */
  register(name: string, factory: HttpFilterFactory, typeUrl?: string): void {
    this.factories.set(name, factory);
    if (typeUrl) this.factories.set(typeUrl, factory);
  }

  /** Build the filters ahead of the router (the router is the proxy itself). */
  build(configs: HttpFilterConfig[]): HttpFilter[] {
    const filters: HttpFilter[] = [];
    for (const c of configs) {
      if (c.name === ROUTER_FILTER) continue;
      const factory = (c.typeUrl && this.factories.get(c.typeUrl)) || this.factories.get(c.name);
      if (!factory) throw new Error(`http filter ${JSON.stringify(c.name)}: no factory registered for this name or type URL`);
      try {
        filters.push(factory.create(c.typedConfig, this.env));
      } catch (e) {
        throw new Error(`http filter ${JSON.stringify(c.name)}: ${(e as Error).message}`);
      }
    }
    return filters;
  }
}

export function isLocalReply(r: FilterResult): r is { localReply: LocalReply } {
  return typeof r === 'object' && r !== null && 'localReply' in r;
}
