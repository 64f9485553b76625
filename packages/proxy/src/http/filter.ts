// The HTTP filter chain. Filters run in configured order on the request head (and,
// when they ask for it, the request body) before the router sends the request upstream,
// and in reverse order on the response head. Filters are created per listener from
// factories registered by name or type URL, so RBAC and WAF plug in without the data
// path knowing them.
import { HttpFilterConfig, Route, ROUTER_FILTER } from '../config/model';
import { Headers } from './headers';
import { FilterFactories, type FilterEnvironment, type FilterFactory } from '../filter-factories';

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
  /**
   * False when the request ends with its head (no body, Content-Length: 0, an HTTP/2 stream
   * ended with its headers): no body hook is called for it, so filters judge it whole there.
   */
  readonly hasBody: boolean;
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

export type HttpFilterFactory = FilterFactory<HttpFilter>;

export class FilterRegistry extends FilterFactories<HttpFilter> {
  constructor(env?: FilterEnvironment) {
    super('http filter', env);
  }

  /** Build the filters ahead of the router (the router is the proxy itself). */
  build(configs: HttpFilterConfig[]): HttpFilter[] {
    return configs.filter((c) => c.name !== ROUTER_FILTER).map((c) => this.create(c));
  }
}

export function isLocalReply(r: FilterResult): r is { localReply: LocalReply } {
  return typeof r === 'object' && r !== null && 'localReply' in r;
}
