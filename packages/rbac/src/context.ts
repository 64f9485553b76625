import { type IpAddress, parseIp } from './ip';

/**
 * A request's values of one header, asked for only when a matcher needs them, so a proxy can
 * hand over its own header list instead of copying it per request. Names are asked in lower
 * case and must be matched case-insensitively; a repeated header gives its values in order.
 */
export type HeaderLookup = (lowerName: string) => string | readonly string[] | undefined;

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
  /** HTTP headers including the pseudo-headers `:method`, `:path`, `:authority`, as a record or a lookup; absent for TCP. */
  headers?: Readonly<Record<string, string | readonly string[]>> | HeaderLookup;
  /** Dynamic metadata by filter name, e.g. `istio_authn` for JWT claims. */
  dynamicMetadata?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

/** One request's context with derived values computed at most once, however many matchers ask. */
export class EvaluationState {
  private sourceIp: IpAddress | null | undefined;
  private remoteIp: IpAddress | null | undefined;
  private destinationIp: IpAddress | null | undefined;
  private mixedCaseNames: Map<string, string> | null | undefined;
  private urlPath: string | null | undefined;
  private peerNames: readonly string[] | undefined;
  private peerNamespaces: readonly string[] | undefined;

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
    const headers = this.ctx.headers;
    if (headers === undefined) return undefined;
    const value = typeof headers === 'function' ? headers(lowerName) : this.recordHeader(headers, lowerName);
    if (value === undefined) return undefined;
    return typeof value === 'string' ? value : value.join(',');
  }

  private recordHeader(headers: Readonly<Record<string, string | readonly string[]>>, lowerName: string): string | readonly string[] | undefined {
    // Proxies hand over lower-case names (HTTP/2 requires them), so look there first.
    const value = Object.hasOwn(headers, lowerName) ? headers[lowerName] : undefined;
    if (value !== undefined) return value;
    if (this.mixedCaseNames === undefined) this.mixedCaseNames = mixedCaseNames(headers);
    const name = this.mixedCaseNames?.get(lowerName);
    return name === undefined ? undefined : headers[name];
  }

  /** What authenticated.principal_name is matched against: URI SANs, DNS SANs, then the subject; none without a peer certificate. */
  principalNames(): readonly string[] {
    if (this.peerNames === undefined) {
      const cert = this.ctx.peerCertificate;
      if (cert === undefined) this.peerNames = [];
      // The usual mesh peer has URI SANs only: use that list as is rather than copy it.
      else if (cert.dnsSans === undefined && cert.subject === undefined) this.peerNames = cert.uriSans ?? [];
      else this.peerNames = [...(cert.uriSans ?? []), ...(cert.dnsSans ?? []), ...(cert.subject === undefined ? [] : [cert.subject])];
    }
    return this.peerNames;
  }

  /**
   * The segments that follow `/ns/` (up to the next `/`) in the principal names: what Istio's
   * `namespaces` source, the regex `.*\/ns/<namespace>/.*`, needs to find.
   */
  principalNamespaces(): readonly string[] {
    if (this.peerNamespaces === undefined) {
      const namespaces: string[] = [];
      for (const name of this.principalNames()) {
        // Occurrences may overlap ("/ns/ns/a/"), so each search starts one past the last.
        for (let at = name.indexOf('/ns/'); at >= 0; at = name.indexOf('/ns/', at + 1)) {
          const end = name.indexOf('/', at + 4);
          if (end < 0) break;
          namespaces.push(name.slice(at + 4, end));
        }
      }
      this.peerNamespaces = namespaces;
    }
    return this.peerNamespaces;
  }

  /** The request path without query string or fragment, as url_path matches it. */
  path(): string | undefined {
    if (this.urlPath === undefined) {
      const full = this.header(':path');
      this.urlPath = full === undefined ? null : cutAt(cutAt(full, '?'), '#');
    }
    return this.urlPath ?? undefined;
  }
}

/** lower-case → actual name, for the header names that are not lower-case; null if none. */
function mixedCaseNames(headers: Readonly<Record<string, unknown>>): Map<string, string> | null {
  let names: Map<string, string> | null = null;
  for (const name of Object.keys(headers)) {
    const lower = name.toLowerCase();
    if (lower !== name) (names ??= new Map()).set(lower, name);
  }
  return names;
}

function cutAt(text: string, marker: string): string {
  const at = text.indexOf(marker);
  return at < 0 ? text : text.slice(0, at);
}
