import * as fs from 'node:fs';
import * as path from 'node:path';
import * as protobuf from 'protobufjs';

/**
 * Envoy v3 API protos, loaded once with protobufjs.
 *
 * Source: the Envoy, xds, googleapis and protoc-gen-validate trees that
 * `@grpc/grpc-js-xds` ships under `deps/`. That package is maintained by the gRPC
 * team, pins one consistent snapshot of all four trees, and is the very client we
 * must interoperate with, so our wire types match what it validates. Our own protos
 * (`proto/` at the repository root) are loaded into the same root so `Any` fields
 * can carry them.
 */

const ENVOY_FILES = [
  'envoy/service/discovery/v3/ads.proto',
  'envoy/service/status/v3/csds.proto',
  'envoy/config/listener/v3/listener.proto',
  'envoy/config/route/v3/route.proto',
  'envoy/config/cluster/v3/cluster.proto',
  'envoy/config/endpoint/v3/endpoint.proto',
  'envoy/extensions/transport_sockets/tls/v3/secret.proto',
  'envoy/extensions/transport_sockets/tls/v3/tls.proto',
  'envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto',
  'envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.proto',
  'envoy/extensions/filters/listener/original_dst/v3/original_dst.proto',
  'envoy/extensions/filters/network/rbac/v3/rbac.proto',
  'envoy/extensions/filters/http/router/v3/router.proto',
  'envoy/extensions/filters/http/rbac/v3/rbac.proto',
  'envoy/extensions/upstreams/http/v3/http_protocol_options.proto',
  'envoy/extensions/load_balancing_policies/ring_hash/v3/ring_hash.proto',
  'envoy/extensions/load_balancing_policies/round_robin/v3/round_robin.proto',
  'envoy/extensions/load_balancing_policies/least_request/v3/least_request.proto',
  'envoy/extensions/load_balancing_policies/wrr_locality/v3/wrr_locality.proto',
  'xds/type/v3/typed_struct.proto',
  'udpa/type/v1/typed_struct.proto',
];

/** Repository-root `proto/` directory: resolves the same from `src/` and `dist/`. */
export const TRELLIS_PROTO_DIR = path.resolve(__dirname, '../../../proto');

function grpcJsXdsDepsDir(): string {
  return path.join(path.dirname(require.resolve('@grpc/grpc-js-xds/package.json')), 'deps');
}

/** Include directories, in lookup order, for Envoy's protos and ours. */
export function protoIncludeDirs(): string[] {
  const deps = grpcJsXdsDepsDir();
  return [
    TRELLIS_PROTO_DIR,
    path.join(deps, 'envoy-api'),
    path.join(deps, 'xds'),
    path.join(deps, 'googleapis'),
    path.join(deps, 'protoc-gen-validate'),
    path.dirname(require.resolve('protobufjs/package.json')),
  ];
}

function ownProtoFiles(dir: string, rel = ''): string[] {
  const here = path.join(dir, rel);
  if (!fs.existsSync(here)) return [];
  return fs.readdirSync(here, { withFileTypes: true }).flatMap((entry) => {
    const child = path.join(rel, entry.name);
    if (entry.isDirectory()) return ownProtoFiles(dir, child);
    return entry.name.endsWith('.proto') ? [child] : [];
  });
}

let cachedRoot: protobuf.Root | undefined;

/** The shared protobufjs root (field names kept as in the .proto files: snake_case). */
export function envoyRoot(): protobuf.Root {
  if (cachedRoot) return cachedRoot;
  const includeDirs = protoIncludeDirs();
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => {
    if (path.isAbsolute(target) || target in protobuf.common) return target;
    for (const dir of includeDirs) {
      const candidate = path.join(dir, target);
      if (fs.existsSync(candidate)) return candidate;
    }
    return target;
  };
  root.loadSync([...ENVOY_FILES, ...ownProtoFiles(TRELLIS_PROTO_DIR)], { keepCase: true });
  root.resolveAll();
  cachedRoot = root;
  return root;
}

export function lookupType(fullName: string): protobuf.Type {
  return envoyRoot().lookupType(fullName);
}
