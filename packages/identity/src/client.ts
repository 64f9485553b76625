// The workload side of trellis.ca.v1.CertificateService. The private key is made here and
// never leaves the process: only a CSR is sent. The CA endpoint itself is authenticated: its
// TLS certificate must chain to roots we were given (a pinned root before the first issuance,
// then the latest trust bundle the CA served) and carry the CA's expected SPIFFE ID.
import { isIP } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { createCsr, generateKeyPair, joinPem, KeyAlgorithm, PeerPolicy, spiffeServerIdentityCheck, WorkloadIdentity } from '@trellis/pki';
import { acceptIssued, IssuedCredentials } from './credentials';
import { certificateServiceDefinition, CreateCertificateRequest, CreateCertificateResponse } from './proto';

export interface CertificateServiceClientOptions {
  /** host:port of the control plane. */
  address: string;
  /** Roots that authenticate the CA server until it serves a trust bundle (e.g. root-cert.pem). */
  caRootsPem: string[];
  /** Who the CA server must be, e.g. { expectedIds: ['spiffe://cluster.local/ns/trellis-system/sa/control-plane'] }. */
  serverIdentity: PeerPolicy;
  /** Bearer token; a function is called per request so a rotated token file is re-read. */
  token: string | (() => string | Promise<string>);
  /** Default 10 s. */
  callTimeoutMs?: number;
}

export interface CertificateRequestOptions {
  /** Our identity, if known: put in the CSR (the CA refuses a mismatch) and checked in the answer. */
  identity?: WorkloadIdentity;
  /** Default 'ecdsa-p256'. */
  keyAlgorithm?: KeyAlgorithm;
  /** Requested TTL; the CA's default when absent. */
  ttlSeconds?: number;
}

type UnaryMethod = (
  request: CreateCertificateRequest,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: (err: grpc.ServiceError | null, response?: CreateCertificateResponse) => void,
) => void;
type CertificateServiceStub = grpc.Client & { CreateCertificate: UnaryMethod };

const ServiceClient = grpc.makeGenericClientConstructor(certificateServiceDefinition(), 'CertificateService');

/**
 * SNI sent when the address is an IP literal: RFC 6066 forbids IPs there (Node deprecates it).
 * The name is not checked; the CA is authenticated by its SPIFFE ID.
 */
const SNI_FOR_IP_ADDRESSES = 'trellis-ca';

export class CertificateServiceClient {
  private stub: CertificateServiceStub;
  private trustedRoots: string;

  constructor(private readonly options: CertificateServiceClientOptions) {
    if (!options.caRootsPem.length) throw new Error('CertificateServiceClient caRootsPem: at least one root is required to authenticate the CA');
    this.trustedRoots = joinPem(options.caRootsPem);
    this.stub = this.connect(options.caRootsPem);
  }

  async requestCertificate(request: CertificateRequestOptions = {}): Promise<IssuedCredentials> {
    const { privateKeyPem } = await generateKeyPair(request.keyAlgorithm);
    const csr = await createCsr(privateKeyPem, request.identity);
    const metadata = new grpc.Metadata();
    metadata.set('authorization', `Bearer ${await this.token()}`);
    const response = await this.call({ csr, validitySeconds: request.ttlSeconds ?? 0 }, metadata);
    const issued = acceptIssued(privateKeyPem, response.certChain, response.trustBundle, request.identity);
    this.trust(issued.bundlePem);
    return issued;
  }

  close(): void {
    this.stub.close();
  }

  private call(request: CreateCertificateRequest, metadata: grpc.Metadata): Promise<CreateCertificateResponse> {
    const deadline = Date.now() + (this.options.callTimeoutMs ?? 10_000);
    return new Promise((resolve, reject) => {
      this.stub.CreateCertificate(request, metadata, { deadline }, (err, response) => (err ? reject(err) : resolve(response as CreateCertificateResponse)));
    });
  }

  private async token(): Promise<string> {
    const token = typeof this.options.token === 'function' ? await this.options.token() : this.options.token;
    if (!token) throw new Error('CertificateServiceClient token: is empty');
    return token;
  }

  /** Follows root rotations: the CA connection trusts the latest bundle the CA served. */
  private trust(bundlePem: readonly string[]): void {
    const roots = joinPem(bundlePem);
    if (roots === this.trustedRoots) return;
    const previous = this.stub;
    this.trustedRoots = roots;
    this.stub = this.connect(bundlePem);
    previous.close();
  }

  private connect(rootsPem: readonly string[]): CertificateServiceStub {
    const credentials = grpc.credentials.createSsl(Buffer.from(joinPem(rootsPem)), null, null, {
      checkServerIdentity: spiffeServerIdentityCheck(rootsPem, this.options.serverIdentity),
    });
    const host = this.options.address.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
    const channelOptions = isIP(host) ? { 'grpc.ssl_target_name_override': SNI_FOR_IP_ADDRESSES } : {};
    return new ServiceClient(this.options.address, credentials, channelOptions) as unknown as CertificateServiceStub;
  }
}
