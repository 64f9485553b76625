// One JSON line per request. Lines are batched and written once per event-loop turn so
// logging costs one write syscall per batch instead of one per request.
import { Writable } from 'node:stream';

export interface AccessLogEntry {
  time: string;
  listener: string;
  protocol: string;
  method: string;
  authority: string;
  path: string;
  status: number;
  durationMs: number;
  upstreamCluster?: string;
  upstreamHost?: string;
  peerIdentity?: string;
  route?: string;
  responseFlags: string;
  requestId: string;
  bytesSent: number;
  /** Filters' records by filter: the RBAC decision, WAF and OpenAPI audit events. */
  filters?: Record<string, unknown>;
}

export class AccessLog {
  private batch: string[] = [];
  private scheduled = false;

  constructor(private readonly out: Writable | null) {}

  get enabled(): boolean {
    return this.out !== null;
  }

  write(entry: AccessLogEntry): void {
    if (!this.out) return;
    this.batch.push(JSON.stringify(entry));
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  flush(): void {
    this.scheduled = false;
    if (this.batch.length === 0 || !this.out) return;
    const lines = this.batch.join('\n') + '\n';
    this.batch = [];
    this.out.write(lines);
  }
}
