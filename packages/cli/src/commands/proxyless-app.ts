/**
 * The demo's proxyless gRPC app, run as its own process so that its xDS bootstrap
 * (GRPC_XDS_BOOTSTRAP, written by its agent) is its own. Everything mesh-related — where
 * peers are, mTLS, who may call what — comes from xDS; the app only answers its name.
 *   node proxyless-app.js serve <name> <ip:port>    an xDS server; prints "serving" when bound
 *   node proxyless-app.js call <target> <method>…   one call per method; prints the outcome of each
 */
import * as grpc from '@grpc/grpc-js';
import * as xds from '@grpc/grpc-js-xds';

const raw = (b: Buffer) => b;

function serve(name: string, address: string): void {
  const server = new xds.XdsServer();
  const who: grpc.handleUnaryCall<Buffer, Buffer> = (call, done) => {
    const caller = /URI:([^,\s]+)/.exec(call.getAuthContext().sslPeerCertificate?.subjectaltname ?? '')?.[1] ?? 'no identity';
    done(null, Buffer.from(`${name}, which saw caller ${caller}`));
  };
  for (const method of ['/trellis.demo.Greeter/Who', '/trellis.demo.Greeter/Admin']) server.register(method, who, raw, raw, 'unary');
  server.bindAsync(address, new xds.XdsServerCredentials(grpc.ServerCredentials.createInsecure()), (error) => {
    if (error) throw error;
    console.log(`serving ${address}`);
  });
  process.once('SIGTERM', () => {
    server.forceShutdown();
    process.exit(0);
  });
  // Stdin is the demo's pipe: when the demo is gone, so is the server (and its fixed port).
  process.stdin.resume().once('end', () => process.exit(0));
}

async function call(target: string, methods: string[]): Promise<void> {
  // Certificates and the server identity to expect come from the Cluster (certificate providers).
  const client = new grpc.Client(target, new xds.XdsChannelCredentials(grpc.credentials.createInsecure()));
  for (const method of methods) {
    const outcome = await new Promise<string>((resolve) => client.makeUnaryRequest(method, raw, raw, Buffer.alloc(0), new grpc.Metadata({ waitForReady: true }), { deadline: Date.now() + 10_000 },
      (error, reply) => resolve(error ? `${grpc.status[error.code]}: ${error.details}` : `OK from ${reply!.toString()}`)));
    console.log(`${method} ${outcome}`);
  }
  client.close();
}

const [mode, ...args] = process.argv.slice(2);
xds.register();
if (mode === 'serve') serve(args[0]!, args[1]!);
else call(args[0]!, args.slice(1)).then(() => process.exit(0), (error: Error) => {
  console.error(error.message);
  process.exit(1);
});
