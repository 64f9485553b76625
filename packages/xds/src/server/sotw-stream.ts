import type { CancelWatch, Resource, SotwResponse, Subscription } from '../cache/cache';
import type { DiscoveryRequest, DiscoveryResponse } from '../discovery';
import { isFullStateType, pushRank } from '../type-urls';
import { AdsStream } from './ads-stream';

interface TypeState {
  subscription: Subscription;
  /** Explicit names were ever requested: an empty list then means "none", not wildcard. */
  named: boolean;
  nonce: string;
  sent?: SotwResponse;
  /** The last response was ACKed or NACKed: later requests with its nonce only change subscriptions. */
  answered: boolean;
  /** Resource name → version the client holds, from the responses it ACKed. */
  acked: Map<string, string>;
  /** For full-state types (LDS, CDS): what the client holds, for make-before-break. */
  ackedResources: readonly Resource[];
  ackedVersion: string;
  rejectedVersion?: string;
  cancel?: CancelWatch;
}

/**
 * One State-of-the-World ADS stream. At most one response per type is in flight:
 * the next is computed only when the client ACKs or NACKs the last (by nonce), so
 * a slow client is never flooded, and a NACKed version is never offered again.
 */
export class SotwStream extends AdsStream<DiscoveryRequest, DiscoveryResponse, SotwResponse, TypeState> {
  protected readonly requestName = 'DiscoveryRequest';

  protected handleType(typeUrl: string, request: DiscoveryRequest): void {
    let state = this.types.get(typeUrl);
    if (!state) {
      state = { subscription: new Set(), named: false, nonce: '', answered: false, acked: new Map(), ackedResources: [], ackedVersion: request.version_info ?? '' };
      this.types.set(typeUrl, state);
    }
    const nonce = request.response_nonce ?? '';
    if (nonce !== '' && nonce !== state.nonce) return; // stale: answers a response the client has since been sent a newer one for
    if (nonce !== '' && state.sent && !state.answered) {
      state.answered = true;
      if (request.error_detail) {
        state.rejectedVersion = state.sent.version;
        this.status.nacked(typeUrl, state.sent.version, nonce, request.error_detail.message ?? '');
      } else {
        recordAck(typeUrl, state, state.sent.resources);
        state.ackedVersion = state.sent.version;
        state.rejectedVersion = undefined;
        this.status.acked(typeUrl, state.sent.version);
      }
    }
    this.updateSubscription(typeUrl, state, request.resource_names ?? []);
    this.watch(typeUrl, state);
  }

  private updateSubscription(typeUrl: string, state: TypeState, names: string[]): void {
    if (names.includes('*')) state.subscription = '*';
    else if (names.length === 0 && !state.named && isFullStateType(typeUrl)) state.subscription = '*';
    else {
      state.named = true;
      state.subscription = new Set(names);
      // The client drops what it no longer asks for; forget it too, so a resubscribe resends it.
      const subscribed = state.subscription;
      if ([...state.acked.keys()].some((name) => !subscribed.has(name))) {
        state.acked = new Map([...state.acked].filter(([name]) => subscribed.has(name)));
        state.ackedResources = state.ackedResources.filter((r) => subscribed.has(r.name));
      }
    }
    this.status.subscribed(typeUrl, state.subscription);
  }

  private watch(typeUrl: string, state: TypeState): void {
    state.cancel?.();
    state.cancel = undefined;
    if (state.subscription !== '*' && state.subscription.size === 0) return;
    state.cancel = this.watcher.watchSotw(
      {
        node: this.node!,
        typeUrl,
        subscription: state.subscription,
        knownVersion: state.ackedVersion,
        knownResources: state.acked,
        ...(state.rejectedVersion === undefined ? {} : { rejectedVersion: state.rejectedVersion }),
      },
      (response) => this.queue.push(response),
    );
  }

  /**
   * Send a batch in make-before-break order. A full-state response that drops
   * resources is sent first as the union of old and new, and again without them
   * at the end, so nothing still in use disappears before what replaces it exists.
   */
  protected flush(batch: SotwResponse[]): void {
    batch.sort((a, b) => pushRank(a.typeUrl) - pushRank(b.typeUrl));
    const removals: SotwResponse[] = [];
    const ordered: SotwResponse[] = [];
    for (const response of batch) {
      const kept = droppedResources(response, this.types.get(response.typeUrl)?.ackedResources ?? []);
      if (kept.length > 0 && batch.length > 1) {
        ordered.push({ ...response, version: `${response.version}+mbb`, resources: [...response.resources, ...kept] });
        removals.unshift(response);
      } else {
        ordered.push(response);
      }
    }
    for (const response of [...ordered, ...removals]) this.send(response);
  }

  private send(response: SotwResponse): void {
    if (this.closed) return;
    const state = this.types.get(response.typeUrl)!;
    state.nonce = this.nextNonce();
    state.sent = response;
    state.answered = false;
    this.status.sent(response.typeUrl, response.version, state.nonce);
    this.call.write({
      version_info: response.version,
      resources: response.resources.map((r) => r.any),
      type_url: response.typeUrl,
      nonce: state.nonce,
      control_plane: { identifier: this.controlPlaneId },
    });
  }
}

/**
 * What the client holds once it ACKs `sent`: a full-state response replaces everything; for the
 * other types a response carries only changes, so the client keeps the rest.
 */
function recordAck(typeUrl: string, state: TypeState, sent: readonly Resource[]): void {
  if (isFullStateType(typeUrl)) {
    state.acked = new Map(sent.map((r) => [r.name, r.version]));
    state.ackedResources = sent;
    return;
  }
  for (const r of sent) state.acked.set(r.name, r.version);
}

/** Resources of a full-state type that the client holds and this response would delete. */
function droppedResources(response: SotwResponse, held: readonly Resource[]): Resource[] {
  if (!isFullStateType(response.typeUrl) || held.length === 0) return [];
  const next = new Set(response.resources.map((r) => r.name));
  return held.filter((r) => !next.has(r.name));
}
