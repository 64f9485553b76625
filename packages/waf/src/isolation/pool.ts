import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { BufferedRequest, Verdict } from './buffered';

/** Both src/isolation (tests) and dist/isolation resolve to the built worker. */
const WORKER_FILE = resolve(__dirname, '../../dist/isolation/worker.js');

export interface WorkerPoolOptions {
  /** Worker threads, each holding its own compiled copy of the rules (default 1). */
  workers?: number;
  /**
   * CPU time one evaluation may use before it is abandoned and its worker terminated and
   * replaced (default 2000). CPU, not wall time, where the kernel reports it per thread
   * (Linux), so a busy machine does not fail requests that are merely waiting for a core;
   * wall time is capped at ten times this all the same.
   */
  timeoutMs?: number;
  /** Requests waiting for a free worker beyond this are refused at once (default 32). */
  maxQueued?: number;
  /**
   * How long a request may wait behind others for a free worker before it fails unjudged
   * (default twice `timeoutMs`: time for an overrunning evaluation ahead of it to be abandoned
   * and its replacement to start). The clock starts once some worker is up, so the first
   * start (compiling the rules) does not count. Without it a queue behind slow requests holds
   * callers for as long as those requests run.
   */
  queueWaitMs?: number;
  /**
   * A worker with nothing to do for this long exits, giving back its copy of the rules
   * (~100 MB for the CRS); the next big request starts another (default 300000).
   */
  idleMs?: number;
}

/** Why a request could not be evaluated off the event loop; the caller decides open or closed. */
export class WorkerPoolError extends Error {}

interface Job {
  request: BufferedRequest;
  resolve: (verdict: Verdict) => void;
  reject: (error: WorkerPoolError) => void;
  /** Fails the job if no worker has taken it by its wait deadline. */
  waitTimer?: NodeJS.Timeout;
}

class Slot {
  worker: Worker | undefined;
  ready = false;
  /** The worker thread's kernel id, when the worker could tell. */
  tid: number | undefined;
  job: Job | undefined;
  timer: NodeJS.Timeout | undefined;
  idleTimer: NodeJS.Timeout | undefined;
  jobStartedAt = 0;
  jobCpuAtStart = 0;
}

/** A thread's CPU time in ms from /proc/self/task/<tid>/stat (utime + stime, 100 ticks a second). */
function threadCpuMs(tid: number): number {
  const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'latin1');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

type WorkerMessage = Verdict | { ready: true; tid: number | undefined };

/**
 * Evaluates requests on worker threads so one slow request cannot stall the event loop.
 * Workers start on first use (compiling the rules takes a second of CPU), are unref'd so
 * they never keep a process alive, and are replaced when they die or overrun their time.
 */
export class WafWorkerPool {
  private readonly slots: Slot[];
  private readonly queue: Job[] = [];
  private readonly timeoutMs: number;
  private readonly maxQueued: number;
  private readonly queueWaitMs: number;
  private readonly idleMs: number;
  private closed = false;

  constructor(
    private readonly directives: string,
    options: WorkerPoolOptions = {},
  ) {
    this.slots = Array.from({ length: Math.max(1, options.workers ?? 1) }, () => new Slot());
    this.timeoutMs = options.timeoutMs ?? 2000;
    this.maxQueued = options.maxQueued ?? 32;
    this.queueWaitMs = options.queueWaitMs ?? 2 * this.timeoutMs;
    this.idleMs = options.idleMs ?? 300_000;
  }

  evaluate(request: BufferedRequest): Promise<Verdict> {
    if (this.closed) return Promise.reject(new WorkerPoolError('WAF worker pool is closed'));
    if (this.queue.length >= this.maxQueued) {
      return Promise.reject(new WorkerPoolError(`WAF workers busy (${this.maxQueued} requests already waiting)`));
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ request, resolve, reject });
      this.dispatch();
    });
  }

  /** Terminates the workers; waiting and running requests fail. */
  async close(): Promise<void> {
    this.closed = true;
    this.failQueued('WAF worker pool is closed');
    await Promise.all(this.slots.map((slot) => this.retire(slot, 'WAF worker pool is closed')));
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (this.queue.length === 0) {
        if (slot.worker && slot.ready && !slot.job && !slot.idleTimer) {
          slot.idleTimer = setTimeout(() => void this.retire(slot, 'idle'), this.idleMs).unref();
        }
        continue;
      }
      if (!slot.worker) this.spawn(slot);
      if (!slot.ready || slot.job) continue;
      clearTimeout(slot.idleTimer);
      slot.idleTimer = undefined;
      const job = this.queue.shift() as Job;
      clearTimeout(job.waitTimer);
      slot.job = job;
      slot.jobStartedAt = Date.now();
      slot.jobCpuAtStart = slot.tid === undefined ? 0 : threadCpuMs(slot.tid);
      slot.timer = setTimeout(() => this.checkBudget(slot), this.timeoutMs);
      (slot.worker as Worker).postMessage(job.request);
    }
    if (this.slots.some((slot) => slot.ready)) for (const job of this.queue) job.waitTimer ??= this.waitDeadline(job);
  }

  private waitDeadline(job: Job): NodeJS.Timeout {
    return setTimeout(() => {
      this.queue.splice(this.queue.indexOf(job), 1);
      job.reject(new WorkerPoolError(`WAF request waited more than ${this.queueWaitMs} ms for a free worker`));
    }, this.queueWaitMs).unref();
  }

  private failQueued(reason: string): void {
    for (const job of this.queue.splice(0)) {
      clearTimeout(job.waitTimer);
      job.reject(new WorkerPoolError(reason));
    }
  }

  private spawn(slot: Slot): void {
    const worker = new Worker(WORKER_FILE, { workerData: { directives: this.directives } });
    worker.unref();
    slot.worker = worker;
    slot.ready = false;
    worker.on('message', (message: WorkerMessage) => {
      // A verdict a retired worker sent while being terminated belongs to no current job.
      if (slot.worker !== worker) return;
      if ('ready' in message) {
        slot.ready = true;
        slot.tid = message.tid;
      } else this.settle(slot)?.resolve(message);
      this.dispatch();
    });
    // 'error' is followed by 'exit'; the exit code says enough for the caller.
    worker.on('error', () => undefined);
    worker.on('exit', (code) => {
      if (slot.worker !== worker) return;
      slot.worker = undefined;
      this.settle(slot)?.reject(new WorkerPoolError(`WAF worker exited (code ${code})`));
      if (!slot.ready) {
        // It died compiling the rules: failing what waits beats a restart loop; the next request retries.
        this.failQueued(`WAF worker failed to start (code ${code})`);
      }
      if (!this.closed) this.dispatch();
    });
  }

  /** Called after `timeoutMs` of wall time: retire the worker, or look again once it could have spent its budget. */
  private checkBudget(slot: Slot): void {
    const wall = Date.now() - slot.jobStartedAt;
    if (wall >= this.timeoutMs * 10) return void this.retire(slot, `WAF evaluation took longer than ${wall} ms`);
    let cpu = wall;
    try {
      if (slot.tid !== undefined) cpu = threadCpuMs(slot.tid) - slot.jobCpuAtStart;
    } catch {
      // The thread is gone: its 'exit' settles the job.
    }
    if (cpu >= this.timeoutMs) return void this.retire(slot, `WAF evaluation used more than ${this.timeoutMs} ms of CPU`);
    slot.timer = setTimeout(() => this.checkBudget(slot), Math.max(10, this.timeoutMs - cpu));
  }

  /** Ends the slot's job, returning it to be resolved or rejected. */
  private settle(slot: Slot): Job | undefined {
    clearTimeout(slot.timer);
    const job = slot.job;
    slot.job = undefined;
    return job;
  }

  private async retire(slot: Slot, reason: string): Promise<void> {
    const worker = slot.worker;
    slot.worker = undefined;
    clearTimeout(slot.idleTimer);
    slot.idleTimer = undefined;
    this.settle(slot)?.reject(new WorkerPoolError(reason));
    if (worker) await worker.terminate();
    if (!this.closed) this.dispatch();
  }
}
