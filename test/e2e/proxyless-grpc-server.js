// A proxyless gRPC server for the end-to-end tests: @grpc/grpc-js-xds's XdsServer, run as
// its own process so that GRPC_XDS_BOOTSTRAP and GRPC_XDS_EXPERIMENTAL_RBAC are its own.
// Everything about TLS and authorization comes from xDS; the app only answers its name.
// Usage: node proxyless-grpc-server.js <name> <ip:port>[,<ip:port>…] <method path>…
'use strict';
const path = require('node:path');

const cli = path.join(__dirname, '../../packages/cli');
const xdsDir = path.dirname(require.resolve('@grpc/grpc-js-xds/package.json', { paths: [cli] }));
const xds = require(xdsDir);
// The grpc-js instance grpc-js-xds is built against: credentials must come from the same one.
const grpc = require(require.resolve('@grpc/grpc-js', { paths: [xdsDir] }));

const [name, addresses, ...methods] = process.argv.slice(2);
const raw = (b) => b;
// register() also installs the HTTP filters (router, RBAC) an xDS server's listeners name.
xds.register();
const server = new xds.XdsServer();
for (const method of methods) server.register(method, (_call, done) => done(null, Buffer.from(name)), raw, raw, 'unary');
const bound = addresses.split(',').map((address) => new Promise((resolve) => {
  // Called once the control plane's Listener for this address is in force.
  server.bindAsync(address, new xds.XdsServerCredentials(grpc.ServerCredentials.createInsecure()), (error) => {
    if (error) {
      process.stderr.write(`cannot serve ${address}: ${error.message}\n`);
      process.exit(1);
    }
    resolve();
  });
}));
Promise.all(bound).then(() => process.stdout.write(`serving ${addresses}\n`));
// Stdin is the test's pipe: when the test process is gone, so is the server.
process.stdin.resume().once('end', () => process.exit(0));
process.on('SIGTERM', () => {
  server.forceShutdown();
  process.exit(0);
});
