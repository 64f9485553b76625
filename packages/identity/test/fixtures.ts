// A real CA server on loopback: the control plane's certificate service over TLS, its serving
// certificate issued by the same CA and kept fresh by a rotator.
import * as grpc from '@grpc/grpc-js';
import { CertificateAuthority, createSelfSignedRoot, formatWorkloadId, WorkloadIdentity } from '@trellis/pki';
import {
  addCertificateService,
  BootstrapTokenAuthenticator,
  BootstrapTokenEntry,
  CertificateRotator,
  CertificateServiceClient,
  CertificateServiceEvent,
  localCredentialSource,
  rotatingServerCredentials,
} from '../src';

export const TRUST_DOMAIN = 'cluster.local';
export const CONTROL_PLANE: WorkloadIdentity = { trustDomain: TRUST_DOMAIN, namespace: 'trellis-system', serviceAccount: 'control-plane' };

export function workload(serviceAccount: string, namespace = 'default'): WorkloadIdentity {
  return { trustDomain: TRUST_DOMAIN, namespace, serviceAccount };
}

export function tokenFor(identity: WorkloadIdentity): string {
  return `token-${identity.namespace}-${identity.serviceAccount}-0123456789`;
}

export interface CaServer {
  ca: CertificateAuthority;
  address: string;
  events: CertificateServiceEvent[];
  servingRotator: CertificateRotator;
  client(options?: { token?: string; serverIds?: string[]; roots?: string[] }): CertificateServiceClient;
  close(): Promise<void>;
}

export async function startCaServer(
  options: { identities?: WorkloadIdentity[]; ttlSeconds?: number; servingTtlSeconds?: number; clock?: () => Date } = {},
): Promise<CaServer> {
  const ca = await CertificateAuthority.create(await createSelfSignedRoot({ trustDomain: TRUST_DOMAIN }), {
    trustDomain: TRUST_DOMAIN,
    defaultTtlSeconds: options.ttlSeconds,
    clock: options.clock,
  });
  const entries: BootstrapTokenEntry[] = (options.identities ?? [workload('web'), workload('db')]).map((id) => ({ ...id, token: tokenFor(id) }));
  const events: CertificateServiceEvent[] = [];
  const servingRotator = new CertificateRotator(localCredentialSource(ca, CONTROL_PLANE, { ttlSeconds: options.servingTtlSeconds ?? 3600 }));
  await servingRotator.start();
  const server = new grpc.Server();
  addCertificateService(server, { ca, authenticator: new BootstrapTokenAuthenticator(entries), onEvent: (e) => events.push(e) });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', rotatingServerCredentials(servingRotator), (err, p) => (err ? reject(err) : resolve(p))),
  );
  const address = `127.0.0.1:${port}`;
  const clients: CertificateServiceClient[] = [];
  return {
    ca,
    address,
    events,
    servingRotator,
    client: (c = {}) => {
      const client = new CertificateServiceClient({
        address,
        caRootsPem: c.roots ?? ca.trustBundlePem(),
        serverIdentity: { expectedIds: c.serverIds ?? [formatWorkloadId(CONTROL_PLANE)] },
        token: c.token ?? tokenFor(workload('web')),
        callTimeoutMs: 5000,
      });
      clients.push(client);
      return client;
    },
    close: async () => {
      clients.forEach((c) => c.close());
      servingRotator.stop();
      await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
    },
  };
}
