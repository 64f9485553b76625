#!/usr/bin/env node
/*
 * Micro benchmark of detectSQLi / detectXSS over the built package.
 *
 *   npx tsc -b && node packages/libinjection/bench/detect.bench.js
 *
 * Prints ns per call for short inputs and 4 KB inputs, each also as a ratio to a baseline
 * measured in the same run on the same inputs: one pass reading every byte (charCodeAt),
 * i.e. "how many byte-scans does a detection cost". Plus RSS at the end.
 */
'use strict';
const path = require('path');
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

/**
 * ns per call of fn over inputs: the best of ROUNDS rounds of about `ms` milliseconds each
 * (the machine is shared, so the minimum is the least disturbed figure), after a warm-up.
 */
function measure(fn, inputs, ms) {
  for (let i = 0; i < 2000; i++) sink ^= fn(inputs[i % inputs.length]) ? 1 : 0;
  let best = Infinity;
  for (let r = 0; r < ROUNDS; r++) best = Math.min(best, round(fn, inputs, ms / ROUNDS));
  return best;
}

function round(fn, inputs, ms) {
  let calls = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round(ms * 1e6));
  let now = start;
  while (now < deadline) {
    for (let i = 0; i < 200; i++) {
      const r = fn(inputs[(calls + i) % inputs.length]);
      sink ^= r === true || (r && r.isSqli) ? 1 : 0;
    }
    calls += 200;
    now = process.hrtime.bigint();
  }
  return Number(now - start) / calls;
}

const MS = Number(process.env.BENCH_MS || 1000);
const ROUNDS = 5;
const rows = [];
function row(name, inputs) {
  const base = measure((s) => baseline(s) === 1, inputs, MS);
  const sqli = measure(detectSQLi, inputs, MS);
  const xss = measure(detectXSS, inputs, MS);
  rows.push({ name, base, sqli, xss });
}

row(`short (${SHORT.length} mixed inputs, avg ${Math.round(SHORT.join('').length / SHORT.length)} B)`, SHORT);
for (const [name, s] of Object.entries(KB4)) row(name, [s]);

const pad = (s, n) => String(s).padStart(n);
console.log(`node ${process.version}, best of ${ROUNDS} rounds, ${MS} ms per measurement`);
console.log(`${'input'.padEnd(38)}${pad('baseline ns', 13)}${pad('detectSQLi ns', 15)}${pad('x base', 9)}${pad('detectXSS ns', 14)}${pad('x base', 9)}`);
for (const r of rows) {
  console.log(
    `${r.name.padEnd(38)}${pad(r.base.toFixed(0), 13)}${pad(r.sqli.toFixed(0), 15)}${pad((r.sqli / r.base).toFixed(1), 9)}` +
      `${pad(r.xss.toFixed(0), 14)}${pad((r.xss / r.base).toFixed(1), 9)}`,
  );
}
console.log(`RSS ${(process.memoryUsage().rss / 1048576).toFixed(1)} MiB${sink === 42 ? '' : ''}`);
