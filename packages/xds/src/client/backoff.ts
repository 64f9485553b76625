export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
  multiplier?: number;
  /** Fraction of each delay randomised either way, so reconnecting fleets spread out. */
  jitter?: number;
}

/** Exponential backoff with jitter; `reset()` once a connection proves healthy. */
export class Backoff {
  private attempt = 0;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly multiplier: number;
  private readonly jitter: number;

  constructor(options: BackoffOptions = {}) {
    this.initialMs = options.initialMs ?? 500;
    this.maxMs = options.maxMs ?? 30_000;
    this.multiplier = options.multiplier ?? 2;
    this.jitter = options.jitter ?? 0.2;
  }

  next(): number {
    const base = Math.min(this.maxMs, this.initialMs * this.multiplier ** this.attempt++);
    return Math.round(base * (1 + (Math.random() * 2 - 1) * this.jitter));
  }

  reset(): void {
    this.attempt = 0;
  }
}
