// Keeps a workload's certificate fresh. Renews at half the certificate's lifetime, ±10%
// jitter (Istio's choice rather than Linkerd's 70%): it leaves half the lifetime — 12 h for
// the default 24 h TTL — to ride out a CA outage, the CA load is still trivial, and after one
// full TTL every workload has renewed at least once, which is what root rotation waits for.
// Failures retry with exponential backoff and full jitter while the current cert stays in use.
import { EventEmitter } from 'node:events';
import { IssuedCredentials } from './credentials';

/** Produces fresh credentials (a new key each time). */
export type CredentialSource = () => Promise<IssuedCredentials>;

export interface RotatorOptions {
  /** Fraction of the lifetime (from receipt to notAfter) after which to renew. Default 0.5. */
  renewAtFraction?: number;
  /** Spread of the renewal point, as a fraction of the lifetime, either way. Default 0.1. */
  jitterFraction?: number;
  /** First retry delay after a failure. Default 1 s. */
  initialBackoffMs?: number;
  /** Retry delay cap. Default 60 s. */
  maxBackoffMs?: number;
}

export interface RenewalFailure {
  error: Error;
  /** Consecutive failures so far. */
  attempt: number;
  retryInMs: number;
  /** False while the current certificate is still valid (peers see no difference). */
  expired: boolean;
}

export interface CertificateRotatorEvents {
  update: [IssuedCredentials];
  'renewal-failed': [RenewalFailure];
}

export class CertificateRotator extends EventEmitter<CertificateRotatorEvents> {
  private credentials: IssuedCredentials | undefined;
  private timer: NodeJS.Timeout | undefined;
  private failures = 0;
  private stopped = false;
  private readonly renewAt: number;
  private readonly jitter: number;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private firstIssued: { promise: Promise<IssuedCredentials>; resolve: (c: IssuedCredentials) => void } | undefined;

  constructor(
    private readonly source: CredentialSource,
    options: RotatorOptions = {},
  ) {
    super();
    this.renewAt = fraction(options.renewAtFraction ?? 0.5, 'renewAtFraction');
    this.jitter = fraction(options.jitterFraction ?? 0.1, 'jitterFraction');
    if (this.renewAt - this.jitter <= 0 || this.renewAt + this.jitter >= 1) {
      throw new Error('CertificateRotator: renewAtFraction ± jitterFraction must stay inside (0, 1)');
    }
    this.initialBackoffMs = options.initialBackoffMs ?? 1000;
    this.maxBackoffMs = options.maxBackoffMs ?? 60_000;
  }

  /** Obtains the first certificate (retrying until it succeeds or `stop`), then keeps renewing. */
  start(): Promise<IssuedCredentials> {
    if (this.credentials) return Promise.resolve(this.credentials);
    if (this.firstIssued) return this.firstIssued.promise;
    let resolve!: (c: IssuedCredentials) => void;
    const promise = new Promise<IssuedCredentials>((r) => (resolve = r));
    this.firstIssued = { promise, resolve };
    this.stopped = false;
    void this.renew();
    return promise;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  current(): IssuedCredentials | undefined {
    return this.credentials;
  }

  /** Seconds until the current certificate expires (negative once expired; NaN before the first). */
  expirySeconds(now: number = Date.now()): number {
    return this.credentials ? (this.credentials.notAfter.getTime() - now) / 1000 : NaN;
  }

  private async renew(): Promise<void> {
    let issued: IssuedCredentials;
    try {
      issued = await this.source();
    } catch (err) {
      if (this.stopped) return;
      this.failures += 1;
      const retryInMs = this.backoffMs();
      this.schedule(retryInMs);
      this.emit('renewal-failed', {
        error: err instanceof Error ? err : new Error(String(err)),
        attempt: this.failures,
        retryInMs,
        expired: !(this.expirySeconds() > 0),
      });
      return;
    }
    if (this.stopped) return;
    this.failures = 0;
    this.credentials = issued;
    this.schedule(this.renewalDelayMs(issued));
    this.firstIssued?.resolve(issued);
    this.firstIssued = undefined;
    this.emit('update', issued);
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.renew(), delayMs);
    this.timer.unref();
  }

  private renewalDelayMs(issued: IssuedCredentials): number {
    const lifetimeMs = Math.max(0, issued.notAfter.getTime() - Date.now());
    const at = this.renewAt + (Math.random() * 2 - 1) * this.jitter;
    return lifetimeMs * at;
  }

  private backoffMs(): number {
    const ceiling = Math.min(this.maxBackoffMs, this.initialBackoffMs * 2 ** (this.failures - 1));
    return ceiling / 2 + Math.random() * (ceiling / 2);
  }
}

function fraction(value: number, what: string): number {
  if (!(value >= 0 && value < 1)) throw new Error(`CertificateRotator ${what}: must be in [0, 1) (got ${String(value)})`);
  return value;
}
