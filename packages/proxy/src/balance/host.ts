// One upstream endpoint and the state the data path keeps about it. Host objects
// outlive config updates (keyed by address:port) so outlier and load state survive an
// EDS push that does not remove them.
import { Endpoint } from '../config/model';

export class Host {
  activeRequests = 0;
  consecutive5xx = 0;
  ejectedUntil = 0;
  timesEjected = 0;
  /** Set when EDS drops the host: in-flight requests finish, nothing new is sent. */
  removed = false;
  /** Verdict of active health checking (true until a checker says otherwise). */
  activeHealthy = true;

  constructor(
    readonly address: string,
    readonly port: number,
    public weight: number,
    public healthStatus: Endpoint['healthStatus'],
  ) {}

  get key(): string {
    return `${this.address}:${this.port}`;
  }

  isEjected(now: number): boolean {
    return this.ejectedUntil > now;
  }

  /** Eligible for new requests ignoring outlier ejection. */
  get healthy(): boolean {
    return !this.removed && this.activeHealthy && (this.healthStatus === 'HEALTHY' || this.healthStatus === 'UNKNOWN');
  }
}
