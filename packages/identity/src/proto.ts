// The trellis.ca.v1 service definition, loaded from the repository's proto/ directory.
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/** Works from both src/ (tests) and dist/ (built). */
export const PROTO_ROOT = path.resolve(__dirname, '../../../proto');
const CA_PROTO = 'trellis/ca/v1/ca.proto';

export interface CreateCertificateRequest {
  csr: string;
  validitySeconds: number;
}

export interface CreateCertificateResponse {
  certChain: string[];
  trustBundle: string[];
}

let definition: grpc.ServiceDefinition | undefined;

export function certificateServiceDefinition(): grpc.ServiceDefinition {
  if (!definition) {
    const packageDefinition = protoLoader.loadSync(CA_PROTO, {
      includeDirs: [PROTO_ROOT],
      keepCase: false,
      longs: Number,
      defaults: true,
    });
    const loaded = grpc.loadPackageDefinition(packageDefinition) as unknown as {
      trellis: { ca: { v1: { CertificateService: grpc.ServiceClientConstructor } } };
    };
    definition = loaded.trellis.ca.v1.CertificateService.service;
  }
  return definition;
}
