#!/usr/bin/env node
// What the proxy→proxy hop costs in CPU per request when HTTP/1.1 app traffic is carried
// as HTTP/1.1 (one request per pooled mTLS connection at a time, one TLS write per message,
// as Trellis does today) versus as HTTP/2 (all requests as streams of one mTLS session,
// node:http2 as H2Pool and Http2Downstream use it). Only the hop: small canned messages,
// no routing, so the difference is the transport alone.
//
// Usage: node test/bench/h2-hop.bench.js [--duration 5] [--concurrency 32]
// Needs openssl on PATH. Loopback only; both processes exit at the end.
'use strict';
const { execFileSync, fork } = require('node:child_process');
const fs = require('node:fs');
const http2 = require('node:http2');
const os = require('node:os');
const path = require('node:path');
const tls = require('node:tls');

const WARMUP_MS = 1_000;
const REQUEST = Buffer.from(
  'GET / HTTP/1.1\r\nhost: b.default.svc.cluster.local\r\nuser-agent: wrk\r\nx-request-id: 3f2c7d1e-1111-2222-3333-444455556666\r\n' +
    'x-forwarded-client-cert: URI=spiffe://cluster.local/ns/default/sa/a\r\n\r\n',
);
const RESPONSE = Buffer.from('HTTP/1.1 200 OK\r\nserver: nginx\r\ncontent-type: text/plain\r\ncontent-length: 3\r\n\r\nok\n');
const HEAD_END = Buffer.from('\r\n\r\n');
const H2_REQUEST = {
  ':method': 'GET', ':path': '/', ':authority': 'b.default.svc.cluster.local', ':scheme': 'http',
  'user-agent': 'wrk', 'x-request-id': '3f2c7d1e-1111-2222-3333-444455556666', 'x-forwarded-client-cert': 'URI=spiffe://cluster.local/ns/default/sa/a',
};
const H2_RESPONSE = { ':status': 200, server: 'nginx', 'content-type': 'text/plain', 'content-length': '3' };

function makePki(dir) {
  const openssl = (argv) => execFileSync('openssl', argv, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-subj', '/CN=hop-ca', '-days', '1']);
  for (const name of ['a', 'b']) {
    openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`]);
    openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1', '-out', `${name}.crt`]);
  }
}

/** CPU microseconds per request over `ms`, starting now; `counter()` reads the request count. */
function measure(ms, counter, report) {
  const cpu0 = process.cpuUsage();
  const n0 = counter();
  setTimeout(() => {
    const cpu = process.cpuUsage(cpu0);
    const n = counter() - n0;
    report({ requests: n, usPerRequest: (cpu.user + cpu.system) / n, kernelUsPerRequest: cpu.system / n });
  }, ms);
}

function server({ mode, dir, durationMs }) {
  const read = (f) => fs.readFileSync(path.join(dir, f));
  const options = { key: read('b.key'), cert: read('b.crt'), ca: read('ca.crt'), requestCert: true, rejectUnauthorized: true };
  let served = 0;
  let srv;
  if (mode === 'h1') {
    srv = tls.createServer({ ...options, ALPNProtocols: ['http/1.1'] }, (socket) => {
      socket.setNoDelay(true);
      socket.on('error', () => socket.destroy());
      socket.on('data', (d) => {
        for (let i = d.indexOf(HEAD_END); i >= 0; i = d.indexOf(HEAD_END, i + 4)) {
          served++;
          socket.write(RESPONSE);
        }
      });
    });
  } else {
    srv = http2.createSecureServer({ ...options, ALPNProtocols: ['h2'] });
    srv.on('stream', (stream) => {
      served++;
      stream.on('error', () => undefined);
      stream.respond(H2_RESPONSE);
      stream.end('ok\n');
    });
    srv.on('session', (s) => s.on('error', () => undefined));
  }
  srv.listen(0, '127.0.0.1', () => {
    process.send({ port: srv.address().port });
    setTimeout(() => measure(durationMs, () => served, (r) => process.send({ server: r })), WARMUP_MS);
  });
}

function client({ mode, dir, port, concurrency, durationMs }, report) {
  const read = (f) => fs.readFileSync(path.join(dir, f));
  const options = {
    host: '127.0.0.1', port, key: read('a.key'), cert: read('a.crt'), ca: read('ca.crt'),
    checkServerIdentity: () => undefined, // the bench CA names no hosts; identity checks are not what is measured
  };
  let done = 0;
  if (mode === 'h1') {
    for (let c = 0; c < concurrency; c++) {
      const s = tls.connect({ ...options, ALPNProtocols: ['http/1.1'] }, () => {
        s.setNoDelay(true);
        s.write(REQUEST);
      });
      s.on('error', () => undefined);
      s.on('data', () => {
        done++;
        s.write(REQUEST);
      });
    }
  } else {
    const session = http2.connect('https://127.0.0.1', { createConnection: () => tls.connect({ ...options, ALPNProtocols: ['h2'] }) });
    session.on('error', () => undefined);
    const one = () => {
      const req = session.request(H2_REQUEST, { endStream: true });
      req.on('error', () => undefined);
      req.on('response', () => undefined);
      req.on('data', () => undefined);
      req.on('end', () => {
        done++;
        if (!session.closed) one();
      });
    };
    for (let c = 0; c < concurrency; c++) one();
  }
  setTimeout(() => measure(durationMs, () => done, report), WARMUP_MS);
}

function runMode(mode, dir, durationMs, concurrency) {
  return new Promise((resolve, reject) => {
    const child = fork(__filename, ['--serve', JSON.stringify({ mode, dir, durationMs })]);
    const result = { mode };
    const settle = () => {
      if (result.client && result.server) {
        child.kill();
        resolve(result);
      }
    };
    child.on('error', reject);
    child.on('message', (m) => {
      if (m.port) {
        client({ mode, dir, port: m.port, concurrency, durationMs }, (r) => {
          result.client = r;
          settle();
        });
      }
      if (m.server) {
        result.server = m.server;
        settle();
      }
    });
  });
}

async function main() {
  const args = process.argv.slice(2);
  const opt = (name, dflt) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : dflt);
  if (args[0] === '--serve') return server(JSON.parse(args[1]));
  const durationMs = Number(opt('duration', '5')) * 1000;
  const concurrency = Number(opt('concurrency', '32'));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-h2-hop-'));
  makePki(dir);
  console.log(`proxy→proxy hop over mTLS, ${concurrency} requests in flight, ${durationMs / 1000}s per mode, CPU µs per request (of which kernel)`);
  console.log('mode                     req/s   client µs      server µs      hop total µs');
  for (const mode of ['h1', 'h2']) {
    const r = await runMode(mode, dir, durationMs, concurrency);
    const f = (x) => `${x.usPerRequest.toFixed(1)} (${x.kernelUsPerRequest.toFixed(1)})`.padEnd(14);
    const label = mode === 'h1' ? 'h1, connection per req' : 'h2, one shared session';
    console.log(`${label}  ${String(Math.round(r.client.requests / (durationMs / 1000))).padStart(6)}   ${f(r.client)} ${f(r.server)} ${(r.client.usPerRequest + r.server.usPerRequest).toFixed(1)}`);
  }
  fs.rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
