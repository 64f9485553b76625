// Runtime state per cluster — hosts, balancer, outlier detector, connection pools,
// circuit-breaker counters — reconciled against each new config view. Hosts and pools
// persist across updates so an EDS push does not reset connections or outlier state.
import { Socket } from 'node:net';
import { Cluster, ClusterLoadAssignment } from '../config/model';
import { ConfigView } from '../config/store';
import { Host } from '../balance/host';
import { createLoadBalancer, eligible, LoadBalancer } from '../balance/load-balancer';
import { OutlierDetector } from '../balance/outlier';
import { HealthChecker } from '../balance/health-checker';
import { H1Pool } from '../pool/h1-pool';
import { H2Pool } from '../pool/h2-pool';
import { SecureContexts } from '../tls/contexts';
import { connectUpstream } from './originate-tls';
import { Stats } from '../admin/stats';
import type { Destination } from '../filter-chain-match';

export class ClusterRuntime {
  hosts: Host[] = [];
  activeRequests = 0;
  activeRetries = 0;
  private lb: LoadBalancer;
  private outlier: OutlierDetector | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private healthChecker: HealthChecker | undefined;
  readonly h1: H1Pool;
  readonly h2: H2Pool;
  private contexts: SecureContexts;

  constructor(public config: Cluster, view: ConfigView, contexts: SecureContexts, private readonly stats: Stats) {
    this.contexts = contexts;
    this.lb = createLoadBalancer(config.lbPolicy);
    this.h1 = new H1Pool((host, done) => this.open(host, ['http/1.1'], false, done), this.poolLimits());
    this.h2 = new H2Pool((host, done) => this.open(host, ['h2'], false, done), config.idleTimeoutMs);
    this.update(config, view, contexts);
  }

  /** A dedicated connection for opaque TCP (half-close allowed, no ALPN). */
  connect(host: Host, done: (err: Error | null, socket?: Socket) => void): void {
    this.open(host, [], true, done);
  }

  private open(host: Host, alpn: string[], allowHalfOpen: boolean, done: (err: Error | null, socket?: Socket) => void): void {
    connectUpstream(
      {
        cluster: this.config,
        host,
        contexts: this.contexts,
        alpn,
        allowHalfOpen,
        onTlsHandshake: (ok) => this.stats.inc(ok ? 'upstream_tls_handshakes_total' : 'upstream_tls_handshake_failures_total', { cluster: this.config.name }),
      },
      done,
    );
  }

  private poolLimits(): { maxConnections: number; maxPendingRequests: number; idleTimeoutMs: number } {
    const cb = this.config.circuitBreakers;
    return { maxConnections: cb.maxConnections, maxPendingRequests: cb.maxPendingRequests, idleTimeoutMs: this.config.idleTimeoutMs };
  }

  update(config: Cluster, view: ConfigView, contexts: SecureContexts): void {
    if (config.lbPolicy !== this.config.lbPolicy) this.lb = createLoadBalancer(config.lbPolicy);
    this.config = config;
    this.contexts = contexts;
    this.h1.setLimits(this.poolLimits());
    this.outlier = config.outlierDetection ? new OutlierDetector(config.outlierDetection) : undefined;
    clearInterval(this.sweepTimer);
    if (config.outlierDetection) {
      this.sweepTimer = setInterval(() => this.outlier?.sweep(this.hosts, Date.now()), config.outlierDetection.intervalMs);
      this.sweepTimer.unref();
    }
    this.healthChecker?.stop();
    this.healthChecker = config.healthChecks
      ? new HealthChecker(config.healthChecks, () => this.hosts, (host, done) => this.connect(host, done), (host, healthy) =>
          this.stats.inc('health_check_transitions_total', { cluster: this.config.name, to: healthy ? 'healthy' : 'unhealthy', host: host.key }),
        )
      : undefined;
    this.reconcileHosts(view.loadAssignment(config));
  }

  private reconcileHosts(assignment: ClusterLoadAssignment | undefined): void {
    const previous = new Map(this.hosts.map((h) => [h.key, h]));
    const next: Host[] = [];
    for (const e of assignment?.endpoints ?? []) {
      const key = `${e.address}:${e.port}`;
      let host = previous.get(key);
      if (host) {
        previous.delete(key);
        host.weight = e.weight;
        host.healthStatus = e.healthStatus;
      } else {
        host = new Host(e.address, e.port, e.weight, e.healthStatus);
      }
      next.push(host);
    }
    for (const gone of previous.values()) {
      gone.removed = true;
      this.h1.dropHost(gone);
      this.h2.dropHost(gone);
    }
    this.hosts = next;
  }

  pickHost(hashKey: string | undefined, avoid?: Host): Host | undefined {
    const candidates = eligible(this.hosts, Date.now());
    if (avoid && candidates.length > 1) {
      const others = candidates.filter((h) => h !== avoid);
      return this.lb.pick(others, hashKey);
    }
    return this.lb.pick(candidates, hashKey);
  }

  /**
   * The host for one TCP connection: the balancer's pick, or for an ORIGINAL_DST cluster the
   * address the connection was going to (a host of its own, which lives as long as the connection).
   */
  hostFor(destination: Destination, hashKey: string | undefined): Host | undefined {
    return this.config.type === 'ORIGINAL_DST' ? new Host(destination.address, destination.port, 1, 'HEALTHY') : this.pickHost(hashKey);
  }

  /** Feed a request outcome to outlier detection; `failed` = 5xx, connect failure or reset. */
  recordOutcome(host: Host, failed: boolean): void {
    if (this.outlier?.record(host, this.hosts, failed, Date.now())) {
      this.stats.inc('outlier_ejections_total', { cluster: this.config.name });
    }
  }

  close(): void {
    clearInterval(this.sweepTimer);
    this.healthChecker?.stop();
    this.h1.close();
    this.h2.close();
  }
}

export class ClusterManager {
  private readonly clusters = new Map<string, ClusterRuntime>();

  constructor(private readonly stats: Stats) {}

  get(name: string): ClusterRuntime | undefined {
    return this.clusters.get(name);
  }

  all(): IterableIterator<ClusterRuntime> {
    return this.clusters.values();
  }

  apply(view: ConfigView, contexts: SecureContexts): void {
    const seen = new Set<string>();
    for (const c of view.clusters.values()) {
      seen.add(c.name);
      const existing = this.clusters.get(c.name);
      if (existing) existing.update(c, view, contexts);
      else this.clusters.set(c.name, new ClusterRuntime(c, view, contexts, this.stats));
    }
    for (const [name, runtime] of this.clusters) {
      if (!seen.has(name)) {
        runtime.close();
        this.clusters.delete(name);
      }
    }
  }

  close(): void {
    for (const c of this.clusters.values()) c.close();
    this.clusters.clear();
  }
}
