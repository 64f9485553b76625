// Passive outlier detection (consecutive 5xx). A host that fails `consecutive5xx` times
// in a row is ejected for baseEjectionTime × times-ejected, unless that would eject more
// than maxEjectionPercent of the cluster (one host may always be ejected, as in Envoy).
// Connect failures and resets count as 5xx, matching Envoy's non-split mode.
import { OutlierDetection } from '../config/model';
import { Host } from './host';

export class OutlierDetector {
  constructor(private readonly config: OutlierDetection) {}

  /** Record a response; returns true when this result ejected the host. */
  record(host: Host, hosts: readonly Host[], failed: boolean, now: number): boolean {
    if (!failed) {
      host.consecutive5xx = 0;
      return false;
    }
    host.consecutive5xx++;
    if (host.consecutive5xx < this.config.consecutive5xx || host.isEjected(now)) return false;
    const ejected = hosts.filter((h) => h.isEjected(now)).length;
    const limit = Math.max(1, Math.floor((hosts.length * this.config.maxEjectionPercent) / 100));
    if (ejected >= limit) return false;
    host.timesEjected++;
    host.ejectedUntil = now + this.config.baseEjectionTimeMs * host.timesEjected;
    host.consecutive5xx = 0;
    return true;
  }

  /** Periodic sweep (every intervalMs): hosts healthy since their last ejection earn back a shorter next ejection. */
  sweep(hosts: readonly Host[], now: number): void {
    for (const h of hosts) {
      if (!h.isEjected(now) && h.timesEjected > 0 && h.consecutive5xx === 0) h.timesEjected--;
    }
  }
}
