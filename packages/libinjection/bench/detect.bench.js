#!/usr/bin/env node
/*
 * Micro benchmark of detectSQLi / detectXSS over the built package.
 *
 *   npx tsc -b && node packages/libinjection/bench/detect.bench.js
 *
 * Prints ns per call for short inputs and 4 KB inputs, each also as a ratio to a baseline
 * measured in the same run on the same inputs: one pass reading every byte (charCodeAt),
 * i.e. "how many byte-scans does a detection cost". Plus RSS at the end. BENCH_MS sets the
 * time spent per input set (default 1500 ms).
 */
'use strict';
const path = require('path');
const { Buffer: Bytes } = require('buffer');
const { detectSQLi, detectXSS } = require(path.join(__dirname, '..', 'dist'));

const SHORT = [
  'hello world',
  'john.doe@example.com',
  '$19.99',
  "O'Reilly",
  '{"id":42,"tags":["a","b"]}',
  "1' or '1'='1",
  '1 UNION SELECT username, password FROM users--',
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(1)>',
  '" onmouseover="alert(1)',
];

function repeatTo(unit, size) {
  return unit.repeat(Math.ceil(size / unit.length)).slice(0, size);
}

/** A flat copy, like the strings a WAF gets from Buffer#toString (not a rope or a slice). */
function flat(s) {
  return Bytes.from(s, 'latin1').toString('latin1');
}

const KB4 = {
  'prose 4KB': repeatTo('The quick brown fox jumps over the lazy dog; prices from $19.99, see https://example.com/a?b=c. ', 4096),
  'JSON 4KB': repeatTo('{"id":12345,"name":"Widget \\"Pro\\"","tags":["a","b"],"price":19.99,"ok":true},', 4096),
  'HTML 4KB': repeatTo('<p class="note">Hello <b>world</b> &amp; <a href="https://example.com/x">link</a></p>\n', 4096),
  'SQLi at end 4KB': repeatTo('lorem ipsum dolor sit amet ', 4096 - 40) + "' UNION SELECT password FROM users--",
};

let sink = 0;
function baseline(s) {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (h + s.charCodeAt(i)) | 0;
  return h;
}

/** ns per call of fn over inputs during about `ms` milliseconds. */
function timed(fn, inputs, ms) {
  let calls = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round(ms * 1e6));
  let now = start;
  while (now < deadline) {
    for (let i = 0; i < 50; i++) {
      const r = fn(inputs[(calls + i) % inputs.length]);
      sink ^= r === true || (r && r.isSqli) ? 1 : 0;
    }
    calls += 50;
    now = process.hrtime.bigint();
  }
  return Number(now - start) / calls;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

const MS = Number(process.env.BENCH_MS || 1500);
const ROUNDS = 7;
const rows = [];

/**
 * The machine may be shared, so each round measures the baseline and both detectors back to
 * back: ratios are per round (median reported), absolute figures are the best round.
 */
function row(name, inputs) {
  const base = (s) => baseline(s) === 1;
  for (const fn of [base, detectSQLi, detectXSS]) timed(fn, inputs, 50); // warm-up
  const r = { name, base: [], sqli: [], xss: [] };
  for (let i = 0; i < ROUNDS; i++) {
    r.base.push(timed(base, inputs, MS / ROUNDS / 3));
    r.sqli.push(timed(detectSQLi, inputs, MS / ROUNDS / 3));
    r.xss.push(timed(detectXSS, inputs, MS / ROUNDS / 3));
  }
  rows.push({
    name,
    base: Math.min(...r.base),
    sqli: Math.min(...r.sqli),
    xss: Math.min(...r.xss),
    sqliRatio: median(r.sqli.map((v, i) => v / r.base[i])),
    xssRatio: median(r.xss.map((v, i) => v / r.base[i])),
  });
}

row(`short (${SHORT.length} mixed inputs, avg ${Math.round(SHORT.join('').length / SHORT.length)} B)`, SHORT.map(flat));
for (const [name, s] of Object.entries(KB4)) row(name, [flat(s)]);

const pad = (s, n) => String(s).padStart(n);
console.log(`node ${process.version}, ${ROUNDS} interleaved rounds, ${MS} ms per input set; ns = best round, x base = median ratio`);
console.log(`${'input'.padEnd(38)}${pad('baseline ns', 13)}${pad('detectSQLi ns', 15)}${pad('x base', 9)}${pad('detectXSS ns', 14)}${pad('x base', 9)}`);
for (const r of rows) {
  console.log(
    `${r.name.padEnd(38)}${pad(r.base.toFixed(0), 13)}${pad(r.sqli.toFixed(0), 15)}${pad(r.sqliRatio.toFixed(1), 9)}` +
      `${pad(r.xss.toFixed(0), 14)}${pad(r.xssRatio.toFixed(1), 9)}`,
  );
}
console.log(`RSS ${(process.memoryUsage().rss / 1048576).toFixed(1)} MiB (result checksum ${sink})`);
