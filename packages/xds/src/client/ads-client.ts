import * as grpc from '@grpc/grpc-js';
import { EventEmitter } from 'node:events';
import type { AnyMessage } from '../any';
import { contentVersion } from '../any';
import {
  adsServiceDefinition, type DeltaDiscoveryRequest, type DeltaDiscoveryResponse, type DiscoveryRequest, type DiscoveryResponse, type NodeMessage,
} from '../discovery';
import { jsonToStruct } from '../struct';
import { isFullStateType, pushRank, shortTypeName } from '../type-urls';
import { Backoff, type BackoffOptions } from './backoff';
import type { Decoded, ResourceType } from './resource-type';

export interface AdsClientOptions {
  /** gRPC target of the management server, e.g. `127.0.0.1:15010`. */
  target: string;
  /** A function is called at every (re)connect: rotated client certificates take effect there. */
  credentials: grpc.ChannelCredentials | (() => grpc.ChannelCredentials);
  channelOptions?: grpc.ChannelOptions;
  node: { id: string; cluster?: string; metadata?: Record<string, unknown> };
  protocol?: 'sotw' | 'delta';
  types: ResourceType<unknown>[];
  backoff?: BackoffOptions;
  /** Extra call metadata on every stream (e.g. an authorization token). */
  metadata?: () => grpc.Metadata;
}

export interface ResourceUpdate<T = unknown> {
  typeUrl: string;
  version: string;
  /** Everything held for the type after the update. */
  resources: ReadonlyMap<string, T>;
  updated: string[];
  removed: string[];
}

export interface TypeClientStatus {
  typeUrl: string;
  type: string;
  subscription: string[] | '*';
  version: string;
  nonce: string;
  resources: number;
  lastNack?: { nonce: string; message: string; at: Date };
}

export interface AdsClientEvents {
  update: [ResourceUpdate];
  nack: [{ typeUrl: string; nonce: string; message: string }];
  connected: [];
  disconnected: [{ code?: number; details: string }];
}

interface TypeState {
  type: ResourceType<unknown>;
  subscription: Set<string> | '*';
  version: string;
  nonce: string;
  resources: Map<string, unknown>;
  /** Per-resource versions (delta's, or content hashes in SotW) to resume with. */
  versions: Map<string, string>;
  lastNack?: TypeClientStatus['lastNack'];
}

/** Built on first use: loading Envoy's protos waits until a client connects. */
let AdsChannel: grpc.ServiceClientConstructor | undefined;

type Stream = grpc.ClientDuplexStream<DiscoveryRequest, DiscoveryResponse> | grpc.ClientDuplexStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse>;

/**
 * An ADS client. Each response is decoded by the type's validator: if every
 * resource is valid the update is applied and ACKed; otherwise it is NACKed with
 * the validators' errors and the last good resources are kept. The stream
 * reconnects with backoff and resumes with the versions it holds.
 */
export class AdsClient extends EventEmitter<AdsClientEvents> {
  private client: grpc.Client | undefined;
  private readonly types = new Map<string, TypeState>();
  private readonly backoff: Backoff;
  private readonly protocol: 'sotw' | 'delta';
  private stream: Stream | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private nodeSent = false;

  constructor(private readonly options: AdsClientOptions) {
    super();
    this.protocol = options.protocol ?? 'sotw';
    this.backoff = new Backoff(options.backoff);
    for (const type of options.types) {
      this.types.set(type.typeUrl, { type, subscription: new Set(), version: '', nonce: '', resources: new Map(), versions: new Map() });
    }
  }

  start(): void {
    if (!this.stream && !this.closed) this.connect();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    this.stream?.cancel();
    this.stream = undefined;
    this.client?.close();
  }

  /** Replace the subscription for a type: names, or `'*'` for all. */
  subscribe(typeUrl: string, names: Iterable<string> | '*'): void {
    const state = this.state(typeUrl);
    const next = names === '*' ? '*' : new Set(names);
    const previous = state.subscription;
    if (sameSubscription(previous, next)) return;
    state.subscription = next;
    if (next !== '*') {
      // Names we no longer ask for are forgotten, as the server forgets them.
      for (const name of [...state.resources.keys()]) {
        if (!next.has(name) && !isFullStateType(typeUrl)) {
          state.resources.delete(name);
          state.versions.delete(name);
        }
      }
    }
    if (!this.stream) return;
    if (this.protocol === 'sotw') this.sendSotw(typeUrl, state, {});
    else this.sendDelta({ type_url: typeUrl, ...subscriptionDiff(previous, next) });
  }

  resources<T>(typeUrl: string): ReadonlyMap<string, T> {
    return this.state(typeUrl).resources as ReadonlyMap<string, T>;
  }

  status(): TypeClientStatus[] {
    return [...this.types.values()].map((s) => ({
      typeUrl: s.type.typeUrl,
      type: shortTypeName(s.type.typeUrl),
      subscription: s.subscription === '*' ? '*' : [...s.subscription].sort(),
      version: s.version,
      nonce: s.nonce,
      resources: s.resources.size,
      ...(s.lastNack ? { lastNack: s.lastNack } : {}),
    }));
  }

  private state(typeUrl: string): TypeState {
    const state = this.types.get(typeUrl);
    if (!state) throw new Error(`no validator registered for ${typeUrl}`);
    return state;
  }

  /** One channel for static credentials; a fresh one per connection when they rotate. */
  private channel(): grpc.Client {
    const { credentials } = this.options;
    if (this.client && typeof credentials !== 'function') return this.client;
    this.client?.close();
    AdsChannel ??= grpc.makeGenericClientConstructor(adsServiceDefinition(), 'AggregatedDiscoveryService');
    this.client = new AdsChannel(this.options.target, typeof credentials === 'function' ? credentials() : credentials, this.options.channelOptions);
    return this.client;
  }

  private connect(): void {
    this.nodeSent = false;
    const client = this.channel();
    const metadata = this.options.metadata?.() ?? new grpc.Metadata();
    const method = this.protocol === 'sotw' ? 'StreamAggregatedResources' : 'DeltaAggregatedResources';
    const stream = (client as unknown as Record<string, (m: grpc.Metadata) => Stream>)[method]!.call(client, metadata);
    this.stream = stream;
    stream.on('data', (response: DiscoveryResponse | DeltaDiscoveryResponse) => {
      this.backoff.reset();
      if (this.protocol === 'sotw') this.onSotwResponse(response as DiscoveryResponse);
      else this.onDeltaResponse(response as DeltaDiscoveryResponse);
    });
    stream.on('error', (error: grpc.ServiceError) => this.lost(stream, error.code, error.details ?? error.message));
    stream.on('end', () => this.lost(stream, undefined, 'stream ended by server'));
    this.emit('connected');
    // Resume: tell the server what we hold so it sends only what changed.
    const ordered = [...this.types.entries()].sort(([a], [b]) => pushRank(a) - pushRank(b));
    for (const [typeUrl, state] of ordered) {
      if (state.subscription !== '*' && state.subscription.size === 0) continue;
      if (this.protocol === 'sotw') this.sendSotw(typeUrl, state, {});
      else {
        this.sendDelta({
          type_url: typeUrl,
          resource_names_subscribe: state.subscription === '*' ? ['*'] : [...state.subscription],
          initial_resource_versions: Object.fromEntries(state.versions),
        });
      }
    }
  }

  private lost(stream: Stream, code: number | undefined, details: string): void {
    if (this.stream !== stream) return;
    this.stream = undefined;
    this.emit('disconnected', { ...(code === undefined ? {} : { code }), details });
    if (this.closed) return;
    for (const state of this.types.values()) state.nonce = '';
    this.reconnectTimer = setTimeout(() => this.connect(), this.backoff.next());
  }

  private withNode<T extends { node?: NodeMessage | null }>(request: T): T {
    if (this.nodeSent) return request;
    this.nodeSent = true;
    const { id, cluster = '', metadata = {} } = this.options.node;
    return { ...request, node: { id, cluster, metadata: jsonToStruct(metadata), user_agent_name: 'trellis' } };
  }

  private sendSotw(typeUrl: string, state: TypeState, extra: Partial<DiscoveryRequest>): void {
    const request: DiscoveryRequest = {
      type_url: typeUrl,
      version_info: state.version,
      resource_names: state.subscription === '*' ? [] : [...state.subscription],
      response_nonce: state.nonce,
      ...extra,
    };
    (this.stream as grpc.ClientDuplexStream<DiscoveryRequest, DiscoveryResponse> | undefined)?.write(this.withNode(request));
  }

  private sendDelta(request: DeltaDiscoveryRequest): void {
    (this.stream as grpc.ClientDuplexStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse> | undefined)?.write(this.withNode(request));
  }

  private onSotwResponse(response: DiscoveryResponse): void {
    const state = this.types.get(response.type_url);
    if (!state) {
      const refusal: DiscoveryRequest = { type_url: response.type_url, response_nonce: response.nonce, error_detail: { code: grpc.status.UNIMPLEMENTED, message: `unsupported type ${response.type_url}` } };
      (this.stream as grpc.ClientDuplexStream<DiscoveryRequest, DiscoveryResponse> | undefined)?.write(this.withNode(refusal));
      return;
    }
    state.nonce = response.nonce;
    const { decoded, errors } = decodeAll(state.type, response.resources);
    if (errors.length > 0) return this.nack(response.type_url, state, response.nonce, errors);
    const incoming = new Map(decoded.map((d, i) => [d.name, { value: d.value, version: contentVersion(response.resources[i]!) }]));
    const removed = isFullStateType(response.type_url) ? [...state.resources.keys()].filter((name) => !incoming.has(name)) : [];
    for (const name of removed) {
      state.resources.delete(name);
      state.versions.delete(name);
    }
    const updated = this.store(state, incoming);
    state.version = response.version_info;
    this.sendSotw(response.type_url, state, {});
    this.emitUpdate(response.type_url, state, updated, removed);
  }

  private onDeltaResponse(response: DeltaDiscoveryResponse): void {
    const state = this.types.get(response.type_url);
    if (!state) {
      this.sendDelta({ type_url: response.type_url, response_nonce: response.nonce, error_detail: { code: grpc.status.UNIMPLEMENTED, message: `unsupported type ${response.type_url}` } });
      return;
    }
    const { decoded, errors } = decodeAll(state.type, response.resources.map((r) => r.resource));
    if (errors.length > 0) return this.nack(response.type_url, state, response.nonce, errors);
    const incoming = new Map(decoded.map((d, i) => [d.name, { value: d.value, version: response.resources[i]!.version }]));
    const removed = response.removed_resources.filter((name) => state.resources.has(name));
    for (const name of response.removed_resources) {
      state.resources.delete(name);
      state.versions.delete(name);
    }
    const updated = this.store(state, incoming);
    state.version = response.system_version_info;
    this.sendDelta({ type_url: response.type_url, response_nonce: response.nonce });
    this.emitUpdate(response.type_url, state, updated, removed);
  }

  private store(state: TypeState, incoming: Map<string, { value: unknown; version: string }>): string[] {
    const updated: string[] = [];
    for (const [name, { value, version }] of incoming) {
      if (state.versions.get(name) !== version) updated.push(name);
      state.resources.set(name, value);
      state.versions.set(name, version);
    }
    return updated;
  }

  private nack(typeUrl: string, state: TypeState, nonce: string, errors: string[]): void {
    const message = errors.join('; ');
    state.lastNack = { nonce, message, at: new Date() };
    const errorDetail = { code: grpc.status.INVALID_ARGUMENT, message };
    if (this.protocol === 'sotw') this.sendSotw(typeUrl, state, { response_nonce: nonce, error_detail: errorDetail });
    else this.sendDelta({ type_url: typeUrl, response_nonce: nonce, error_detail: errorDetail });
    this.emit('nack', { typeUrl, nonce, message });
  }

  private emitUpdate(typeUrl: string, state: TypeState, updated: string[], removed: string[]): void {
    this.emit('update', { typeUrl, version: state.version, resources: state.resources, updated, removed });
  }
}

function decodeAll(type: ResourceType<unknown>, anys: AnyMessage[]): { decoded: Decoded<unknown>[]; errors: string[] } {
  const decoded: Decoded<unknown>[] = [];
  const errors: string[] = [];
  const seen = new Set<string>();
  for (const [index, any] of anys.entries()) {
    if (any.type_url !== type.typeUrl) {
      errors.push(`resource ${index}: type ${any.type_url} in a ${shortTypeName(type.typeUrl)} response`);
      continue;
    }
    try {
      const result = type.decode(any);
      if (seen.has(result.name)) errors.push(`${result.name}: duplicate resource name in one response`);
      seen.add(result.name);
      decoded.push(result);
    } catch (error) {
      errors.push((error as Error).message);
    }
  }
  return { decoded, errors };
}

function sameSubscription(a: Set<string> | '*', b: Set<string> | '*'): boolean {
  if (a === '*' || b === '*') return a === b;
  return a.size === b.size && [...a].every((n) => b.has(n));
}

function subscriptionDiff(previous: Set<string> | '*', next: Set<string> | '*'): Pick<DeltaDiscoveryRequest, 'resource_names_subscribe' | 'resource_names_unsubscribe'> {
  if (next === '*') return { resource_names_subscribe: ['*'] };
  if (previous === '*') return { resource_names_subscribe: [...next], resource_names_unsubscribe: ['*'] };
  return {
    resource_names_subscribe: [...next].filter((n) => !previous.has(n)),
    resource_names_unsubscribe: [...previous].filter((n) => !next.has(n)),
  };
}
