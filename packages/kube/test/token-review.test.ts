/** @jest-environment ./packages/kube/test/kube-environment.js */
jest.mock('@kubernetes/client-node', () => (globalThis as { __clientNode?: unknown }).__clientNode);

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import {
  addCertificateService, CertificateRotator, CertificateServiceClient, localCredentialSource, rotatingServerCredentials, type CertificateServiceEvent,
} from '@trellis/identity';
import { CertificateAuthority, createSelfSignedRoot, type WorkloadIdentity } from '@trellis/pki';
import { TokenReviewAuthenticator } from '../src/identity/token-review';
import { k8s } from '../src/source/client-node';
import { FAKE_KINDS, FakeApiServer, type StoredObject, type TokenClaims } from './fake-apiserver';

const TRUST_DOMAIN = 'cluster.local';
const CONTROL_PLANE: WorkloadIdentity = { trustDomain: TRUST_DOMAIN, namespace: 'trellis-system', serviceAccount: 'trellis-control-plane' };
const reviews: WorkloadIdentity = { trustDomain: TRUST_DOMAIN, namespace: 'shop', serviceAccount: 'reviews' };
const HOUR = 3600_000;

let api: FakeApiServer;
let ca: CertificateAuthority;
let grpcServer: grpc.Server;
let serving: CertificateRotator;
let caAddress: string;
let dir: string;
const events: CertificateServiceEvent[] = [];
const clients: CertificateServiceClient[] = [];

function kubeConfigFor(server: { kubeConfigYaml(): string }) {
  const config = new k8s.KubeConfig();
  config.loadFromString(server.kubeConfigYaml());
  return config;
}

function pod(name: string, serviceAccountName: string): StoredObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'shop' }, spec: { serviceAccountName, containers: [{ name: 'app' }] } };
}

const claims = (overrides: Partial<TokenClaims> = {}): TokenClaims => ({
  namespace: 'shop', serviceAccount: 'reviews', audiences: ['trellis-ca'], expiresAt: new Date(Date.now() + HOUR), ...overrides,
});

/** The proxy's side: a CSR over gRPC with the token read from its projected file on every request. */
function proxyClient(tokenFile: string): CertificateServiceClient {
  const client = new CertificateServiceClient({
    address: caAddress, caRootsPem: ca.trustBundlePem(), serverIdentity: { expectedIds: [`spiffe://${TRUST_DOMAIN}/ns/trellis-system/sa/trellis-control-plane`] },
    token: () => fs.readFileSync(tokenFile, 'utf8').trim(), callTimeoutMs: 5000,
  });
  clients.push(client);
  return client;
}

function tokenFile(token: string): string {
  const file = path.join(dir, `token-${clients.length}-${Math.random().toString(36).slice(2)}`);
  fs.writeFileSync(file, token + '\n');
  return file;
}

async function refusal(request: Promise<unknown>): Promise<{ code: string; details: string }> {
  const error = await request.then(() => { throw new Error('expected a refusal'); }, (e: grpc.ServiceError) => e);
  return { code: grpc.status[error.code], details: error.details };
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-token-review-'));
  api = await FakeApiServer.start([FAKE_KINDS.pod]);
  ca = await CertificateAuthority.create(await createSelfSignedRoot({ trustDomain: TRUST_DOMAIN }), { trustDomain: TRUST_DOMAIN });
  serving = new CertificateRotator(localCredentialSource(ca, CONTROL_PLANE, { ttlSeconds: 3600 }));
  await serving.start();
  grpcServer = new grpc.Server();
  addCertificateService(grpcServer, {
    ca, authenticator: new TokenReviewAuthenticator({ kubeConfig: kubeConfigFor(api), trustDomain: TRUST_DOMAIN }), onEvent: (e) => events.push(e),
  });
  const port = await new Promise<number>((resolve, reject) => grpcServer.bindAsync('127.0.0.1:0', rotatingServerCredentials(serving), (e, p) => (e ? reject(e) : resolve(p))));
  caAddress = `127.0.0.1:${port}`;
});

afterAll(async () => {
  for (const client of clients) client.close();
  grpcServer.forceShutdown();
  serving.stop();
  await api.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('CSR authenticated by a projected ServiceAccount token (TokenReview)', () => {
  it('issues exactly the token\'s ServiceAccount identity, re-reading the rotated token file per CSR', async () => {
    const file = tokenFile(api.serviceAccountToken(claims()));
    const client = proxyClient(file);
    const issued = await client.requestCertificate({ identity: reviews });
    expect(issued.spiffeId).toBe('spiffe://cluster.local/ns/shop/sa/reviews');
    const review = api.requests.filter((r) => r.method === 'POST' && r.path === '/apis/authentication.k8s.io/v1/tokenreviews');
    expect(review).toHaveLength(1);

    // The kubelet rotates the token: the next CSR shows the new one; the old one is no longer needed.
    fs.writeFileSync(file, api.serviceAccountToken(claims()));
    expect((await client.requestCertificate({ identity: reviews })).spiffeId).toBe('spiffe://cluster.local/ns/shop/sa/reviews');
    // A CSR naming no identity still gets the token's.
    expect((await client.requestCertificate()).spiffeId).toBe('spiffe://cluster.local/ns/shop/sa/reviews');
  });

  it('refuses a token for another audience (e.g. the API server\'s own)', async () => {
    const client = proxyClient(tokenFile(api.serviceAccountToken(claims({ audiences: ['https://kubernetes.default.svc.cluster.local'] }))));
    expect(await refusal(client.requestCertificate({ identity: reviews }))).toEqual({
      code: 'UNAUTHENTICATED',
      details: 'ServiceAccount token refused by the API server: [invalid bearer token, token audiences ["https://kubernetes.default.svc.cluster.local"] is invalid for the target audiences ["trellis-ca"]]',
    });
  });

  it('refuses an expired token, and one the API server never issued', async () => {
    const expired = proxyClient(tokenFile(api.serviceAccountToken(claims({ expiresAt: new Date(Date.now() - 1000) }))));
    expect(await refusal(expired.requestCertificate({ identity: reviews }))).toEqual({
      code: 'UNAUTHENTICATED', details: 'ServiceAccount token refused by the API server: [invalid bearer token, service account token has expired]',
    });
    const forged = proxyClient(tokenFile('eyJhbGciOiJSUzI1NiJ9.forged.signature'));
    expect((await refusal(forged.requestCertificate({ identity: reviews }))).code).toBe('UNAUTHENTICATED');
  });

  it('refuses a CSR asking for another ServiceAccount than the token\'s', async () => {
    const client = proxyClient(tokenFile(api.serviceAccountToken(claims({ serviceAccount: 'ratings' }))));
    expect(await refusal(client.requestCertificate({ identity: reviews }))).toEqual({
      code: 'PERMISSION_DENIED',
      details: 'CSR requests identity spiffe://cluster.local/ns/shop/sa/reviews but the caller is authenticated as spiffe://cluster.local/ns/shop/sa/ratings',
    });
  });

  it('accepts a pod-bound token while its pod runs as that ServiceAccount, and refuses it otherwise', async () => {
    const running = api.create(pod('reviews-7d9f-abcde', 'reviews'));
    const bound = proxyClient(tokenFile(api.serviceAccountToken(claims({ pod: { name: 'reviews-7d9f-abcde', uid: running.metadata.uid! } }))));
    expect((await bound.requestCertificate({ identity: reviews })).spiffeId).toBe('spiffe://cluster.local/ns/shop/sa/reviews');
    expect(api.requests.some((r) => r.method === 'GET' && r.path === '/api/v1/namespaces/shop/pods/reviews-7d9f-abcde')).toBe(true);

    // A token minted for one ServiceAccount but bound to a pod running as another (TokenRequest would refuse to mint it; the CA checks anyway).
    const other = api.create(pod('ratings-5c4b-xyz', 'ratings'));
    const mismatched = proxyClient(tokenFile(api.serviceAccountToken(claims({ pod: { name: 'ratings-5c4b-xyz', uid: other.metadata.uid! } }))));
    expect(await refusal(mismatched.requestCertificate({ identity: reviews }))).toEqual({
      code: 'UNAUTHENTICATED', details: 'token of ServiceAccount shop/reviews is bound to pod shop/ratings-5c4b-xyz, which runs as ratings',
    });

    // Once the pod is gone its token is worth nothing.
    api.remove(running);
    expect(await refusal(bound.requestCertificate({ identity: reviews }))).toEqual({
      code: 'UNAUTHENTICATED', details: 'ServiceAccount token refused by the API server: [invalid bearer token, service account token has been invalidated]',
    });
  });

  it('answers UNAVAILABLE, naming the API server, while it cannot review tokens', async () => {
    const client = proxyClient(tokenFile(api.serviceAccountToken(claims())));
    api.setAvailable(false);
    try {
      const { code, details } = await refusal(client.requestCertificate({ identity: reviews }));
      expect(code).toBe('UNAVAILABLE');
      expect(details).toMatch(/^cannot review the token with the API server \(POST \/apis\/authentication.k8s.io\/v1\/tokenreviews: 503 /);
    } finally {
      api.setAvailable(true);
    }
    expect(events.filter((e) => e.event === 'refused').every((e) => !JSON.stringify(e).includes('fake-sa-token'))).toBe(true);
  });
});
