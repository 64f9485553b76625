// IPv4/IPv6 addresses and CIDR ranges as four 32-bit words, so one prefix comparison
// serves both families. IPv4 lives in the last word and never matches an IPv6 range
// (Envoy compares families first too).

export interface IpAddress {
  readonly v6: boolean;
  readonly words: readonly [number, number, number, number];
}

export interface Cidr {
  readonly address: IpAddress;
  readonly prefixLen: number;
}

const IPV4_PART = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

function parseIpv4Word(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((p) => IPV4_PART.test(p))) return undefined;
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0) >>> 0;
}

function parseIpv6Words(text: string): [number, number, number, number] | undefined {
  let groups: number[] = [];
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parseHalf = (half: string): number[] | undefined => {
    if (half === '') return [];
    const out: number[] = [];
    const pieces = half.split(':');
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i]!;
      if (i === pieces.length - 1 && piece.includes('.')) {
        const v4 = parseIpv4Word(piece);
        if (v4 === undefined) return undefined;
        out.push(v4 >>> 16, v4 & 0xffff);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(piece)) {
        out.push(parseInt(piece, 16));
      } else {
        return undefined;
      }
    }
    return out;
  };
  const head = parseHalf(halves[0]!);
  if (head === undefined) return undefined;
  if (halves.length === 2) {
    const tail = parseHalf(halves[1]!);
    if (tail === undefined || head.length + tail.length > 7) return undefined;
    groups = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  } else {
    groups = head;
  }
  if (groups.length !== 8) return undefined;
  const w = (i: number): number => ((groups[i]! << 16) | groups[i + 1]!) >>> 0;
  return [w(0), w(2), w(4), w(6)];
}

/** Parses a textual IPv4 or IPv6 address (no zone, no brackets); undefined if malformed. */
export function parseIp(text: string): IpAddress | undefined {
  if (text.includes(':')) {
    const words = parseIpv6Words(text);
    return words && { v6: true, words };
  }
  const v4 = parseIpv4Word(text);
  return v4 === undefined ? undefined : { v6: false, words: [0, 0, 0, v4] };
}

/** Parses `addr/len` or a bare address (a host range); undefined if malformed. */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  const address = parseIp(slash < 0 ? text : text.slice(0, slash));
  if (!address) return undefined;
  const max = address.v6 ? 128 : 32;
  if (slash < 0) return { address, prefixLen: max };
  const lenText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(lenText) || Number(lenText) > max) return undefined;
  return { address, prefixLen: Number(lenText) };
}

/** True if `ip` lies inside `cidr` (same family, first prefixLen bits equal). */
export function cidrContains(cidr: Cidr, ip: IpAddress): boolean {
  if (cidr.address.v6 !== ip.v6) return false;
  let remaining = cidr.address.v6 ? cidr.prefixLen : cidr.prefixLen + 96;
  for (let i = 0; i < 4 && remaining > 0; i++) {
    const bits = Math.min(32, remaining);
    const mask = bits === 32 ? 0xffffffff : ~(0xffffffff >>> bits);
    if (((cidr.address.words[i]! ^ ip.words[i]!) & mask) !== 0) return false;
    remaining -= bits;
  }
  return true;
}
