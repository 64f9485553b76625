// Active health checking for one cluster: every interval each host gets a connect (over
// mTLS when the cluster originates it, so the peer's identity is checked too) and, with
// httpPath, a GET that must answer 2xx. unhealthyThreshold failures in a row take the
// host out of load balancing; healthyThreshold successes bring it back.
import * as net from 'node:net';
import { HealthCheck } from '../config/model';
import { Host } from './host';

export type Dial = (host: Host, done: (err: Error | null, socket?: net.Socket) => void) => void;

interface Streak {
  failures: number;
  successes: number;
  inFlight: boolean;
}

export class HealthChecker {
  private readonly streaks = new WeakMap<Host, Streak>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly config: HealthCheck,
    private readonly hosts: () => readonly Host[],
    private readonly dial: Dial,
    private readonly onChange: (host: Host, healthy: boolean) => void,
  ) {
    this.timer = setInterval(() => this.round(), config.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private round(): void {
    for (const host of this.hosts()) {
      let s = this.streaks.get(host);
      if (!s) this.streaks.set(host, (s = { failures: 0, successes: 0, inFlight: false }));
      if (s.inFlight) continue;
      s.inFlight = true;
      const streak = s;
      this.check(host, (ok) => {
        streak.inFlight = false;
        this.record(host, streak, ok);
      });
    }
  }

  private record(host: Host, s: Streak, ok: boolean): void {
    if (ok) {
      s.failures = 0;
      s.successes++;
      if (!host.activeHealthy && s.successes >= this.config.healthyThreshold) {
        host.activeHealthy = true;
        this.onChange(host, true);
      }
    } else {
      s.successes = 0;
      s.failures++;
      if (host.activeHealthy && s.failures >= this.config.unhealthyThreshold) {
        host.activeHealthy = false;
        this.onChange(host, false);
      }
    }
  }

  private check(host: Host, done: (ok: boolean) => void): void {
    let finished = false;
    let socket: net.Socket | undefined;
    const finish = (ok: boolean): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      socket?.destroy();
      done(ok);
    };
    const timer = setTimeout(() => finish(false), this.config.timeoutMs);
    this.dial(host, (err, s) => {
      if (err || !s) return finish(false);
      socket = s;
      if (finished) return s.destroy();
      if (!this.config.httpPath) return finish(true);
      s.on('error', () => finish(false));
      s.on('close', () => finish(false));
      let head = '';
      s.on('data', (d: Buffer) => {
        head += d.toString('latin1');
        const m = /^HTTP\/1\.[01] (\d{3})/.exec(head);
        if (m) finish(m[1].startsWith('2'));
        else if (head.length > 1024 || (head.length >= 12 && !head.startsWith('HTTP/1.'))) finish(false);
      });
      s.write(`GET ${this.config.httpPath} HTTP/1.1\r\nhost: ${host.key}\r\nuser-agent: trellis-health-check\r\nconnection: close\r\n\r\n`);
    });
  }
}
