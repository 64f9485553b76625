import type * as grpc from '@grpc/grpc-js';
import type { CancelWatch, ConfigWatcher, NodeInfo } from '../cache/cache';
import type { NodeMessage } from '../discovery';
import { PushQueue } from './push-queue';
import type { StreamStatus } from './stream-status';

/**
 * What both ADS stream variants share: the node named by the first request, one
 * state per type, the push queue that batches a change's responses, nonces, and
 * shutting the stream. SotW and delta differ only in how they answer a request and
 * send a batch.
 */
export abstract class AdsStream<Req extends { node?: NodeMessage | null; type_url?: string }, Res, Push, State extends { cancel?: CancelWatch }> {
  protected readonly types = new Map<string, State>();
  protected readonly queue: PushQueue<Push>;
  protected node?: NodeInfo;
  protected closed = false;
  private nonceCounter = 0;

  constructor(
    protected readonly call: grpc.ServerDuplexStream<Req, Res>,
    protected readonly watcher: ConfigWatcher,
    protected readonly status: StreamStatus,
    private readonly identify: (request: Req) => NodeInfo | undefined,
    protected readonly controlPlaneId: string,
  ) {
    this.queue = new PushQueue((batch) => this.flush(batch));
  }

  handle(request: Req): void {
    if (this.closed) return;
    if (!this.node) {
      this.node = this.identify(request);
      if (!this.node) return;
      this.status.node = this.node;
    }
    const typeUrl = request.type_url ?? '';
    if (!typeUrl) return this.fail(`${this.requestName}.type_url is required on an aggregated stream`);
    this.handleType(typeUrl, request);
  }

  close(): void {
    this.closed = true;
    for (const state of this.types.values()) state.cancel?.();
    this.queue.clear();
  }

  /** The request message's name, for error messages. */
  protected abstract readonly requestName: string;

  /** Answer one request for `typeUrl`: ACK/NACK bookkeeping, subscription change, a new watch. */
  protected abstract handleType(typeUrl: string, request: Req): void;

  /** Send the responses one cache change released, in make-before-break order. */
  protected abstract flush(batch: Push[]): void;

  protected nextNonce(): string {
    return String(++this.nonceCounter);
  }

  private fail(message: string): void {
    this.close();
    this.call.emit('error', Object.assign(new Error(message), { code: 3 /* INVALID_ARGUMENT */ }));
  }
}
