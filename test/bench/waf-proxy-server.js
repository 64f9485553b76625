#!/usr/bin/env node
// One Trellis proxy with the sidecar's HTTP filters (RBAC, WAF) registered, for the WAF
// benchmarks: `node test/bench/waf-proxy-server.js <file.json>` where the file holds
// { config } as packages/proxy/dist/main.js reads it. Runs over the built packages.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const ROOT = path.resolve(__dirname, '..', '..');
const { Proxy } = require(path.join(ROOT, 'packages/proxy/dist/index.js'));
const { STANDARD_HTTP_FILTERS } = require(path.join(ROOT, 'packages/http-filters/dist/index.js'));

async function main() {
  const { config } = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  const proxy = new Proxy({ accessLog: null });
  for (const { typeUrl, factory } of STANDARD_HTTP_FILTERS) proxy.registerFilter(typeUrl, factory, typeUrl);
  await proxy.applyConfig(config);
  await proxy.start();
  process.stderr.write(`ready ${process.pid}\n`);
}

main().catch((e) => {
  process.stderr.write(`${e.stack}\n`);
  process.exit(1);
});
