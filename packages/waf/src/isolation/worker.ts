// A worker thread of WafWorkerPool: compiles the rule set once, then answers one request at a time.
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { Waf } from '../waf';
import { evaluateBuffered, type BufferedRequest } from './buffered';

const port = parentPort;
if (!port) throw new Error('the WAF worker runs only as a worker thread');
lowerPriority();
const waf = Waf.fromDirectives((workerData as { directives: string }).directives);
port.on('message', (request: BufferedRequest) => port.postMessage(evaluateBuffered(waf, request)));
port.postMessage('ready');

/**
 * On a busy machine a worker at the event loop's priority still takes CPU from it; at the
 * lowest priority the kernel runs the event loop (and every small request) first. Linux
 * prioritises threads by thread id, which /proc/thread-self names; elsewhere this is skipped.
 */
function lowerPriority(): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (tid > 0) setPriority(tid, 19);
  } catch {
    // Not Linux, or not allowed: the worker still keeps hostile requests off the event loop.
  }
}
