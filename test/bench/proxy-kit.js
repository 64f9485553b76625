// Helpers the proxy benchmarks share: child processes (each bench registers `cleanup` on
// exit), a throwaway PKI with SPIFFE SVIDs, nginx and Trellis config files, /proc readings.
'use strict';
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');

const ID_A = 'spiffe://cluster.local/ns/default/sa/a';
const ID_B = 'spiffe://cluster.local/ns/default/sa/b';
const children = [];

/** Resolves once `host:port` accepts connections. */
function waitPort(port, host, ms = 10000) {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tryOnce = () => {
      const s = net.connect(port, host);
      s.once('connect', () => {
        s.destroy();
        resolve();
      });
      s.once('error', () => {
        if (Date.now() > deadline) reject(new Error(`${host}:${port} did not open`));
        else setTimeout(tryOnce, 50);
      });
    };
    tryOnce();
  });
}

function start(cmd, argv, name) {
  const child = spawn(cmd, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr.on('data', (d) => {
    if (process.env.BENCH_VERBOSE) process.stderr.write(`[${name}] ${d}`);
  });
  child.name = name;
  children.push(child);
  return child;
}

function openssl(argv, cwd) {
  execFileSync('openssl', argv, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

function makePki(dir) {
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt',
    '-subj', '/O=trellis/CN=bench-ca', '-days', '1', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  // b also gets a DNS SAN because nginx's proxy_ssl_verify can only check host names.
  for (const [name, san] of [['a', `URI:${ID_A}`], ['b', `URI:${ID_B},DNS:b.default.svc.cluster.local`]]) {
    fs.writeFileSync(path.join(dir, `${name}.ext`), `subjectAltName=critical,${san}\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\n`);
    openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', '/O=trellis'], dir);
    openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1', '-extfile', `${name}.ext`, '-out', `${name}.crt`], dir);
  }
}

function nginxConf(dir, name, server) {
  const conf = `
worker_processes 1;
daemon off;
master_process off;
pid ${dir}/${name}.pid;
error_log ${dir}/${name}.error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/${name}-body;
  proxy_temp_path ${dir}/${name}-proxy;
  fastcgi_temp_path ${dir}/${name}-fastcgi;
  uwsgi_temp_path ${dir}/${name}-uwsgi;
  scgi_temp_path ${dir}/${name}-scgi;
  keepalive_requests 1000000;
${server}
}`;
  const file = path.join(dir, `${name}.conf`);
  fs.writeFileSync(file, conf);
  return file;
}

function trellisConf(dir, name, config, adminPort) {
  const file = path.join(dir, `${name}.json`);
  fs.writeFileSync(file, JSON.stringify({ accessLog: false, adminPort, config }));
  return file;
}

function secrets(dir, who) {
  return [
    { name: 'default', tlsCertificate: { certChainPem: fs.readFileSync(path.join(dir, `${who}.crt`), 'utf8'), privateKeyPem: fs.readFileSync(path.join(dir, `${who}.key`), 'utf8') } },
    { name: 'ROOTCA', validationContext: { trustedCaPem: fs.readFileSync(path.join(dir, 'ca.crt'), 'utf8') } },
  ];
}

function procStats(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const ticks = 100; // USER_HZ on Linux
  const user = Number(stat[11]) / ticks;
  const sys = Number(stat[12]) / ticks;
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const rss = Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024;
  return { cpu: user + sys, user, sys, rss };
}

function cleanup() {
  // SIGTERM first so Trellis can drain and write profiles; nginx exits on it too.
  for (const c of children) if (c.exitCode === null) c.kill(process.env.BENCH_NODE_ARGS ? 'SIGTERM' : 'SIGKILL');
}

/** `--name value` from the command line, or `dflt`. */
function option(name, dflt) {
  const args = process.argv.slice(2);
  return args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : dflt;
}

/** Runs a benchmark's `main`, killing every child started through `start` however it ends. */
function runBench(main) {
  process.on('exit', cleanup);
  process.on('SIGINT', () => process.exit(130));
  process.on('SIGTERM', () => process.exit(143));
  main()
    .catch((e) => {
      console.error(e);
      process.exitCode = 1;
    })
    // The children's stderr pipes keep the event loop alive: exit explicitly so 'exit' runs cleanup.
    .finally(() => process.exit());
}

module.exports = { ID_A, ID_B, cleanup, start, makePki, nginxConf, trellisConf, secrets, procStats, waitPort, option, runBench };
