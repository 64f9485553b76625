import { type IpAddress, parseIp } from './ip';

/** What the proxy knows about one connection (and, for HTTP, one request). */
export interface RbacContext {
  /** Peer address of the downstream connection (direct_remote_ip, source_ip). */
  sourceAddress: string;
  /** Original client address (remote_ip), e.g. from X-Forwarded-For; defaults to sourceAddress. */
  remoteAddress?: string;
  destinationAddress: string;
  destinationPort: number;
  /** TLS SNI the client asked for. */
  requestedServerName?: string;
  /** Present only when the peer presented a verified certificate (mTLS). */
  peerCertificate?: { uriSans?: readonly string[]; dnsSans?: readonly string[]; subject?: string };
  /** HTTP headers including the pseudo-headers `:method`, `:path`, `:authority`; absent for TCP. */
  headers?: Readonly<Record<string, string | readonly string[]>>;
  /** Dynamic metadata by filter name, e.g. `istio_authn` for JWT claims. */
  dynamicMetadata?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

/** One request's context with derived values computed at most once, however many matchers ask. */
export class EvaluationState {
  private sourceIp: IpAddress | null | undefined;
  private remoteIp: IpAddress | null | undefined;
  private destinationIp: IpAddress | null | undefined;
  private headerMap: Map<string, string> | undefined;

  constructor(readonly ctx: RbacContext) {}

  source(): IpAddress | null {
    if (this.sourceIp === undefined) this.sourceIp = parseIp(this.ctx.sourceAddress) ?? null;
    return this.sourceIp;
  }

  remote(): IpAddress | null {
    if (this.remoteIp === undefined) {
      this.remoteIp = this.ctx.remoteAddress === undefined ? this.source() : (parseIp(this.ctx.remoteAddress) ?? null);
    }
    return this.remoteIp;
  }

  destination(): IpAddress | null {
    if (this.destinationIp === undefined) this.destinationIp = parseIp(this.ctx.destinationAddress) ?? null;
    return this.destinationIp;
  }

  /** Header value by case-insensitive name; repeated headers are joined with ',' as Envoy does. */
  header(lowerName: string): string | undefined {
    if (!this.headerMap) {
      this.headerMap = new Map();
      for (const [name, value] of Object.entries(this.ctx.headers ?? {})) {
        this.headerMap.set(name.toLowerCase(), typeof value === 'string' ? value : value.join(','));
      }
    }
    return this.headerMap.get(lowerName);
  }

  /** The request path without query string or fragment, as url_path matches it. */
  path(): string | undefined {
    const full = this.header(':path');
    if (full === undefined) return undefined;
    const cut = full.search(/[?#]/);
    return cut < 0 ? full : full.slice(0, cut);
  }
}
