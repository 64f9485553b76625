import { X509Certificate } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { createCsr, formatWorkloadId, generateKeyPair, joinPem, spiffeServerIdentityCheck } from '@trellis/pki';
import { BootstrapTokenAuthenticator, certificateServiceDefinition } from '../src';
import { CaServer, CONTROL_PLANE, startCaServer, tokenFor, TRUST_DOMAIN, workload } from './fixtures';

/** Calls the service without our client, to send what a well-behaved client never would. */
function rawCall(server: CaServer, request: { csr: string; validitySeconds?: number }, token?: string): Promise<unknown> {
  const Client = grpc.makeGenericClientConstructor(certificateServiceDefinition(), 'CertificateService');
  const roots = server.ca.trustBundlePem();
  const stub = new Client(server.address, grpc.credentials.createSsl(Buffer.from(joinPem(roots)), null, null, {
    checkServerIdentity: spiffeServerIdentityCheck(roots, { expectedIds: [formatWorkloadId(CONTROL_PLANE)] }),
  }), { 'grpc.ssl_target_name_override': 'trellis-ca' }) as grpc.Client & Record<string, (...args: unknown[]) => void>;
  const metadata = new grpc.Metadata();
  if (token) metadata.set('authorization', `Bearer ${token}`);
  return new Promise((resolve, reject) =>
    stub.CreateCertificate({ validitySeconds: 0, ...request }, metadata, (err: Error | null, response: unknown) => {
      stub.close();
      return err ? reject(err) : resolve(response);
    }),
  ).finally(() => stub.close());
}

describe('CertificateService over real gRPC + TLS', () => {
  let server: CaServer;
  beforeAll(async () => {
    server = await startCaServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('issues a certificate for the identity the token proves', async () => {
    const issued = await server.client().requestCertificate({ identity: workload('web'), ttlSeconds: 600 });
    expect(issued.spiffeId).toBe('spiffe://cluster.local/ns/default/sa/web');
    expect(new X509Certificate(issued.chainPem[0]).subjectAltName).toBe('URI:spiffe://cluster.local/ns/default/sa/web');
    expect(issued.bundlePem).toEqual(server.ca.trustBundlePem());
    expect(issued.notAfter.getTime() - Date.now()).toBeGreaterThan(590_000);
    expect(issued.notAfter.getTime() - Date.now()).toBeLessThanOrEqual(600_000);
    expect(issued.keyPem).toMatch(/BEGIN PRIVATE KEY/);
    expect(server.events).toContainEqual({ event: 'issued', spiffeId: issued.spiffeId, notAfter: issued.notAfter });
  });

  it('without an identity in the CSR, the token alone decides it', async () => {
    const issued = await server.client({ token: tokenFor(workload('db')) }).requestCertificate();
    expect(issued.spiffeId).toBe('spiffe://cluster.local/ns/default/sa/db');
  });

  it('refuses a CSR for another identity with PERMISSION_DENIED naming both', async () => {
    await expect(server.client().requestCertificate({ identity: workload('admin', 'kube-system') })).rejects.toMatchObject({
      code: grpc.status.PERMISSION_DENIED,
      details: 'CSR requests identity spiffe://cluster.local/ns/kube-system/sa/admin but the caller is authenticated as spiffe://cluster.local/ns/default/sa/web',
    });
  });

  it('refuses unknown or missing tokens with UNAUTHENTICATED, and never reports a token', async () => {
    const secret = 'not-a-real-token-but-secret-0000';
    await expect(server.client({ token: secret }).requestCertificate()).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED, details: 'unknown bootstrap token' });
    const csr = await createCsr((await generateKeyPair()).privateKeyPem);
    await expect(rawCall(server, { csr })).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED, details: expect.stringMatching(/Bearer <token>/) });
    const reported = JSON.stringify(server.events);
    expect(reported).not.toContain(secret);
    expect(reported).not.toContain(tokenFor(workload('web')));
  });

  it('refuses a malformed CSR or an empty one with INVALID_ARGUMENT', async () => {
    const token = tokenFor(workload('web'));
    await expect(rawCall(server, { csr: 'garbage' }, token)).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: expect.stringMatching(/^CSR: /) });
    await expect(rawCall(server, { csr: '' }, token)).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: 'CreateCertificateRequest.csr: is empty (caller spiffe://cluster.local/ns/default/sa/web)',
    });
    const csr = await createCsr((await generateKeyPair()).privateKeyPem);
    await expect(rawCall(server, { csr, validitySeconds: -1 }, token)).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
  });

  it('reports an expired CA certificate as FAILED_PRECONDITION', async () => {
    let now = new Date();
    const expiring = await startCaServer({ clock: () => now });
    try {
      now = new Date(Date.now() + 11 * 365 * 24 * 3600 * 1000); // past the 10-year root
      await expect(expiring.client().requestCertificate()).rejects.toMatchObject({
        code: grpc.status.FAILED_PRECONDITION,
        details: expect.stringMatching(/^signing CA certificate ".*" expired at .*; refusing to sign$/),
      });
    } finally {
      await expiring.close();
    }
  });

  it('the client refuses a CA server that is not the expected control plane', async () => {
    const client = server.client({ serverIds: ['spiffe://cluster.local/ns/evil/sa/ca'] });
    await expect(client.requestCertificate()).rejects.toMatchObject({
      code: grpc.status.UNAVAILABLE,
      details: expect.stringContaining('server rejected: peer spiffe://cluster.local/ns/trellis-system/sa/control-plane is not one of the expected identities'),
    });
  });

  it('the client refuses a CA server whose certificate does not chain to its pinned root', async () => {
    const other = await startCaServer();
    try {
      const client = server.client({ roots: other.ca.trustBundlePem() });
      await expect(client.requestCertificate()).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE, details: expect.stringMatching(/certificate|CERT/i) });
    } finally {
      await other.close();
    }
  });
});

describe('BootstrapTokenAuthenticator', () => {
  it('maps tokens to identities and refuses others', async () => {
    const auth = new BootstrapTokenAuthenticator([{ ...workload('web'), token: tokenFor(workload('web')) }]);
    await expect(auth.authenticate(tokenFor(workload('web')))).resolves.toEqual(workload('web'));
    await expect(auth.authenticate('x')).rejects.toThrow('unknown bootstrap token');
  });

  it('loads a tokens file and names the bad entry without echoing tokens', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'trellis-tokens-'));
    try {
      const file = path.join(dir, 'tokens.json');
      await fs.writeFile(file, JSON.stringify({ tokens: [{ token: 'a-long-enough-token-1', trustDomain: TRUST_DOMAIN, namespace: 'ns', serviceAccount: 'sa' }] }));
      const auth = await BootstrapTokenAuthenticator.fromFile(file);
      await expect(auth.authenticate('a-long-enough-token-1')).resolves.toEqual({ trustDomain: TRUST_DOMAIN, namespace: 'ns', serviceAccount: 'sa' });

      await fs.writeFile(file, JSON.stringify({ tokens: [{ token: 'short', trustDomain: TRUST_DOMAIN, namespace: 'ns', serviceAccount: 'sa' }] }));
      await expect(BootstrapTokenAuthenticator.fromFile(file)).rejects.toThrow(`${file}: bootstrap token [0]: field "token" must be a string of at least 16 characters`);
      await fs.writeFile(file, JSON.stringify({ tokens: [{ token: 'a-long-enough-token-2', trustDomain: TRUST_DOMAIN, namespace: '', serviceAccount: 'sa' }] }));
      await expect(BootstrapTokenAuthenticator.fromFile(file)).rejects.toThrow(/bootstrap token \[0\]: invalid identity .*segment is empty/);
      await expect(BootstrapTokenAuthenticator.fromFile(file)).rejects.not.toThrow(/a-long-enough-token-2/);
      await fs.writeFile(file, '{"tokens": 3}');
      await expect(BootstrapTokenAuthenticator.fromFile(file)).rejects.toThrow(`${file}: field "tokens" must be an array`);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
