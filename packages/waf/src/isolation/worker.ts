// A worker thread of WafWorkerPool: compiles the rule set once, then answers one request at a time.
import { parentPort, workerData } from 'node:worker_threads';
import { Waf } from '../waf';
import { evaluateBuffered, type BufferedRequest } from './buffered';

const port = parentPort;
if (!port) throw new Error('the WAF worker runs only as a worker thread');
const waf = Waf.fromDirectives((workerData as { directives: string }).directives);
port.on('message', (request: BufferedRequest) => port.postMessage(evaluateBuffered(waf, request)));
port.postMessage('ready');
