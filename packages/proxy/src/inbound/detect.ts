// Listener-level protocol detection (Envoy's tls_inspector + http_inspector): read the
// first bytes, decide TLS vs plaintext (a TLS record starts with 0x16), pull SNI and
// ALPN out of a ClientHello, and tell HTTP/2 prior knowledge, HTTP/1 and opaque
// bytes apart. The bytes are pushed back so the next stage sees the stream untouched.
import * as net from 'node:net';

export interface Detected {
  transport: 'tls' | 'raw_buffer';
  sni?: string;
  /** ALPN offered in the ClientHello, or the sniffed plaintext protocol (`h2c`, `http/1.1`). */
  applicationProtocols: string[];
}

const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
const HTTP1_METHOD = /^[A-Z]{3,10} /;
const MAX_PEEK = 16 * 1024 + 5;

/** Peek at the connection's first bytes (pushed back with unshift before `done`). */
export function detect(socket: net.Socket, timeoutMs: number, done: (d: Detected) => void): void {
  let buf: Buffer = Buffer.alloc(0);
  let finished = false;
  const finish = (): void => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    socket.removeListener('data', onData);
    socket.removeListener('end', finish);
    socket.pause();
    if (buf.length > 0) socket.unshift(buf);
    done(classify(buf));
  };
  const onData = (d: Buffer): void => {
    buf = buf.length === 0 ? d : Buffer.concat([buf, d]);
    if (needsMore(buf)) return;
    finish();
  };
  // Server-first protocols never send: after the timeout treat the connection as opaque.
  const timer = setTimeout(finish, timeoutMs);
  socket.on('data', onData);
  socket.once('end', finish);
}

function needsMore(buf: Buffer): boolean {
  if (buf.length >= MAX_PEEK) return false;
  if (buf[0] === 0x16) {
    if (buf.length < 5) return true;
    return buf.length < 5 + buf.readUInt16BE(3);
  }
  // Enough to tell the HTTP/2 preface from anything else.
  return buf.length < H2_PREFACE.length && H2_PREFACE.subarray(0, buf.length).equals(buf);
}

export function classify(buf: Buffer): Detected {
  if (buf.length > 0 && buf[0] === 0x16) {
    const hello = parseClientHello(buf);
    return { transport: 'tls', sni: hello?.sni, applicationProtocols: hello?.alpn ?? [] };
  }
  if (buf.length >= H2_PREFACE.length && buf.subarray(0, H2_PREFACE.length).equals(H2_PREFACE)) {
    return { transport: 'raw_buffer', applicationProtocols: ['h2c'] };
  }
  if (HTTP1_METHOD.test(buf.toString('latin1', 0, Math.min(buf.length, 12)))) {
    return { transport: 'raw_buffer', applicationProtocols: ['http/1.1'] };
  }
  return { transport: 'raw_buffer', applicationProtocols: [] };
}

/** SNI and ALPN from a TLS ClientHello in one record; undefined when it does not parse. */
export function parseClientHello(buf: Buffer): { sni?: string; alpn: string[] } | undefined {
  try {
    let p = 5; // record header
    if (buf[p] !== 0x01) return undefined; // handshake type: client_hello
    p += 4 + 2 + 32; // handshake header, client_version, random
    p += 1 + buf[p]; // session_id
    p += 2 + buf.readUInt16BE(p); // cipher_suites
    p += 1 + buf[p]; // compression_methods
    const extEnd = p + 2 + buf.readUInt16BE(p);
    p += 2;
    const out: { sni?: string; alpn: string[] } = { alpn: [] };
    while (p + 4 <= extEnd && p + 4 <= buf.length) {
      const type = buf.readUInt16BE(p);
      const len = buf.readUInt16BE(p + 2);
      const body = buf.subarray(p + 4, p + 4 + len);
      if (type === 0 && body.length >= 5 && body[2] === 0) {
        out.sni = body.toString('latin1', 5, 5 + body.readUInt16BE(3)).toLowerCase();
      } else if (type === 16 && body.length >= 2) {
        for (let q = 2; q < body.length; q += 1 + body[q]) out.alpn.push(body.toString('latin1', q + 1, q + 1 + body[q]));
      }
      p += 4 + len;
    }
    return out;
  } catch {
    return undefined;
  }
}
