// Load balancing policies over the currently eligible hosts. Like Envoy, when every host
// is ejected the balancer "panics" and uses all healthy hosts rather than failing.
import { createHash } from 'node:crypto';
import { LbPolicy } from '../config/model';
import { Host } from './host';

export interface LoadBalancer {
  /** `hashKey` is used by RING_HASH only; absent = random point on the ring. */
  pick(hosts: readonly Host[], hashKey: string | undefined): Host | undefined;
}

export function eligible(hosts: readonly Host[], now: number): Host[] {
  const healthy = hosts.filter((h) => h.healthy);
  const available = healthy.filter((h) => !h.isEjected(now));
  return available.length > 0 ? available : healthy;
}

/** Weighted round robin: each host appears in the rotation `weight` times, interleaved. */
class RoundRobin implements LoadBalancer {
  private next = 0;

  pick(hosts: readonly Host[]): Host | undefined {
    if (hosts.length === 0) return undefined;
    let total = 0;
    for (const h of hosts) total += h.weight;
    let slot = this.next++ % total;
    if (this.next >= Number.MAX_SAFE_INTEGER) this.next = 0;
    for (const h of hosts) {
      if (slot < h.weight) return h;
      slot -= h.weight;
    }
    return hosts[0];
  }
}

/** Power of two choices on active requests, weight-adjusted (Envoy's default for LEAST_REQUEST). */
class LeastRequest implements LoadBalancer {
  pick(hosts: readonly Host[]): Host | undefined {
    if (hosts.length <= 1) return hosts[0];
    const a = hosts[Math.floor(Math.random() * hosts.length)];
    let b = hosts[Math.floor(Math.random() * (hosts.length - 1))];
    if (b === a) b = hosts[hosts.length - 1];
    const load = (h: Host): number => (h.activeRequests + 1) / h.weight;
    return load(b) < load(a) ? b : a;
  }
}

const VNODES_PER_WEIGHT = 64;

function hash32(s: string): number {
  return createHash('md5').update(s).digest().readUInt32BE(0);
}

/** Consistent hashing: the same key keeps going to the same host while it stays eligible. */
class RingHash implements LoadBalancer {
  private ringFor: readonly Host[] | undefined;
  private points: Uint32Array = new Uint32Array(0);
  private owners: Host[] = [];

  private build(hosts: readonly Host[]): void {
    const entries: Array<[number, Host]> = [];
    for (const h of hosts) {
      for (let i = 0; i < h.weight * VNODES_PER_WEIGHT; i++) entries.push([hash32(`${h.key}_${i}`), h]);
    }
    entries.sort((x, y) => x[0] - y[0]);
    this.points = Uint32Array.from(entries.map((e) => e[0]));
    this.owners = entries.map((e) => e[1]);
    this.ringFor = hosts;
  }

  pick(hosts: readonly Host[], hashKey: string | undefined): Host | undefined {
    if (hosts.length === 0) return undefined;
    if (!sameHosts(this.ringFor, hosts)) this.build(hosts);
    const h = hashKey === undefined ? Math.floor(Math.random() * 0xffffffff) : hash32(hashKey);
    let lo = 0;
    let hi = this.points.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.points[mid] < h) lo = mid + 1;
      else hi = mid;
    }
    return this.owners[lo === this.points.length ? 0 : lo];
  }
}

function sameHosts(a: readonly Host[] | undefined, b: readonly Host[]): boolean {
  return a !== undefined && a.length === b.length && a.every((h, i) => h === b[i]);
}

export function createLoadBalancer(policy: LbPolicy): LoadBalancer {
  switch (policy) {
    case 'ROUND_ROBIN':
      return new RoundRobin();
    case 'LEAST_REQUEST':
      return new LeastRequest();
    case 'RING_HASH':
      return new RingHash();
    case 'CLUSTER_PROVIDED':
      // The cluster names each connection's host itself (ClusterRuntime.hostFor).
      return { pick: () => undefined };
  }
}
