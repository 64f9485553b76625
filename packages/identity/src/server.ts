// The CA side of trellis.ca.v1.CertificateService: authenticate the bearer token, sign the CSR
// for that identity, and map every refusal to a precise gRPC status.
import * as grpc from '@grpc/grpc-js';
import { CertificateAuthority, formatWorkloadId, IdentityMismatchError, InvalidRequestError, IssuerNotValidError } from '@trellis/pki';
import { AuthenticationError, Authenticator, AuthenticatorUnavailableError } from './authenticator';
import { certificateServiceDefinition, CreateCertificateRequest, CreateCertificateResponse } from './proto';

/** What the service reports; never tokens, keys or CSRs. */
export type CertificateServiceEvent =
  | { event: 'issued'; spiffeId: string; notAfter: Date }
  | { event: 'refused'; code: keyof typeof grpc.status; reason: string };

export interface CertificateServiceOptions {
  ca: CertificateAuthority;
  authenticator: Authenticator;
  onEvent?: (event: CertificateServiceEvent) => void;
}

class RefusedError extends Error {
  constructor(readonly code: grpc.status, message: string) {
    super(message);
  }
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;

export function addCertificateService(server: grpc.Server, options: CertificateServiceOptions): void {
  server.addService(certificateServiceDefinition(), {
    CreateCertificate: (
      call: grpc.ServerUnaryCall<CreateCertificateRequest, CreateCertificateResponse>,
      callback: grpc.sendUnaryData<CreateCertificateResponse>,
    ) => {
      createCertificate(options, call).then(
        (response) => callback(null, response),
        (err: unknown) => {
          const refused = toRefusal(err);
          // Internal failures keep their detail for the operator, not for the caller.
          const reason = refused.code === grpc.status.INTERNAL ? `${refused.message}: ${(err as Error)?.message ?? String(err)}` : refused.message;
          options.onEvent?.({ event: 'refused', code: grpc.status[refused.code] as keyof typeof grpc.status, reason });
          callback({ code: refused.code, details: refused.message });
        },
      );
    },
  });
}

async function createCertificate(
  options: CertificateServiceOptions,
  call: grpc.ServerUnaryCall<CreateCertificateRequest, CreateCertificateResponse>,
): Promise<CreateCertificateResponse> {
  const header = call.metadata.get('authorization')[0];
  const match = typeof header === 'string' ? BEARER.exec(header) : null;
  if (!match) throw new RefusedError(grpc.status.UNAUTHENTICATED, 'missing "authorization: Bearer <token>" metadata');
  const identity = await options.authenticator.authenticate(match[1]);
  const { csr, validitySeconds } = call.request;
  if (!csr) throw new RefusedError(grpc.status.INVALID_ARGUMENT, `CreateCertificateRequest.csr: is empty (caller ${formatWorkloadId(identity)})`);
  const issued = await options.ca.signCsr(csr, identity, { ttlSeconds: validitySeconds || undefined });
  options.onEvent?.({ event: 'issued', spiffeId: issued.spiffeId, notAfter: issued.notAfter });
  return { certChain: issued.chainPem, trustBundle: issued.trustBundlePem };
}

function toRefusal(err: unknown): RefusedError {
  if (err instanceof RefusedError) return err;
  const message = (err as Error)?.message ?? String(err);
  if (err instanceof AuthenticationError) return new RefusedError(grpc.status.UNAUTHENTICATED, message);
  if (err instanceof AuthenticatorUnavailableError) return new RefusedError(grpc.status.UNAVAILABLE, message);
  if (err instanceof IdentityMismatchError) return new RefusedError(grpc.status.PERMISSION_DENIED, message);
  if (err instanceof InvalidRequestError) return new RefusedError(grpc.status.INVALID_ARGUMENT, message);
  if (err instanceof IssuerNotValidError) return new RefusedError(grpc.status.FAILED_PRECONDITION, message);
  return new RefusedError(grpc.status.INTERNAL, 'internal error while issuing the certificate');
}
