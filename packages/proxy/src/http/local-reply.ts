// Responses the proxy generates itself (no route, upstream failure, filter denial, bad
// request). Every one carries the reason in x-trellis-response-flags, like Envoy's
// %RESPONSE_FLAGS%, so a client can tell a proxy 503 from an application 503.
import * as net from 'node:net';
import { STATUS_CODES } from 'node:http';
import { LocalReply } from './filter';

export const RESPONSE_FLAGS_HEADER = 'x-trellis-response-flags';

export function localReplyHeaders(reply: LocalReply, flag: string): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8', ...reply.headers };
  if (flag) headers[RESPONSE_FLAGS_HEADER] = flag;
  return headers;
}

/** Write a complete HTTP/1.1 local reply; with `close` the connection ends after it. */
export function writeLocalReply(socket: net.Socket, reply: LocalReply, flag: string, close: boolean): number {
  const body = Buffer.from(reply.body ?? '', 'utf8');
  const lines = [`HTTP/1.1 ${reply.status} ${STATUS_CODES[reply.status] ?? ''}`];
  for (const [k, v] of Object.entries(localReplyHeaders(reply, flag))) {
    if (/[\r\n]/.test(k) || /[\r\n]/.test(v)) continue; // never let a filter split the response
    lines.push(`${k}: ${v}`);
  }
  lines.push(`content-length: ${body.length}`);
  if (close) lines.push('connection: close');
  const out = Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1'), body]);
  if (!socket.destroyed && socket.writable) {
    if (close) socket.end(out);
    else socket.write(out);
  }
  return out.length;
}
