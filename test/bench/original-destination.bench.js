#!/usr/bin/env node
// What a captured connection costs the proxy to learn where it was going: originalDestination()
// (getsockopt SO_ORIGINAL_DST through koffi) against socket.address() (what a listener without
// capture reads), on a connection really redirected by iptables, in a throwaway network namespace.
// The proxy makes this call twice per captured connection (chain match, then the filters' view).
//
//   npx tsc -b && sudo /usr/bin/time -v node test/bench/original-destination.bench.js [--calls 200000]
'use strict';
const { execFileSync } = require('node:child_process');
const net = require('node:net');
const path = require('node:path');
const { option } = require('./proxy-kit');

const NS = 'trellis-t-bench';
const calls = Number(option('calls', '200000'));

if (process.argv[2] !== '--inside') {
  // Set up the namespace (root), run this file inside it, always remove it.
  const ip = (...args) => execFileSync('ip', args, { stdio: 'inherit' });
  try { execFileSync('ip', ['netns', 'del', NS], { stdio: 'ignore' }); } catch { /* none left over */ }
  try {
    ip('netns', 'add', NS);
    ip('-n', NS, 'link', 'set', 'lo', 'up');
    ip('-n', NS, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth1');
    ip('-n', NS, 'addr', 'add', '10.231.0.98/24', 'dev', 'eth0');
    ip('-n', NS, 'link', 'set', 'eth0', 'up');
    ip('-n', NS, 'link', 'set', 'eth1', 'up');
    execFileSync('ip', ['netns', 'exec', NS, 'iptables', '-t', 'nat', '-A', 'OUTPUT', '-p', 'tcp', '-d', '10.231.0.99', '-j', 'REDIRECT', '--to-ports', '15006']);
    execFileSync('ip', ['netns', 'exec', NS, process.execPath, __filename, '--inside', '--calls', String(calls)], { stdio: 'inherit' });
  } finally {
    execFileSync('ip', ['netns', 'del', NS], { stdio: 'ignore' });
  }
} else {
  const { originalDestination } = require(path.resolve(__dirname, '../../packages/capture/dist'));
  const perCall = (fn) => {
    const start = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) fn();
    return Number(process.hrtime.bigint() - start) / calls;
  };
  const server = net.createServer((socket) => {
    const dst = originalDestination(socket);
    perCall(() => originalDestination(socket)); // warm-up
    const baseline = perCall(() => socket.address());
    const measured = perCall(() => originalDestination(socket));
    console.log(`redirected to :15006, original destination ${dst.address}:${dst.port}; ${calls} calls each, Node ${process.version}`);
    console.log(`socket.address()        ${baseline.toFixed(0)} ns/call (baseline)`);
    console.log(`originalDestination()   ${measured.toFixed(0)} ns/call = ${(measured / baseline).toFixed(1)}x baseline, ${((2 * measured) / 1000).toFixed(1)} µs per captured connection`);
    console.log(`max RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
    process.exit(0);
  });
  server.listen(15006, '0.0.0.0', () => net.connect(8080, '10.231.0.99'));
}
