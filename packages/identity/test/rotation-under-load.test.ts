// Two real mTLS endpoints fed by rotators over the real gRPC certificate service, under
// continuous load, through many workload-certificate rotations and then a full root rotation.
// Every request must succeed.
import { X509Certificate } from 'node:crypto';
import { AddressInfo } from 'node:net';
import * as tls from 'node:tls';
import { clientTlsOptions, formatWorkloadId, serverTlsOptions, verifyTlsPeer, workloadSecureContextOptions, WorkloadIdentity } from '@trellis/pki';
import { CertificateRotator, IssuedCredentials, remoteCredentialSource } from '../src';
import { startCaServer, tokenFor, workload } from './fixtures';

const TTL_SECONDS = 3;
/** One full TTL and a margin: after it, every workload has renewed at least once. */
const STEP_MS = (TTL_SECONDS + 0.5) * 1000;
const LOAD_LOOPS = 4;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Counts {
  requests: number;
  failed: number;
  longLivedPings: number;
  serverRejections: number;
  errors: string[];
}

it('rotates workload certificates and the root under continuous mTLS load with zero failed requests', async () => {
  const cleanup: (() => unknown)[] = []; // run in reverse, whatever fails
  try {
    const ca = await startCaServer({ ttlSeconds: TTL_SECONDS, servingTtlSeconds: TTL_SECONDS });
    cleanup.push(() => ca.close());
    const db = workload('db');
    const web = workload('web');
    const renewalFailures: string[] = [];
    const rotatorFor = (identity: WorkloadIdentity) => {
      const rotator = new CertificateRotator(remoteCredentialSource(ca.client({ token: tokenFor(identity) }), { identity, ttlSeconds: TTL_SECONDS }), {
        initialBackoffMs: 100,
        maxBackoffMs: 500,
      });
      rotator.on('renewal-failed', (f) => renewalFailures.push(f.error.message));
      cleanup.push(() => rotator.stop());
      return rotator;
    };
    ca.servingRotator.on('renewal-failed', (f) => renewalFailures.push(f.error.message));
    const dbRotator = rotatorFor(db);
    const webRotator = rotatorFor(web);
    await Promise.all([dbRotator.start(), webRotator.start()]);
    const current = (r: CertificateRotator) => r.current() as IssuedCredentials;
    const updates = { db: 0, web: 0 };
    const counts: Counts = { requests: 0, failed: 0, longLivedPings: 0, serverRejections: 0, errors: [] };

    // db: an echo server that swaps its certificate on every update (new handshakes get it).
    const server = tls.createServer(serverTlsOptions(current(dbRotator)), (socket) => {
      const verdict = verifyTlsPeer(socket, current(dbRotator).bundlePem, { expectedIds: [formatWorkloadId(web)] });
      if (!verdict.ok) {
        counts.serverRejections += 1;
        counts.errors.push(`server: ${verdict.reason}`);
        socket.destroy();
        return;
      }
      socket.on('error', () => undefined);
      socket.pipe(socket);
    });
    dbRotator.on('update', (c) => {
      updates.db += 1;
      server.setSecureContext(workloadSecureContextOptions(c));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanup.push(() => new Promise((resolve) => server.close(resolve)));
    const { port } = server.address() as AddressInfo;

    // web: client options rebuilt on every update.
    const policy = { expectedIds: [formatWorkloadId(db)] };
    let clientOptions = clientTlsOptions(current(webRotator), policy);
    webRotator.on('update', (c) => {
      updates.web += 1;
      clientOptions = clientTlsOptions(c, policy);
    });

    const request = (): Promise<void> =>
      new Promise((resolve, reject) => {
        const socket = tls.connect({ host: '127.0.0.1', port, ...clientOptions });
        const timer = setTimeout(() => socket.destroy(new Error('timeout')), 5000);
        socket.setEncoding('utf8');
        socket.once('secureConnect', () => socket.write('ping'));
        socket.once('data', (data) => {
          clearTimeout(timer);
          socket.end();
          return data === 'ping' ? resolve() : reject(new Error(`bad echo ${data}`));
        });
        socket.once('error', (err) => {
          clearTimeout(timer);
          reject(err);
        });
      });

    // Load loops also stop at a deadline, so a failure can never leave them spinning.
    const deadline = Date.now() + 25_000;
    let running = true;
    const loops = Array.from({ length: LOAD_LOOPS }, async () => {
      while (running && Date.now() < deadline) {
        try {
          await request();
          counts.requests += 1;
        } catch (err) {
          counts.failed += 1;
          counts.errors.push((err as Error).message);
        }
      }
    });
    const stopLoad = () => {
      running = false;
      return Promise.all(loops);
    };
    cleanup.push(stopLoad);

    // One connection opened before any rotation stays up throughout: existing connections drain.
    const longLived = tls.connect({ host: '127.0.0.1', port, ...clientOptions });
    longLived.setEncoding('utf8');
    longLived.on('data', () => (counts.longLivedPings += 1));
    longLived.on('error', (err) => counts.errors.push(`long-lived: ${err.message}`));
    const pinger = setInterval(() => longLived.writable && longLived.write('p'), 50);
    cleanup.push(() => longLived.destroy(), () => clearInterval(pinger));

    const [oldRoot] = ca.ca.trustBundlePem();
    await sleep(STEP_MS);
    await ca.ca.beginRootRotation();
    const newRoot = ca.ca.trustBundlePem()[1];
    await sleep(STEP_MS);
    ca.ca.switchToNewRoot();
    await sleep(STEP_MS);
    ca.ca.retireOldRoot();
    await sleep(STEP_MS);
    await stopLoad();
    clearInterval(pinger);

    console.log(
      `rotation under load: ${counts.requests} requests (${counts.failed} failed), ${counts.longLivedPings} pings on one long-lived connection, ` +
        `${updates.db} db + ${updates.web} web certificate rotations, root rotated, ${counts.serverRejections} server rejections, ` +
        `${renewalFailures.length} renewal failures`,
    );
    expect(counts.errors).toEqual([]);
    expect(counts.failed).toBe(0);
    expect(counts.serverRejections).toBe(0);
    expect(counts.requests).toBeGreaterThan(100);
    expect(longLived.destroyed).toBe(false);
    expect(counts.longLivedPings).toBeGreaterThan(50);
    expect(updates.db).toBeGreaterThanOrEqual(6);
    expect(updates.web).toBeGreaterThanOrEqual(6);
    for (const c of [current(dbRotator), current(webRotator)]) {
      expect(c.bundlePem).toEqual([newRoot]);
      const leaf = new X509Certificate(c.chainPem[0]);
      expect(leaf.verify(new X509Certificate(newRoot).publicKey)).toBe(true);
      expect(leaf.verify(new X509Certificate(oldRoot).publicKey)).toBe(false);
    }
  } finally {
    for (const fn of cleanup.reverse()) await fn();
  }
}, 40_000);
