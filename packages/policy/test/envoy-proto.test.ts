// The translated configs must be valid protos: encode each with protobufjs from
// Envoy's own .proto files and decode it back unchanged.

import * as fs from 'node:fs';
import * as path from 'node:path';
import * as protobuf from 'protobufjs';
import { parseAuthorizationPolicy, toEnvoyHttpRbac, toEnvoyNetworkRbac } from '@trellis/policy';
import { compileRbacChain } from '@trellis/rbac';
import { ALL_FIELDS_POLICY } from './all-fields.fixture';
import { decisionCases } from './decisions.table';
import { decideWithEngine, filtersFor } from './engine-harness';

const DEPS = path.join(path.dirname(require.resolve('@grpc/grpc-js-xds/package.json')), 'deps');
// protobufjs ships google/protobuf/*.proto (descriptor, wrappers...) that the deps tree lacks.
const INCLUDE_DIRS = [
  ...['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate'].map((d) => path.join(DEPS, d)),
  path.dirname(require.resolve('protobufjs/package.json')),
];

function loadType(file: string, typeName: string): protobuf.Type {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => {
    for (const dir of INCLUDE_DIRS) {
      const candidate = path.join(dir, target);
      if (fs.existsSync(candidate)) return candidate;
    }
    return target;
  };
  root.loadSync(file, { keepCase: true });
  return root.lookupType(typeName);
}

const HTTP_RBAC = loadType('envoy/extensions/filters/http/rbac/v3/rbac.proto', 'envoy.extensions.filters.http.rbac.v3.RBAC');
const NETWORK_RBAC = loadType('envoy/extensions/filters/network/rbac/v3/rbac.proto', 'envoy.extensions.filters.network.rbac.v3.RBAC');

/** The options packages/xds uses in unpackAny. */
const XDS_DECODE_OPTIONS: protobuf.IConversionOptions = { enums: String, longs: String, bytes: Buffer, defaults: true, arrays: true, objects: true, oneofs: true };

/** fromObject drops unknown fields silently, so a misspelt field shows up as a difference. */
function roundTrip(type: protobuf.Type, config: object): object {
  const bytes = type.encode(type.fromObject(config)).finish();
  return type.toObject(type.decode(bytes), { enums: String, longs: Number });
}

describe.each(decisionCases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
  test('encodes with Envoy protos and decodes unchanged', () => {
    const policies = c.policies.map(parseAuthorizationPolicy);
    const filters = filtersFor(policies, c.workload, c.request, c.options);
    const type = c.request.http ? HTTP_RBAC : NETWORK_RBAC;
    const decoded = filters.map((f) => roundTrip(type, f));
    expect(decoded).toEqual(filters);
    // And the proxy can compile what it would receive over the wire.
    expect(() => compileRbacChain(decoded)).not.toThrow();
  });

  test('decoded the way @trellis/xds unpacks an Any (defaults, oneof names), the engine decides the same', () => {
    const policies = c.policies.map(parseAuthorizationPolicy);
    const filters = filtersFor(policies, c.workload, c.request, c.options);
    const type = c.request.http ? HTTP_RBAC : NETWORK_RBAC;
    const asXdsSeesIt = filters.map((f) => type.toObject(type.decode(type.encode(type.fromObject(f)).finish()), XDS_DECODE_OPTIONS));
    expect(decideWithEngine(asXdsSeesIt, c.request)).toEqual(decideWithEngine(filters, c.request));
  });
});

test('a policy using every field round-trips, HTTP and TCP', () => {
  const policy = parseAuthorizationPolicy(ALL_FIELDS_POLICY);
  const workload = { namespace: 'foo', labels: { app: 'httpbin' } };
  const http = toEnvoyHttpRbac([policy], workload);
  const network = toEnvoyNetworkRbac([{ ...policy, action: 'DENY' }], workload);
  expect(http.map((f) => roundTrip(HTTP_RBAC, f))).toEqual(http);
  expect(network.map((f) => roundTrip(NETWORK_RBAC, f))).toEqual(network);
  expect(() => compileRbacChain([...http, ...network])).not.toThrow();
});
