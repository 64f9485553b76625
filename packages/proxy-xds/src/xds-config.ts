import { EventEmitter } from 'node:events';
import { TypeUrl, type AdsClient, type ResourceUpdate } from '@trellis/xds';
import type { ProxyResources } from './resource-types';

type SecretConfig = ProxyResources['secret'];

export interface XdsProxyConfigEvents {
  applied: [{ listeners: number; clusters: number }];
  rejected: [Error];
  waiting: [{ missing: string[] }];
}

export interface XdsProxyConfigOptions {
  client: AdsClient;
  /** Installs a complete proxy config; throws (keeping the old one) if the proxy refuses it. */
  apply: (snapshot: unknown) => Promise<unknown>;
  /** Secrets the proxy makes itself (its workload certificate), never fetched over xDS. */
  localSecrets: () => SecretConfig[];
}

/**
 * Follows the references between xDS resources the way Envoy does — listeners name
 * route configs, clusters name endpoint sets, both name secrets — keeps the
 * subscriptions in step, and hands the proxy a config only when every referenced
 * resource has arrived, so an update never half-applies.
 */
export class XdsProxyConfig extends EventEmitter<XdsProxyConfigEvents> {
  private applying: Promise<void> | undefined;
  private again = false;

  constructor(private readonly options: XdsProxyConfigOptions) {
    super();
    options.client.on('update', (update: ResourceUpdate) => this.onUpdate(update));
  }

  start(): void {
    this.options.client.subscribe(TypeUrl.Listener, '*');
    this.options.client.subscribe(TypeUrl.Cluster, '*');
    this.options.client.start();
  }

  /** The local secrets changed (certificate rotation): re-apply with the new ones. */
  refresh(): void {
    this.schedule();
  }

  private onUpdate(update: ResourceUpdate): void {
    if (update.typeUrl === TypeUrl.Listener || update.typeUrl === TypeUrl.Cluster) this.followReferences();
    this.schedule();
  }

  private heldListeners(): ProxyResources['listener'][] {
    return [...this.options.client.resources<ProxyResources['listener']>(TypeUrl.Listener).values()];
  }

  private heldClusters(): ProxyResources['cluster'][] {
    return [...this.options.client.resources<ProxyResources['cluster']>(TypeUrl.Cluster).values()];
  }

  private references(): { routes: Set<string>; endpoints: Set<string>; secrets: Set<string> } {
    const routes = new Set<string>();
    const secrets = new Set<string>();
    for (const listener of this.heldListeners()) {
      for (const chain of [...listener.filterChains, ...(listener.defaultFilterChain ? [listener.defaultFilterChain] : [])]) {
        if (chain.network.kind === 'http' && 'routeConfigName' in chain.network && chain.network.routeConfigName) routes.add(chain.network.routeConfigName);
        if (chain.tls) [chain.tls.certificateSecret, chain.tls.validationSecret].forEach((s) => s && secrets.add(s));
      }
    }
    const endpoints = new Set<string>();
    for (const cluster of this.heldClusters()) {
      if (cluster.edsServiceName) endpoints.add(cluster.edsServiceName);
      const tls = cluster.config.tls;
      if (tls) [tls.certificateSecret, tls.validationSecret].forEach((s) => s && secrets.add(s));
    }
    for (const local of this.options.localSecrets()) secrets.delete(local.name);
    return { routes, endpoints, secrets };
  }

  private followReferences(): void {
    const { routes, endpoints, secrets } = this.references();
    this.options.client.subscribe(TypeUrl.RouteConfiguration, routes);
    this.options.client.subscribe(TypeUrl.ClusterLoadAssignment, endpoints);
    this.options.client.subscribe(TypeUrl.Secret, secrets);
  }

  private schedule(): void {
    if (this.applying) {
      this.again = true;
      return;
    }
    this.applying = this.applyIfComplete().finally(() => {
      this.applying = undefined;
      if (this.again) {
        this.again = false;
        this.schedule();
      }
    });
  }

  private async applyIfComplete(): Promise<void> {
    const { client } = this.options;
    const { routes, endpoints, secrets } = this.references();
    const held = {
      routes: client.resources<ProxyResources['route']>(TypeUrl.RouteConfiguration),
      endpoints: client.resources<ProxyResources['endpoints']>(TypeUrl.ClusterLoadAssignment),
      secrets: client.resources<SecretConfig>(TypeUrl.Secret),
    };
    const missing = [
      ...[...routes].filter((n) => !held.routes.has(n)).map((n) => `RDS ${n}`),
      ...[...endpoints].filter((n) => !held.endpoints.has(n)).map((n) => `EDS ${n}`),
      ...[...secrets].filter((n) => !held.secrets.has(n)).map((n) => `SDS ${n}`),
    ];
    if (missing.length > 0) {
      this.emit('waiting', { missing });
      return;
    }
    const clusters = this.heldClusters();
    const snapshot = {
      listeners: this.heldListeners(),
      routes: [...routes].map((n) => held.routes.get(n)!),
      clusters: clusters.map((c) => c.config),
      // Endpoints are keyed by the cluster that asked for them.
      endpoints: clusters.filter((c) => c.edsServiceName).map((c) => ({ ...held.endpoints.get(c.edsServiceName!)!, clusterName: c.config.name })),
      secrets: [...[...secrets].map((n) => held.secrets.get(n)!), ...this.options.localSecrets()],
    };
    try {
      await this.options.apply(snapshot);
      this.emit('applied', { listeners: snapshot.listeners.length, clusters: snapshot.clusters.length });
    } catch (error) {
      this.emit('rejected', error as Error);
    }
  }
}
