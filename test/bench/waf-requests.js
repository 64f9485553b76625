'use strict';
// The benign requests the WAF benchmarks send, so their figures compare like with like, and
// how wrk sends them.
const { execFile } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const BROWSER_HEADERS = [
  ['Host', 'shop.example.com'],
  ['User-Agent', 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36'],
  ['Accept', 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8'],
  ['Accept-Language', 'en-US,en;q=0.9'],
  ['Accept-Encoding', 'gzip, deflate, br'],
  ['Cookie', 'session=3f9a2c71b8e44d0c9e1f; theme=dark'],
  ['Connection', 'keep-alive'],
];

const BENIGN_GET_URI = '/products/list?category=shoes&page=2&sort=price';

/** An ordinary urlencoded form of about `bytes` bytes. */
function formBody(bytes) {
  const fields = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const field = `field${i}=${encodeURIComponent(`value number ${i} with some ordinary words in it`)}`;
    fields.push(field);
    size += field.length + 1;
  }
  return fields.join('&').slice(0, bytes);
}

const FORM_BODY = formBody(1024);

const REQUESTS = {
  get: { name: 'benign GET', method: 'GET', uri: BENIGN_GET_URI, headers: BROWSER_HEADERS, body: '' },
  post: {
    name: '1 KB form POST',
    method: 'POST',
    uri: '/account/profile',
    headers: [...BROWSER_HEADERS, ['Content-Type', 'application/x-www-form-urlencoded'], ['Content-Length', String(FORM_BODY.length)]],
    body: FORM_BODY,
  },
};

/** A wrk Lua script sending `r` (wrk adds Content-Length itself when a body is set); `host` replaces its Host. */
function wrkScript(dir, key, r, host) {
  const lua = (s) => JSON.stringify(s); // a JSON string literal is a valid Lua string literal here (ASCII only)
  const lines = [`wrk.method = ${lua(r.method)}`, `wrk.path = ${lua(r.uri)}`];
  for (const [k, v] of r.headers) {
    if (k !== 'Content-Length') lines.push(`wrk.headers[${lua(k)}] = ${lua(k === 'Host' && host ? host : v)}`);
  }
  if (r.body) lines.push(`wrk.body = ${lua(r.body)}`);
  const file = path.join(dir, `${key}.lua`);
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

/** One wrk run: { requests, rps, non2xx, p50, p99, timeouts } (latencies in ms; timed-out requests are not in them). */
function runWrk(url, script, { seconds, connections }) {
  return new Promise((resolve, reject) => {
    const argv = ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', '-s', script, url];
    execFile('wrk', argv, { maxBuffer: 1 << 20 }, (err, out, stderr) => {
      if (err) return reject(new Error(`wrk failed: ${err.message}\n${stderr}`));
      const toMs = (v, unit) => Number(v) * { us: 0.001, ms: 1, s: 1000 }[unit];
      const pct = (p) => {
        const m = new RegExp(`\\s${p}%\\s+([\\d.]+)(us|ms|s)`).exec(out);
        return m ? toMs(m[1], m[2]) : NaN;
      };
      resolve({
        requests: Number(/(\d+) requests in/.exec(out)?.[1] ?? NaN),
        rps: Number(/Requests\/sec:\s*([\d.]+)/.exec(out)?.[1] ?? NaN),
        non2xx: Number(/Non-2xx or 3xx responses:\s*(\d+)/.exec(out)?.[1] ?? 0),
        p50: pct(50),
        p99: pct(99),
        timeouts: Number(/Socket errors:.*timeout (\d+)/.exec(out)?.[1] ?? 0),
      });
    });
  });
}

module.exports = { BROWSER_HEADERS, BENIGN_GET_URI, formBody, REQUESTS, wrkScript, runWrk };
