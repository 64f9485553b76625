// A lean HTTP/1.1 codec for the proxy: it parses only the message head and then tracks
// body framing (content-length or chunked) so body bytes can be forwarded verbatim
// without re-encoding. Parsing is strict where laxness enables request smuggling:
// bare LF, obs-fold, whitespace before ':', conflicting Content-Length, or
// Content-Length together with Transfer-Encoding are all rejected.
import { Headers, HOP_BY_HOP } from './headers';

export class HttpParseError extends Error {
  constructor(readonly status: 400 | 431 | 501 | 502, message: string) {
    super(message);
    this.name = 'HttpParseError';
  }
}

/** How a message body is delimited on the wire. */
export type Framing =
  | { kind: 'none' }
  | { kind: 'length'; length: number }
  | { kind: 'chunked' }
  | { kind: 'close' };

export interface RequestHead {
  method: string;
  target: string;
  minorVersion: number;
  headers: Headers;
  framing: Framing;
  keepAlive: boolean;
}

export interface ResponseHead {
  status: number;
  reason: string;
  minorVersion: number;
  headers: Headers;
  framing: Framing;
  keepAlive: boolean;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const HEAD_END = Buffer.from('\r\n\r\n');
const MAX_CONTENT_LENGTH = Number.MAX_SAFE_INTEGER;

/** Index just past the blank line ending the head, or -1 if the head is incomplete. */
export function findHeadEnd(buf: Buffer, from = 0): number {
  const i = buf.indexOf(HEAD_END, Math.max(0, from - 3));
  return i < 0 ? -1 : i + 4;
}

function parseHeaderLines(lines: string[], errorStatus: 400 | 502): Headers {
  const headers = new Headers();
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    if (line === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new HttpParseError(errorStatus, `malformed header line ${JSON.stringify(line.slice(0, 40))}`);
    const name = line.slice(0, colon);
    if (!TOKEN.test(name)) throw new HttpParseError(errorStatus, `invalid header name ${JSON.stringify(name.slice(0, 40))}`);
    const value = line.slice(colon + 1).trim();
    if (value.includes('\n') || value.includes('\r') || value.includes('\0')) {
      throw new HttpParseError(errorStatus, `invalid character in header ${name}`);
    }
    headers.add(name.toLowerCase(), value);
  }
  return headers;
}

function splitHead(head: string, errorStatus: 400 | 502): string[] {
  const lines = head.split('\r\n');
  for (const l of lines) {
    if (l.includes('\n')) throw new HttpParseError(errorStatus, 'bare LF in message head');
    if (l.length > 0 && (l[0] === ' ' || l[0] === '\t')) throw new HttpParseError(errorStatus, 'obsolete header line folding');
  }
  return lines;
}

function contentLength(headers: Headers, errorStatus: 400 | 502): number | undefined {
  let length: number | undefined;
  headers.forEach((n, v) => {
    if (n !== 'content-length') return;
    for (const part of v.split(',')) {
      const t = part.trim();
      if (!/^\d{1,16}$/.test(t) || Number(t) > MAX_CONTENT_LENGTH) throw new HttpParseError(errorStatus, 'invalid Content-Length');
      if (length !== undefined && length !== Number(t)) throw new HttpParseError(errorStatus, 'conflicting Content-Length values');
      length = Number(t);
    }
  });
  return length;
}

/** `chunked` must be the final coding; any other transfer coding is not supported. */
function isChunked(headers: Headers, errorStatus: 400 | 502): boolean | undefined {
  const te = headers.get('transfer-encoding');
  if (te === undefined) return undefined;
  const codings = te.toLowerCase().split(',').map((s) => s.trim());
  if (codings.length !== 1 || codings[0] !== 'chunked') {
    throw new HttpParseError(errorStatus === 400 ? 501 : 502, `unsupported Transfer-Encoding ${JSON.stringify(te)}`);
  }
  return true;
}

function wantsKeepAlive(headers: Headers, minorVersion: number): boolean {
  const conn = headers.get('connection')?.toLowerCase();
  if (conn === undefined) return minorVersion >= 1;
  if (conn.includes('close')) return false;
  return minorVersion >= 1 || conn.includes('keep-alive');
}

export function parseRequestHead(buf: Buffer, end: number): RequestHead {
  const lines = splitHead(buf.toString('latin1', 0, end - 4), 400);
  const parts = lines[0].split(' ');
  if (parts.length !== 3) throw new HttpParseError(400, 'malformed request line');
  const [method, target, version] = parts;
  if (!TOKEN.test(method)) throw new HttpParseError(400, 'invalid method');
  if (version !== 'HTTP/1.1' && version !== 'HTTP/1.0') throw new HttpParseError(400, `unsupported version ${JSON.stringify(version.slice(0, 16))}`);
  if (target === '' || /[\s\0]/.test(target)) throw new HttpParseError(400, 'invalid request target');
  if (method === 'CONNECT') throw new HttpParseError(501, 'CONNECT is not supported');
  const minorVersion = version === 'HTTP/1.1' ? 1 : 0;
  const headers = parseHeaderLines(lines, 400);
  const chunked = isChunked(headers, 400);
  const length = contentLength(headers, 400);
  if (chunked && length !== undefined) throw new HttpParseError(400, 'both Content-Length and Transfer-Encoding');
  if (minorVersion === 1 && !headers.has('host')) throw new HttpParseError(400, 'missing Host header');
  let framing: Framing = { kind: 'none' };
  if (chunked) framing = { kind: 'chunked' };
  else if (length !== undefined && length > 0) framing = { kind: 'length', length };
  return { method, target, minorVersion, headers, framing, keepAlive: wantsKeepAlive(headers, minorVersion) };
}

export function parseResponseHead(buf: Buffer, end: number, requestMethod: string): ResponseHead {
  const lines = splitHead(buf.toString('latin1', 0, end - 4), 502);
  const m = /^HTTP\/1\.([01]) (\d{3})(?: (.*))?$/.exec(lines[0]);
  if (!m) throw new HttpParseError(502, 'malformed status line from upstream');
  const minorVersion = Number(m[1]);
  const status = Number(m[2]);
  const headers = parseHeaderLines(lines, 502);
  const chunked = isChunked(headers, 502);
  const length = contentLength(headers, 502);
  let framing: Framing;
  if (requestMethod === 'HEAD' || status < 200 || status === 204 || status === 304) framing = { kind: 'none' };
  else if (chunked) framing = { kind: 'chunked' };
  else if (length !== undefined) framing = length === 0 ? { kind: 'none' } : { kind: 'length', length };
  else framing = { kind: 'close' };
  const keepAlive = wantsKeepAlive(headers, minorVersion) && framing.kind !== 'close';
  return { status, reason: m[3] ?? '', minorVersion, headers, framing, keepAlive };
}

/** Serialize a head for the next hop: hop-by-hop headers dropped, framing re-stated. */
function serializeHeaders(out: string[], headers: Headers, framing: Framing): void {
  headers.forEach((n, v) => {
    if (!HOP_BY_HOP.has(n) && n !== 'content-length') out.push(n, ': ', v, '\r\n');
  });
  if (framing.kind === 'chunked') out.push('transfer-encoding: chunked\r\n');
  else if (framing.kind === 'length') out.push('content-length: ', String(framing.length), '\r\n');
}

export function serializeRequestHead(method: string, target: string, headers: Headers, framing: Framing): Buffer {
  const out = [method, ' ', target, ' HTTP/1.1\r\n'];
  serializeHeaders(out, headers, framing);
  if (method === 'POST' || method === 'PUT' || method === 'PATCH') {
    if (framing.kind === 'none') out.push('content-length: 0\r\n');
  }
  out.push('\r\n');
  return Buffer.from(out.join(''), 'latin1');
}

export function serializeResponseHead(status: number, reason: string, headers: Headers, framing: Framing, close: boolean): Buffer {
  const out = ['HTTP/1.1 ', String(status), ' ', reason, '\r\n'];
  serializeHeaders(out, headers, framing);
  if (framing.kind === 'none' && status >= 200 && status !== 204 && status !== 304 && !headers.has('content-length')) {
    out.push('content-length: 0\r\n');
  } else if (framing.kind === 'none' && headers.has('content-length')) {
    // HEAD responses keep the length of the representation they describe.
    out.push('content-length: ', headers.get('content-length') as string, '\r\n');
  }
  if (close) out.push('connection: close\r\n');
  out.push('\r\n');
  return Buffer.from(out.join(''), 'latin1');
}

const enum ChunkState {
  Size,
  SizeExt,
  SizeLf,
  Data,
  DataCr,
  DataLf,
  TrailerStart,
  TrailerLine,
  TrailerLf,
  EndLf,
  Done,
}

const MAX_CHUNK_LINE = 4096;

/**
 * Tracks where a body ends without copying it. `consume` returns how many bytes of
 * `buf[from..]` belong to the body; `done` turns true at the body's last byte.
 */
export class BodyTracker {
  private remaining = 0;
  private state = ChunkState.Size;
  private size = 0;
  private lineLength = 0;
  done: boolean;

  constructor(readonly framing: Framing, private readonly errorStatus: 400 | 502) {
    this.done = framing.kind === 'none';
    if (framing.kind === 'length') this.remaining = framing.length;
  }

  consume(buf: Buffer, from: number): number {
    const available = buf.length - from;
    switch (this.framing.kind) {
      case 'none':
        return 0;
      case 'close':
        return available;
      case 'length': {
        const n = Math.min(available, this.remaining);
        this.remaining -= n;
        this.done = this.remaining === 0;
        return n;
      }
      case 'chunked':
        return this.consumeChunked(buf, from);
    }
  }

  private bad(why: string): never {
    throw new HttpParseError(this.errorStatus, `malformed chunked body: ${why}`);
  }

  private consumeChunked(buf: Buffer, from: number): number {
    let i = from;
    while (i < buf.length && this.state !== ChunkState.Done) {
      const c = buf[i];
      switch (this.state) {
        case ChunkState.Size: {
          const d = hexDigit(c);
          if (d >= 0) {
            if (++this.lineLength > 15) this.bad('chunk size too large');
            this.size = this.size * 16 + d;
          } else if (this.lineLength === 0) this.bad('missing chunk size');
          else if (c === 0x0d) this.state = ChunkState.SizeLf;
          else if (c === 0x3b || c === 0x20 || c === 0x09) this.state = ChunkState.SizeExt;
          else this.bad('invalid chunk size');
          i++;
          break;
        }
        case ChunkState.SizeExt:
          if (c === 0x0d) this.state = ChunkState.SizeLf;
          else if (c === 0x0a || ++this.lineLength > MAX_CHUNK_LINE) this.bad('invalid chunk extension');
          i++;
          break;
        case ChunkState.SizeLf:
          if (c !== 0x0a) this.bad('expected LF after chunk size');
          i++;
          this.lineLength = 0;
          if (this.size === 0) this.state = ChunkState.TrailerStart;
          else {
            this.remaining = this.size;
            this.state = ChunkState.Data;
          }
          this.size = 0;
          break;
        case ChunkState.Data: {
          const n = Math.min(buf.length - i, this.remaining);
          this.remaining -= n;
          i += n;
          if (this.remaining === 0) this.state = ChunkState.DataCr;
          break;
        }
        case ChunkState.DataCr:
          if (c !== 0x0d) this.bad('expected CRLF after chunk data');
          this.state = ChunkState.DataLf;
          i++;
          break;
        case ChunkState.DataLf:
          if (c !== 0x0a) this.bad('expected CRLF after chunk data');
          this.state = ChunkState.Size;
          i++;
          break;
        case ChunkState.TrailerStart:
          if (c === 0x0d) this.state = ChunkState.EndLf;
          else {
            this.state = ChunkState.TrailerLine;
            this.lineLength = 1;
          }
          i++;
          break;
        case ChunkState.TrailerLine:
          if (c === 0x0d) this.state = ChunkState.TrailerLf;
          else if (c === 0x0a || ++this.lineLength > MAX_CHUNK_LINE) this.bad('invalid trailer line');
          i++;
          break;
        case ChunkState.TrailerLf:
          if (c !== 0x0a) this.bad('expected LF after trailer');
          this.state = ChunkState.TrailerStart;
          i++;
          break;
        case ChunkState.EndLf:
          if (c !== 0x0a) this.bad('expected final CRLF');
          this.state = ChunkState.Done;
          this.done = true;
          i++;
          break;
      }
    }
    return i - from;
  }
}

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}
