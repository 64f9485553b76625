// A proxyless gRPC client under steady load, for the end-to-end tests: @grpc/grpc-js-xds
// resolving `xds:///…` through its own bootstrap (GRPC_XDS_BOOTSTRAP), run as its own
// process. One call loop per <loop> argument, `<method path>[?<key>=<value>]` (the optional
// metadata entry goes with every call of that loop); one line per answer:
// "<epoch ms> <loop index> <server name>" or "<epoch ms> <loop index> ERROR <code>: <details>".
// Runs until its stdin (the test's pipe) closes.
// Usage: node proxyless-grpc-load.js <xds target> <loop>…
'use strict';
const path = require('node:path');

const cli = path.join(__dirname, '../../packages/cli');
const xdsDir = path.dirname(require.resolve('@grpc/grpc-js-xds/package.json', { paths: [cli] }));
const xds = require(xdsDir);
// The grpc-js instance grpc-js-xds is built against: credentials must come from the same one.
const grpc = require(require.resolve('@grpc/grpc-js', { paths: [xdsDir] }));

const [target, ...loops] = process.argv.slice(2);
const raw = (b) => b;
xds.register();
// Certificates and the server identity to expect come from the Cluster (certificate providers).
const client = new grpc.Client(target, new xds.XdsChannelCredentials(grpc.credentials.createInsecure()));
let running = true;

async function loop(spec, index) {
  const [method, entry] = spec.split('?');
  const metadata = new grpc.Metadata();
  if (entry) metadata.set(entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1));
  while (running) {
    const outcome = await new Promise((resolve) => client.makeUnaryRequest(method, raw, raw, Buffer.alloc(0), metadata, { deadline: Date.now() + 5_000 },
      (error, reply) => resolve(error ? `ERROR ${grpc.status[error.code]}: ${error.details}` : reply.toString())));
    // Calls that fail at once must not starve the event loop (stdin's end, SIGTERM) nor outrun the reader.
    if (!process.stdout.write(`${Date.now()} ${index} ${outcome}\n`)) await new Promise((resolve) => process.stdout.once('drain', resolve));
    await new Promise(setImmediate);
  }
}

Promise.all(loops.map(loop)).then(() => {
  client.close();
  process.exit(0);
});
process.stdin.resume().once('end', () => (running = false));
process.on('SIGTERM', () => (running = false));
process.stdout.on('error', () => process.exit(0));
