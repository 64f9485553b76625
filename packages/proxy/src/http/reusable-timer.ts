// A timeout re-armed with refresh() instead of a new setTimeout each time: on a keep-alive
// connection every request arms the same idle and route timeouts again, and a fresh
// setTimeout + clearTimeout pair costs several times a refresh.
export class ReusableTimer {
  private timer: NodeJS.Timeout | undefined;
  private ms = -1;
  private armed = false;
  private readonly fire = (): void => {
    if (!this.armed) return;
    this.armed = false;
    this.onTimeout();
  };

  constructor(private readonly onTimeout: () => void) {}

  /** (Re)start the countdown: `onTimeout` runs after `ms` unless disarmed or re-armed first. */
  arm(ms: number): void {
    this.armed = true;
    if (this.timer && ms === this.ms) {
      this.timer.refresh();
      return;
    }
    clearTimeout(this.timer);
    this.ms = ms;
    this.timer = setTimeout(this.fire, ms);
  }

  /** The countdown keeps running but its end is ignored; the next arm() restarts it. */
  disarm(): void {
    this.armed = false;
  }

  /** For good, when the connection closes. */
  stop(): void {
    this.armed = false;
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
