// A worker thread of WafWorkerPool: compiles the rule set once, then answers one request at a time.
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { Waf } from '../waf';
import { evaluateBuffered, type BufferedRequest } from './buffered';

const port = parentPort;
if (!port) throw new Error('the WAF worker runs only as a worker thread');
const tid = threadId();
lowerPriority(tid);
const waf = Waf.fromDirectives((workerData as { directives: string }).directives);
port.on('message', (request: BufferedRequest) => port.postMessage(evaluateBuffered(waf, request)));
// The pool reads this thread's CPU time by its id, so a slow machine does not look like a slow request.
port.postMessage({ ready: true, tid });

/** The kernel's id for this thread (Linux: /proc/thread-self names it), or undefined. */
function threadId(): number | undefined {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    return tid > 0 ? tid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * On a busy machine a worker at the event loop's priority still takes CPU from it; at the
 * lowest priority the kernel runs the event loop (and every small request) first. Linux
 * prioritises threads by thread id; elsewhere this is skipped.
 */
function lowerPriority(id: number | undefined): void {
  try {
    if (id !== undefined) setPriority(id, 19);
  } catch {
    // Not allowed: the worker still keeps hostile requests off the event loop.
  }
}
