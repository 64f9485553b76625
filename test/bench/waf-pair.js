'use strict';
// What the two WAF proxy benchmarks share: a one-worker nginx app answering 200, and a Trellis
// proxy pair (A outbound → mTLS → B inbound → app) whose B runs the WAF filter, started from
// the built packages with the sidecar's filters registered (waf-proxy-server.js).
const fs = require('node:fs');
const path = require('node:path');
const { ID_A, ID_B, start, nginxConf, trellisConf, secrets, waitPort } = require('./proxy-kit');

const ROOT = path.resolve(__dirname, '..', '..');
const PROXY_MAIN = path.join(ROOT, 'packages/proxy/dist/main.js');
const WAF_PROXY = path.join(__dirname, 'waf-proxy-server.js');
/** The name A routes to B by (the Host every benchmark request carries). */
const SERVICE_B = 'b.default.svc.cluster.local';
const WAF_TYPE_URL = 'type.googleapis.com/trellis.waf.v1.Waf';

/** nginx, one worker, answering 200 to anything (bodies up to 4 MB, which it discards). */
async function startApp(dir, host, port) {
  const app = start('nginx', ['-c', nginxConf(dir, `app-${port}`, `  client_max_body_size 4m;
  server { listen ${host}:${port}; location / { return 200 "ok\\n"; } }`), '-p', dir], 'app');
  await waitPort(port, host);
  return app;
}

/**
 * A Trellis pair on `host`: A listens on `portA`, B on `portB` and sends to the app on
 * `appPort`. `waf` is B's WAF filter config (trellis.waf.v1.Waf), or undefined for none.
 */
async function startTrellisPair(dir, { host, portA, portB, appPort, waf }) {
  const filters = waf ? [{ name: 'trellis.waf', typeUrl: WAF_TYPE_URL, typedConfig: waf }] : [];
  const b = start(process.execPath, [WAF_PROXY, trellisConf(dir, `trellis-b-${portB}`, {
    listeners: [{ name: 'inbound', address: host, port: portB, filterChains: [{
      name: 'mtls', match: { transportProtocol: 'tls' },
      tls: { certificateSecret: 'default', validationSecret: 'ROOTCA', requireClientCert: true, matchSubjectAltNames: [ID_A] },
      network: { kind: 'http', httpFilters: [...filters, { name: 'envoy.filters.http.router' }], routeConfig: { name: 'in', virtualHosts: [{ name: 'app', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'app' } }] }] } },
    }] }],
    clusters: [{ name: 'app', type: 'STATIC', loadAssignment: { clusterName: 'app', endpoints: [{ address: host, port: appPort }] } }],
    secrets: secrets(dir, 'b'),
  })], `trellis-b-${portB}`);
  const a = start(process.execPath, [PROXY_MAIN, '--config', trellisConf(dir, `trellis-a-${portA}`, {
    listeners: [{ name: 'outbound', address: host, port: portA, filterChains: [{ name: 'out', network: { kind: 'http', routeConfigName: 'out', httpFilters: [{ name: 'envoy.filters.http.router' }] } }] }],
    routes: [{ name: 'out', virtualHosts: [{ name: 'b', domains: [SERVICE_B], routes: [{ match: { prefix: '/' }, route: { cluster: 'b' } }] }] }],
    clusters: [{ name: 'b', type: 'EDS', tls: { certificateSecret: 'default', validationSecret: 'ROOTCA', matchSubjectAltNames: [ID_B] } }],
    endpoints: [{ clusterName: 'b', endpoints: [{ address: host, port: portB }] }],
    secrets: secrets(dir, 'a'),
  })], `trellis-a-${portA}`);
  // B compiles the CRS before it listens.
  await Promise.all([waitPort(portA, host), waitPort(portB, host, 60000)]);
  return { a, b };
}

/** Peak and current RSS of a process in MB, from /proc (VmHWM is what `time -v` reports as max RSS). */
function rssMb(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)[1]);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

module.exports = { SERVICE_B, startApp, startTrellisPair, rssMb };
