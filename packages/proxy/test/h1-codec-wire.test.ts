// Unchanged heads are forwarded as copied wire bytes; these tests hold that path to
// exactly what re-encoding every header would send.
import { findHeadEnd, parseRequestHead, parseResponseHead, serializeRequestHead, serializeResponseHead } from '../src/http/h1-codec';
import { Headers, HOP_BY_HOP } from '../src/http/headers';

function request(text: string): ReturnType<typeof parseRequestHead> {
  const buf = Buffer.from(text, 'latin1');
  return parseRequestHead(buf, findHeadEnd(buf));
}

function response(text: string): ReturnType<typeof parseResponseHead> {
  const buf = Buffer.from(text, 'latin1');
  return parseResponseHead(buf, findHeadEnd(buf), 'GET');
}

/** The same list without its wire bytes, so the encoder has to re-encode every header. */
function reencoded(headers: Headers): Headers {
  const copy = new Headers();
  headers.forEach((n, v) => copy.add(n, v));
  return copy;
}

/** Header lines as the next hop parses them: lower-case names, trimmed values, in order. */
function lines(head: Buffer): string[] {
  return head.toString('latin1').split('\r\n').slice(1).filter(Boolean).map((l) => {
    const colon = l.indexOf(':');
    return `${l.slice(0, colon).toLowerCase()}: ${l.slice(colon + 1).trim()}`;
  });
}

describe('HTTP/1 heads forwarded from wire bytes', () => {
  const heads = [
    'GET / HTTP/1.1\r\nHost: a\r\n\r\n',
    'GET /x?y HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, x-drop\r\nX-Keep:  spaced value \r\nTE: trailers\r\n\r\n',
    'POST /p HTTP/1.1\r\nContent-Length: 5\r\nHost: a\r\nKeep-Alive: timeout=5\r\n\r\n',
    'POST /p HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n',
    'GET / HTTP/1.0\r\n\r\n',
    'PUT /empty HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n',
  ];

  it.each(heads)('request %j: same lines as re-encoding, hop-by-hop and Content-Length re-stated', (text) => {
    const req = request(text);
    req.headers.set('x-request-id', 'id-1');
    const fast = serializeRequestHead(req.method, req.target, req.headers, req.framing, req.minorVersion);
    const slow = serializeRequestHead(req.method, req.target, reencoded(req.headers), req.framing, req.minorVersion);
    expect(req.headers.wire).toBeDefined();
    expect(lines(fast)).toEqual(lines(slow));
    expect(fast.toString('latin1').split('\r\n')[0]).toBe(slow.toString('latin1').split('\r\n')[0]);
    expect(fast.subarray(-4).toString('latin1')).toBe('\r\n\r\n');
    const again = request(fast.toString('latin1'));
    expect(again.framing).toEqual(req.framing);
    expect(again.headers.get('x-request-id')).toBe('id-1');
    expect(again.headers.has('connection') || again.headers.has('te') || again.headers.has('keep-alive')).toBe(false);
  });

  it('every HOP_BY_HOP name is dropped from the copied lines', () => {
    const lines = [...HOP_BY_HOP].filter((n) => n !== 'transfer-encoding').map((n) => `${n.toUpperCase()}: x\r\n`).join('');
    const req = request(`GET / HTTP/1.1\r\nHost: a\r\n${lines}X-Kept: 1\r\n\r\n`);
    const out = serializeRequestHead(req.method, req.target, req.headers, req.framing, req.minorVersion).toString('latin1');
    expect(out).toBe('GET / HTTP/1.1\r\nHost: a\r\nX-Kept: 1\r\n\r\n');
  });

  it('deleting a parsed header falls back to re-encoding, so the deleted line is gone', () => {
    const req = request('GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-Client-Cert: forged\r\n\r\n');
    req.headers.delete('x-forwarded-client-cert');
    expect(req.headers.wire).toBeUndefined();
    req.headers.set('x-forwarded-client-cert', 'URI=spiffe://td/ns/a/sa/b');
    const out = serializeRequestHead(req.method, req.target, req.headers, req.framing, req.minorVersion).toString('latin1');
    expect(out).not.toContain('forged');
    expect(out).toContain('x-forwarded-client-cert: URI=spiffe://td/ns/a/sa/b\r\n');
  });

  it('response: Connection dropped, length re-stated, body bytes in the same buffer', () => {
    const res = response('HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Length: 3\r\nConnection: keep-alive\r\nContent-Type: text/plain\r\n\r\n');
    const body = Buffer.from('ok\n');
    const fast = serializeResponseHead(res.status, res.reason, res.headers, res.framing, true, body);
    const slow = serializeResponseHead(res.status, res.reason, reencoded(res.headers), res.framing, true, body);
    expect(lines(fast)).toEqual(lines(slow));
    expect(fast.toString('latin1')).toBe('HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: text/plain\r\ncontent-length: 3\r\nconnection: close\r\n\r\nok\n');
  });

  it('response without a body still states its length', () => {
    const res = response('HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-A: 1\r\n\r\n');
    expect(serializeResponseHead(res.status, res.reason, res.headers, res.framing, false).toString('latin1')).toBe('HTTP/1.1 200 OK\r\nX-A: 1\r\ncontent-length: 0\r\n\r\n');
  });
});
