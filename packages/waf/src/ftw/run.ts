import type { Waf } from '../waf';
import type { Interruption, MatchedRule } from '../engine/transaction';
import type { FtwInput, FtwResult, FtwTest } from './types';

interface Request {
  method: string;
  uri: string;
  version: string;
  headers: [string, string][];
  /** Text (sent UTF-8 encoded) or, for raw requests, the bytes as sent. */
  body: string | Buffer;
}

/**
 * What go-ftw sends: unless stop_magic is set, a request with data and no Content-Type gets
 * the form type (whatever the method: the suite sends form data on GETs too) and a Content-Length.
 */
export function buildRequest(input: FtwInput): Request {
  if (input.rawRequest !== undefined) return parseRawRequest(input.rawRequest);
  const headers = input.headers.map(([k, v]) => [k, v] as [string, string]);
  const has = (name: string) => headers.some(([k]) => k.toLowerCase() === name);
  const body = input.data ?? '';
  if (!input.stopMagic) {
    if (body && !has('content-type')) headers.push(['Content-Type', 'application/x-www-form-urlencoded']);
    if (body && !has('content-length')) headers.push(['Content-Length', String(Buffer.byteLength(body, 'utf8'))]);
  }
  return { method: input.method, uri: input.uri, version: input.version, headers, body };
}

/** Splits a raw request; the body is cut at Content-Length, as the server reads it. */
function parseRawRequest(bytes: Buffer): Request {
  const raw = bytes.toString('latin1');
  const split = /\r?\n\r?\n/.exec(raw);
  const head = split ? raw.slice(0, split.index) : raw;
  let body = split ? raw.slice(split.index + split[0].length) : '';
  const [requestLine = '', ...lines] = head.split(/\r?\n/);
  const parts = requestLine.split(' ');
  const headers: [string, string][] = [];
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.push([line.slice(0, colon), line.slice(colon + 1).trim()]);
  }
  const length = headers.find(([k]) => k.toLowerCase() === 'content-length')?.[1];
  if (length !== undefined && /^\d+$/.test(length)) body = body.slice(0, Number(length));
  return {
    method: parts[0] ?? 'GET',
    uri: parts.slice(1, -1).join(' ') || '/',
    version: parts[parts.length - 1] ?? 'HTTP/1.1',
    headers,
    body: Buffer.from(body, 'latin1'),
  };
}

/** One log line per logged rule, in ModSecurity's error-log field format. */
export function formatLog(rules: readonly MatchedRule[], interruption: Interruption | null): string {
  const lines = rules
    .filter((r) => r.logged)
    .map((r) => `ModSecurity: Warning. [id "${r.id}"] [msg "${r.msg}"] [data "${r.data}"] [severity "${r.severity ?? ''}"] ${r.tags.map((t) => `[tag "${t}"]`).join(' ')}`);
  if (interruption) lines.push(`ModSecurity: Access denied with code ${interruption.status} [id "${interruption.ruleId}"]`);
  return lines.join('\n');
}

/** Runs one request through a fresh transaction; returns the log and the status sent. */
export function runRequest(waf: Waf, request: Request): { log: string; status: number } {
  const tx = waf.newTransaction({ clientIp: '127.0.0.1', serverPort: 80 });
  const version = request.version.replace(/^HTTP\//, '');
  let interruption = tx.processRequestHeaders(request.method, request.uri, version, request.headers);
  if (!interruption) {
    if (request.body.length > 0) tx.appendRequestBody(request.body);
    interruption = tx.processRequestBody();
  }
  if (!interruption) interruption = tx.processResponseHeaders(200, [['Content-Type', 'text/html']]);
  if (!interruption) interruption = tx.processResponseBody();
  tx.processLogging();
  return { log: formatLog(tx.matchedRules, interruption), status: interruption?.status ?? 200 };
}

export function runFtwTest(waf: Waf, test: FtwTest): FtwResult {
  for (const stage of test.stages) {
    const { log, status } = runRequest(waf, buildRequest(stage.input));
    const out = stage.output;
    if (out.logContains !== undefined && !new RegExp(out.logContains).test(log)) return { title: test.title, passed: false, reason: `log lacks ${out.logContains}` };
    if (out.noLogContains !== undefined && new RegExp(out.noLogContains).test(log)) return { title: test.title, passed: false, reason: `log has ${out.noLogContains}` };
    if (out.status && !out.status.includes(status)) return { title: test.title, passed: false, reason: `status ${status}, expected ${out.status.join('/')}` };
    if (out.expectError && !(out.status || out.logContains)) return { title: test.title, passed: false, reason: 'expected a connection error' };
  }
  return { title: test.title, passed: true };
}
