// The unmodified apps of the network-namespace capture test (netns-capture.test.ts), run as
// a plain user inside a pod's namespace. None knows about the mesh: they dial plain IP:port.
//   node netns-capture-apps.js http <name> <port>   an HTTP app answering who it is and what it saw
//   node netns-capture-apps.js echo <port>          a TCP app echoing what it reads
//   node netns-capture-apps.js client <calls.json>  makes the calls, prints one JSON line of results
//   node netns-capture-apps.js load <url> <host|-> <seconds> <connections>
//                                                   keep-alive GETs for a while (test/bench/capture-pair.bench.js)
const http = require('node:http');
const net = require('node:net');
const fs = require('node:fs');

const [mode, ...args] = process.argv.slice(2);

function httpApp(name, port) {
  http.createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ app: name, path: req.url, xfcc: req.headers['x-forwarded-client-cert'] ?? null }));
  }).listen(Number(port), '0.0.0.0', () => console.log('listening'));
}

function echoApp(port) {
  net.createServer((socket) => socket.on('data', (d) => socket.write(`echo:${d}`)).on('error', () => socket.destroy()))
    .listen(Number(port), '0.0.0.0', () => console.log('listening'));
}

function get(url) {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve({ error: e.message }));
  });
}

function tcp(host, port, payload) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: 5000 }, () => socket.write(payload));
    let data = '';
    socket.on('data', (d) => {
      data += d;
      if (data.length >= payload.length + 5) socket.end();
    });
    socket.on('close', () => resolve({ data }));
    socket.on('timeout', () => socket.destroy());
    socket.on('error', (e) => resolve({ error: e.message }));
  });
}

const call = (c) => (c.tcp ? tcp(c.tcp.host, c.tcp.port, c.tcp.payload) : get(c.url));

async function client(file) {
  const calls = JSON.parse(fs.readFileSync(file, 'utf8'));
  // The mesh converges after the proxies start (endpoints appear as peers become ready): wait for the first call.
  const deadline = Date.now() + 20000;
  while ((await call(calls[0])).status !== 200 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  const results = [];
  for (const c of calls) results.push(await call(c));
  process.stdout.write(JSON.stringify(results) + '\n');
}

/** Closed-loop keep-alive load once the first request answers 200: prints the 200s and the failures. */
async function load(url, host, seconds, connections) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: Number(connections) });
  const once = () => new Promise((resolve) => {
    const req = http.get(url, { agent, headers: host === '-' ? {} : { host } }, (res) => res.resume().on('end', () => resolve(res.statusCode)));
    req.on('error', () => resolve(0));
  });
  const deadline = Date.now() + 20000;
  while ((await once()) !== 200 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  let ok = 0;
  let failed = 0;
  const end = Date.now() + Number(seconds) * 1000;
  await Promise.all(Array.from({ length: Number(connections) }, async () => {
    while (Date.now() < end) {
      if ((await once()) === 200) ok++;
      else failed++;
    }
  }));
  process.stdout.write(JSON.stringify({ ok, failed, seconds: Number(seconds) }) + '\n');
  agent.destroy();
}

if (mode === 'http') httpApp(args[0], args[1]);
else if (mode === 'echo') echoApp(args[0]);
else if (mode === 'client') client(args[0]);
else if (mode === 'load') load(...args);
else throw new Error(`unknown mode ${mode}`);
