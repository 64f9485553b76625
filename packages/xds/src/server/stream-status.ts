import type { NodeInfo } from '../cache/cache';
import { shortTypeName } from '../type-urls';

/** What one ADS stream has been told and has answered, per type: the data behind `proxy-status`. */
export interface TypeStatus {
  typeUrl: string;
  type: string;
  subscription: string[] | '*';
  lastSentVersion?: string;
  lastSentNonce?: string;
  lastSentAt?: Date;
  lastAckedVersion?: string;
  lastAckedAt?: Date;
  lastNack?: { version: string; nonce: string; message: string; at: Date };
}

export interface StreamStatusView {
  streamId: number;
  protocol: 'sotw' | 'delta';
  node: NodeInfo;
  peer: string;
  connectedAt: Date;
  types: TypeStatus[];
}

export class StreamStatus {
  private readonly types = new Map<string, TypeStatus>();
  node: NodeInfo = { id: '', cluster: '', metadata: {} };

  constructor(
    readonly streamId: number,
    readonly protocol: 'sotw' | 'delta',
    readonly peer: string,
    private readonly onAck: (status: StreamStatus, typeUrl: string, version: string) => void = () => undefined,
    readonly connectedAt = new Date(),
  ) {}

  private of(typeUrl: string): TypeStatus {
    let status = this.types.get(typeUrl);
    if (!status) this.types.set(typeUrl, (status = { typeUrl, type: shortTypeName(typeUrl), subscription: [] }));
    return status;
  }

  subscribed(typeUrl: string, subscription: ReadonlySet<string> | '*'): void {
    this.of(typeUrl).subscription = subscription === '*' ? '*' : [...subscription].sort();
  }

  sent(typeUrl: string, version: string, nonce: string): void {
    Object.assign(this.of(typeUrl), { lastSentVersion: version, lastSentNonce: nonce, lastSentAt: new Date() });
  }

  acked(typeUrl: string, version: string): void {
    Object.assign(this.of(typeUrl), { lastAckedVersion: version, lastAckedAt: new Date() });
    this.onAck(this, typeUrl, version);
  }

  nacked(typeUrl: string, version: string, nonce: string, message: string): void {
    this.of(typeUrl).lastNack = { version, nonce, message, at: new Date() };
  }

  view(): StreamStatusView {
    return {
      streamId: this.streamId,
      protocol: this.protocol,
      node: this.node,
      peer: this.peer,
      connectedAt: this.connectedAt,
      types: [...this.types.values()].map((t) => ({ ...t })),
    };
  }
}
