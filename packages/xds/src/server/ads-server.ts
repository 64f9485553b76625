import * as grpc from '@grpc/grpc-js';
import { EventEmitter } from 'node:events';
import type { ConfigWatcher, NodeInfo } from '../cache/cache';
import { adsServiceDefinition, type DeltaDiscoveryRequest, type DeltaDiscoveryResponse, type DiscoveryRequest, type DiscoveryResponse, type NodeMessage } from '../discovery';
import { DeltaStream } from './delta-stream';
import { nodeInfoFrom } from './node';
import { SotwStream } from './sotw-stream';
import { StreamStatus, type StreamStatusView } from './stream-status';

/**
 * Decides whether a stream may speak for the node it names. The control plane
 * plugs in a check that the node id matches the client's mTLS identity; returning
 * a string refuses the stream with PERMISSION_DENIED and that message.
 */
export type StreamAuthorizer = (node: NodeInfo, call: grpc.ServerDuplexStream<unknown, unknown>) => string | undefined;

export interface AdsServerOptions {
  controlPlaneId?: string;
  authorize?: StreamAuthorizer;
}

export interface AdsServerEvents {
  'stream-open': [StreamStatusView];
  'stream-close': [StreamStatusView];
  /** A client accepted a version of a type: the control plane's signal that config reached it. */
  ack: [{ nodeId: string; typeUrl: string; version: string }];
}

/**
 * The AggregatedDiscoveryService: State-of-the-World and delta streams over one
 * cache. Protocol state lives in the per-stream classes; this facade registers the
 * service and keeps the stream statuses for `proxy-status`.
 */
export class AdsServer extends EventEmitter<AdsServerEvents> {
  private readonly streams = new Map<number, StreamStatus>();
  private nextStreamId = 1;
  private readonly controlPlaneId: string;

  constructor(
    private readonly watcher: ConfigWatcher,
    private readonly options: AdsServerOptions = {},
  ) {
    super();
    this.controlPlaneId = options.controlPlaneId ?? 'trellis';
  }

  addTo(server: grpc.Server): void {
    server.addService(adsServiceDefinition(), {
      StreamAggregatedResources: (call: grpc.ServerDuplexStream<DiscoveryRequest, DiscoveryResponse>) => this.openSotw(call),
      DeltaAggregatedResources: (call: grpc.ServerDuplexStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse>) => this.openDelta(call),
    });
  }

  /** Every open stream with what it was sent and what it answered. */
  streamStatuses(): StreamStatusView[] {
    return [...this.streams.values()].map((s) => s.view());
  }

  private openSotw(call: grpc.ServerDuplexStream<DiscoveryRequest, DiscoveryResponse>): void {
    const status = this.register('sotw', call);
    const stream = new SotwStream(call, this.watcher, status, (req) => this.identify(req.node, call), this.controlPlaneId);
    this.pump(call, status, (req) => stream.handle(req), () => stream.close());
  }

  private openDelta(call: grpc.ServerDuplexStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse>): void {
    const status = this.register('delta', call);
    const stream = new DeltaStream(call, this.watcher, status, (req) => this.identify(req.node, call), this.controlPlaneId);
    this.pump(call, status, (req) => stream.handle(req), () => stream.close());
  }

  private register(protocol: 'sotw' | 'delta', call: grpc.ServerDuplexStream<unknown, unknown>): StreamStatus {
    const status = new StreamStatus(this.nextStreamId++, protocol, call.getPeer(), (s, typeUrl, version) => this.emit('ack', { nodeId: s.node.id, typeUrl, version }));
    this.streams.set(status.streamId, status);
    return status;
  }

  private pump<Req>(call: grpc.ServerDuplexStream<Req, unknown>, status: StreamStatus, handle: (req: Req) => void, close: () => void): void {
    let opened = false;
    const finish = () => {
      close();
      if (this.streams.delete(status.streamId) && opened) this.emit('stream-close', status.view());
    };
    call.on('data', (request: Req) => {
      try {
        handle(request);
      } catch (error) {
        call.emit('error', { code: grpc.status.INTERNAL, details: `xDS server error: ${(error as Error).message}` });
        finish();
        return;
      }
      if (!opened && status.node.id) {
        opened = true;
        this.emit('stream-open', status.view());
      }
    });
    call.on('end', () => {
      finish();
      call.end();
    });
    call.on('cancelled', finish);
    call.on('error', finish);
  }

  /** The node named by the first request; refuses the stream if it is missing or unauthorized. */
  private identify(node: NodeMessage | null | undefined, call: grpc.ServerDuplexStream<unknown, unknown>): NodeInfo | undefined {
    if (!node?.id) {
      call.emit('error', { code: grpc.status.INVALID_ARGUMENT, details: 'the first DiscoveryRequest must carry node.id' });
      return undefined;
    }
    const info = nodeInfoFrom(node);
    const refusal = this.options.authorize?.(info, call);
    if (refusal) {
      call.emit('error', { code: grpc.status.PERMISSION_DENIED, details: refusal });
      return undefined;
    }
    return info;
  }
}
