// The proxy process in one object: config store, listeners, clusters, admin server.
// `applyConfig` validates a whole snapshot (including TLS material and HTTP filter
// configs) before swapping it in; `drain` stops accepting and lets requests finish.
import * as http from 'node:http';
import { Writable } from 'node:stream';
import { ConfigStore, ConfigView } from './config/store';
import { Snapshot } from './config/model';
import { Stats } from './admin/stats';
import { AccessLog } from './admin/access-log';
import { createAdminServer } from './admin/admin-server';
import { FilterRegistry, HttpFilterFactory } from './http/filter';
import { ListenerRuntime } from './listener';
import { NetworkFilterFactory, NetworkFilterRegistry } from './network-filter';
import { Runtime } from './runtime';
import { certificateExpiries } from './tls/contexts';

export interface ProxyOptions {
  /** Admin server on 127.0.0.1; omit to run without one. */
  adminPort?: number;
  /** Access log destination; `null` disables it. Default: stdout. */
  accessLog?: Writable | null;
}

export class Proxy {
  readonly store = new ConfigStore();
  readonly stats = new Stats();
  readonly filters = new FilterRegistry({ stats: this.stats });
  readonly networkFilters = new NetworkFilterRegistry({ stats: this.stats });
  private readonly rt: Runtime;
  private readonly listeners = new Map<string, ListenerRuntime>();
  private admin: http.Server | undefined;
  private started = false;
  private draining = false;

  constructor(private readonly options: ProxyOptions = {}) {
    const log = new AccessLog(options.accessLog === undefined ? process.stdout : options.accessLog);
    this.rt = new Runtime(this.store, this.stats, log, this.filters, this.networkFilters);
    this.stats.gauge('downstream_connections_active', () =>
      [...this.listeners.values()].map((l) => ({ labels: { listener: l.name }, value: l.connections })),
    );
    this.stats.gauge('upstream_connections_active', () =>
      [...this.rt.clusters.all()].map((c) => ({ labels: { cluster: c.config.name }, value: c.h1.connections + c.h2.connections })),
    );
    this.stats.gauge('upstream_requests_active', () =>
      [...this.rt.clusters.all()].map((c) => ({ labels: { cluster: c.config.name }, value: c.activeRequests })),
    );
    this.stats.gauge('certificate_expiry_seconds', () =>
      [...certificateExpiries(this.store.current)].map(([secret, seconds]) => ({ labels: { secret }, value: seconds })),
    );
  }

  /** Register an HTTP filter factory (RBAC, WAF, ...) before applying config that uses it. */
  registerFilter(name: string, factory: HttpFilterFactory, typeUrl?: string): void {
    this.filters.register(name, factory, typeUrl);
  }

  /** Register a network filter factory (network RBAC, ...) before applying config that uses it. */
  registerNetworkFilter(name: string, factory: NetworkFilterFactory, typeUrl?: string): void {
    this.networkFilters.register(name, factory, typeUrl);
  }

  /** Validate and install a snapshot; throws with a clear message and keeps the old config on error. */
  async applyConfig(input: Snapshot | unknown): Promise<ConfigView> {
    const view = this.store.apply(input, (next) => this.preflight(next));
    this.rt.syncClusters();
    await this.syncListeners(view);
    return view;
  }

  private preflight(view: ConfigView): void {
    const contexts = this.rt.contextsFor(view);
    for (const l of view.snapshot.listeners) {
      for (const fc of [...l.filterChains, ...(l.defaultFilterChain ? [l.defaultFilterChain] : [])]) {
        const where = `listeners(${l.name}).filterChains(${fc.name})`;
        try {
          if (fc.tls) contexts.get(fc.tls.certificateSecret, fc.tls.validationSecret);
          this.networkFilters.build(fc.networkFilters);
          if (fc.network.kind === 'http') this.filters.build(fc.network.httpFilters);
        } catch (e) {
          throw new Error(`${where}: ${(e as Error).message}`);
        }
      }
    }
    for (const c of view.snapshot.clusters) {
      try {
        if (c.tls) contexts.get(c.tls.certificateSecret, c.tls.validationSecret);
      } catch (e) {
        throw new Error(`clusters(${c.name}).tls: ${(e as Error).message}`);
      }
    }
  }

  private async syncListeners(view: ConfigView): Promise<void> {
    const wanted = new Map(view.snapshot.listeners.map((l) => [l.name, l]));
    for (const [name, runtime] of this.listeners) {
      const next = wanted.get(name);
      if (!next || next.address !== runtime.config.address || (next.port !== runtime.config.port && next.port !== 0)) {
        runtime.drain();
        this.listeners.delete(name);
      }
    }
    const binds: Promise<void>[] = [];
    for (const l of wanted.values()) {
      const existing = this.listeners.get(l.name);
      if (existing) {
        existing.update(l);
        continue;
      }
      const runtime = new ListenerRuntime(this.rt, l);
      this.listeners.set(l.name, runtime);
      if (this.started && !this.draining) binds.push(runtime.listen());
    }
    await Promise.all(binds);
  }

  async start(): Promise<void> {
    this.started = true;
    await Promise.all([...this.listeners.values()].map((l) => l.listen()));
    if (this.options.adminPort !== undefined) {
      const admin = createAdminServer({
        ready: () => this.started && !this.draining,
        view: () => this.store.current,
        prometheus: () => this.stats.renderPrometheus(),
        drain: () => void this.drain(),
      });
      this.admin = admin;
      await new Promise<void>((resolve, reject) => {
        admin.once('error', reject);
        admin.listen(this.options.adminPort, '127.0.0.1', () => resolve());
      });
    }
  }

  /** Bound port of a listener (useful when the config asked for port 0). */
  listenerPort(name: string): number {
    const l = this.listeners.get(name);
    if (!l) throw new Error(`no listener named ${JSON.stringify(name)}`);
    return l.port;
  }

  get adminPort(): number | undefined {
    const a = this.admin?.address();
    return typeof a === 'object' && a ? a.port : undefined;
  }

  /** Stop accepting, finish in-flight requests, then close whatever is left after `timeoutMs`. */
  async drain(timeoutMs = 5_000): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    for (const l of this.listeners.values()) l.drain();
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && [...this.listeners.values()].some((l) => l.connections > 0)) {
      await new Promise((r) => setTimeout(r, 50));
    }
    await this.close();
  }

  async close(): Promise<void> {
    this.draining = true;
    for (const l of this.listeners.values()) l.destroy();
    this.rt.clusters.close();
    this.rt.accessLog.flush();
    const admin = this.admin;
    this.admin = undefined;
    if (admin) await new Promise<void>((r) => admin.close(() => r()));
  }
}
