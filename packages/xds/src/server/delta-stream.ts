import type { CancelWatch, DeltaResponse } from '../cache/cache';
import type { DeltaDiscoveryRequest, DeltaDiscoveryResponse } from '../discovery';
import { isFullStateType, pushRank } from '../type-urls';
import { AdsStream } from './ads-stream';

interface InFlight {
  response: DeltaResponse;
  /** What the client held for those names before, restored if it NACKs. */
  before: Map<string, string | undefined>;
}

interface TypeState {
  subscription: Set<string> | '*';
  /** What the client holds: name → version (assumed applied once sent; undone on NACK). */
  known: Map<string, string>;
  rejected: Map<string, string>;
  /** Sent and not yet answered, by nonce: a change can go out as its additions, then its removals. */
  inFlight: Map<string, InFlight>;
  cancel?: CancelWatch;
}

/**
 * One incremental (delta) ADS stream: only changed resources and removed names are
 * sent; subscriptions change by `resource_names_subscribe` / `_unsubscribe`; a
 * reconnecting client declares what it holds in `initial_resource_versions`.
 */
export class DeltaStream extends AdsStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse, DeltaResponse, TypeState> {
  protected readonly requestName = 'DeltaDiscoveryRequest';

  protected handleType(typeUrl: string, request: DeltaDiscoveryRequest): void {
    const subscribe = request.resource_names_subscribe ?? [];
    let state = this.types.get(typeUrl);
    if (!state) {
      const legacyWildcard = subscribe.length === 0 && isFullStateType(typeUrl);
      state = {
        subscription: legacyWildcard ? '*' : new Set(),
        known: new Map(Object.entries(request.initial_resource_versions ?? {})),
        rejected: new Map(),
        inFlight: new Map(),
      };
      this.types.set(typeUrl, state);
    }
    const nonce = request.response_nonce ?? '';
    if (nonce !== '' && state.inFlight.has(nonce)) this.answer(typeUrl, state, nonce, request.error_detail?.message);
    this.updateSubscription(state, subscribe, request.resource_names_unsubscribe ?? []);
    this.status.subscribed(typeUrl, state.subscription);
    if (state.inFlight.size === 0) this.watch(typeUrl, state);
  }

  private answer(typeUrl: string, state: TypeState, nonce: string, nackMessage: string | undefined): void {
    const { response, before } = state.inFlight.get(nonce)!;
    state.inFlight.delete(nonce);
    if (nackMessage === undefined) {
      this.status.acked(typeUrl, response.systemVersion);
      return;
    }
    this.status.nacked(typeUrl, response.systemVersion, nonce, nackMessage);
    for (const resource of response.resources) state.rejected.set(resource.name, resource.version);
    for (const [name, version] of before) {
      if (version === undefined) state.known.delete(name);
      else state.known.set(name, version);
    }
  }

  private updateSubscription(state: TypeState, subscribe: string[], unsubscribe: string[]): void {
    if (subscribe.includes('*')) state.subscription = '*';
    if (unsubscribe.includes('*')) state.subscription = new Set();
    if (state.subscription !== '*') {
      for (const name of subscribe) if (name !== '*') state.subscription.add(name);
      for (const name of unsubscribe) state.subscription.delete(name);
    }
    // The client forgets what it unsubscribed from; so do we, so a resubscribe resends it.
    for (const name of unsubscribe) state.known.delete(name);
  }

  private watch(typeUrl: string, state: TypeState): void {
    state.cancel?.();
    state.cancel = this.watcher.watchDelta(
      { node: this.node!, typeUrl, subscription: state.subscription, knownResources: state.known, rejectedResources: state.rejected },
      (response) => this.queue.push(response),
    );
  }

  /**
   * Make-before-break: every type's additions and updates in push order, then every removal in
   * reverse. A response that does both is sent as two, so a cluster that a route still names is
   * not removed before the route that replaces it has arrived.
   */
  protected flush(batch: DeltaResponse[]): void {
    const additions = batch.filter((r) => r.resources.length > 0).map((r) => ({ ...r, removed: [] }));
    const removals = batch.filter((r) => r.removed.length > 0).map((r) => ({ ...r, resources: [] }));
    additions.sort((a, b) => pushRank(a.typeUrl) - pushRank(b.typeUrl));
    removals.sort((a, b) => pushRank(b.typeUrl) - pushRank(a.typeUrl));
    for (const response of [...additions, ...removals]) this.send(response);
  }

  private send(response: DeltaResponse): void {
    if (this.closed) return;
    const state = this.types.get(response.typeUrl)!;
    const nonce = this.nextNonce();
    const before = new Map<string, string | undefined>();
    for (const resource of response.resources) {
      before.set(resource.name, state.known.get(resource.name));
      state.known.set(resource.name, resource.version);
    }
    for (const name of response.removed) {
      before.set(name, state.known.get(name));
      state.known.delete(name);
    }
    state.inFlight.set(nonce, { response, before });
    this.status.sent(response.typeUrl, response.systemVersion, nonce);
    this.call.write({
      system_version_info: response.systemVersion,
      resources: response.resources.map((r) => ({ name: r.name, version: r.version, resource: r.any })),
      type_url: response.typeUrl,
      removed_resources: response.removed,
      nonce,
      control_plane: { identifier: this.controlPlaneId },
    });
  }
}
