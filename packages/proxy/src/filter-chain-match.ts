// Which filter chain serves a connection, in Envoy's order: destination port, destination
// IP (longest prefix range), server name, transport protocol, ALPN. At each step the chains
// that name the property and match win; if none does, those that do not name it stay.
import * as net from 'node:net';
import type { CidrRange, FilterChainMatch } from './config/model';
import type { Detected } from './inbound/detect';

/** Where a connection was addressed: its local end, or its original destination if redirected. */
export interface Destination {
  address: string;
  port: number;
}

const familyOf = (address: string) => (net.isIPv6(address) ? 'ipv6' : 'ipv4');

/** An IPv4 address on a dual-stack socket shows as ::ffff:a.b.c.d; prefix ranges name it as a.b.c.d. */
function unmapped(address: string): string {
  return address.startsWith('::ffff:') && net.isIPv4(address.slice(7)) ? address.slice(7) : address;
}

/** A chain's match, with its prefix ranges ready to test addresses against. */
export class CompiledMatch {
  private readonly prefixes: { block: net.BlockList; prefixLen: number }[] | undefined;

  constructor(readonly match: FilterChainMatch) {
    this.prefixes = match.prefixRanges?.map((range: CidrRange) => {
      const block = new net.BlockList();
      block.addSubnet(range.addressPrefix, range.prefixLen, familyOf(range.addressPrefix));
      return { block, prefixLen: range.prefixLen };
    });
  }

  get hasPrefixes(): boolean {
    return this.prefixes !== undefined;
  }

  /** The longest of the prefix ranges that holds `address`, or -1 if none does. */
  longestPrefix(address: string): number {
    const family = familyOf(address);
    return Math.max(-1, ...(this.prefixes ?? []).filter((p) => p.block.check(address, family)).map((p) => p.prefixLen));
  }
}

export function selectChain<T extends { compiled: CompiledMatch }>(chains: readonly T[], destination: Destination, d: Detected): T | undefined {
  let candidates = chains;
  const narrow = <V>(get: (m: FilterChainMatch) => V | undefined, matches: (v: V) => boolean): void => {
    const specific = candidates.filter((c) => get(c.compiled.match) !== undefined && matches(get(c.compiled.match) as V));
    candidates = specific.length > 0 ? specific : candidates.filter((c) => get(c.compiled.match) === undefined);
  };
  narrow((m) => m.destinationPort, (p) => p === destination.port);
  const address = unmapped(destination.address);
  // One prefix test per chain: a captured proxy's outbound listener has a chain per endpoint.
  const prefixLens = candidates.map((c) => c.compiled.longestPrefix(address));
  const longest = Math.max(-1, ...prefixLens);
  candidates = longest >= 0 ? candidates.filter((_, i) => prefixLens[i] === longest) : candidates.filter((c) => !c.compiled.hasPrefixes);
  narrow((m) => m.serverNames, (names) => d.sni !== undefined && names.some((n) => serverNameMatches(n, d.sni as string)));
  narrow((m) => m.transportProtocol, (t) => t === d.transport);
  narrow((m) => m.applicationProtocols, (ps) => ps.some((p) => d.applicationProtocols.includes(p)));
  return candidates[0];
}

function serverNameMatches(pattern: string, sni: string): boolean {
  return pattern.startsWith('*.') ? sni.endsWith(pattern.slice(1)) : pattern === sni;
}
