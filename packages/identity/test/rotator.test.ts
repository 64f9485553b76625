import { CertificateAuthority, createSelfSignedRoot } from '@trellis/pki';
import { CertificateRotator, IssuedCredentials, localCredentialSource, RenewalFailure } from '../src';
import { TRUST_DOMAIN, workload } from './fixtures';

describe('CertificateRotator', () => {
  let ca: CertificateAuthority;
  beforeAll(async () => {
    ca = await CertificateAuthority.create(await createSelfSignedRoot({ trustDomain: TRUST_DOMAIN }), { trustDomain: TRUST_DOMAIN });
  });

  it('renews around half the lifetime, with a new key each time', async () => {
    const rotator = new CertificateRotator(localCredentialSource(ca, workload('web'), { ttlSeconds: 2 }));
    const updates: { at: number; issued: IssuedCredentials }[] = [];
    rotator.on('update', (issued) => updates.push({ at: Date.now(), issued }));
    const first = await rotator.start();
    expect(rotator.current()).toBe(first);
    expect(rotator.expirySeconds()).toBeGreaterThan(1);
    expect(rotator.expirySeconds()).toBeLessThanOrEqual(2);
    await new Promise((resolve) => setTimeout(resolve, 3200));
    rotator.stop();
    // 2 s certificates (X.509 keeps whole seconds, so 1–2 s left on receipt) renewed at 40–60%.
    expect(updates.length).toBeGreaterThanOrEqual(3);
    expect(updates.length).toBeLessThanOrEqual(9);
    for (let i = 1; i < updates.length; i++) {
      const gap = updates[i].at - updates[i - 1].at;
      expect(gap).toBeGreaterThan(300);
      expect(gap).toBeLessThan(1600);
      expect(updates[i].issued.keyPem).not.toBe(updates[i - 1].issued.keyPem);
    }
  });

  it('retries with exponential backoff while the current certificate stays in use', async () => {
    const real = localCredentialSource(ca, workload('web'), { ttlSeconds: 60 });
    let calls = 0;
    const flaky = async () => {
      calls += 1;
      if (calls >= 2 && calls <= 4) throw new Error(`CA down (call ${calls})`);
      return real();
    };
    const rotator = new CertificateRotator(flaky, { renewAtFraction: 0.001, jitterFraction: 0, initialBackoffMs: 50, maxBackoffMs: 1000 });
    const failures: RenewalFailure[] = [];
    rotator.on('renewal-failed', (f) => failures.push(f));
    const first = await rotator.start();
    const second = await new Promise<IssuedCredentials>((resolve) => rotator.once('update', resolve));
    rotator.stop();
    expect(failures.map((f) => [f.attempt, f.error.message, f.expired])).toEqual([
      [1, 'CA down (call 2)', false],
      [2, 'CA down (call 3)', false],
      [3, 'CA down (call 4)', false],
    ]);
    // Full jitter within a doubling ceiling: 25–50, 50–100, 100–200 ms.
    failures.forEach((f, i) => {
      expect(f.retryInMs).toBeGreaterThanOrEqual(25 * 2 ** i);
      expect(f.retryInMs).toBeLessThanOrEqual(50 * 2 ** i);
    });
    expect(second.chainPem[0]).not.toBe(first.chainPem[0]);
  });

  it('keeps retrying the first issuance until the CA answers', async () => {
    const real = localCredentialSource(ca, workload('web'));
    let calls = 0;
    const rotator = new CertificateRotator(async () => (++calls < 3 ? Promise.reject(new Error('not yet')) : real()), { initialBackoffMs: 20 });
    expect(rotator.expirySeconds()).toBeNaN();
    const failures: RenewalFailure[] = [];
    rotator.on('renewal-failed', (f) => failures.push(f));
    await rotator.start();
    rotator.stop();
    expect(failures.map((f) => f.expired)).toEqual([true, true]); // nothing valid yet
    expect(rotator.expirySeconds()).toBeGreaterThan(23 * 3600);
  });

  it('shares one first issuance between concurrent start() calls', async () => {
    const real = localCredentialSource(ca, workload('web'));
    let calls = 0;
    const rotator = new CertificateRotator(() => (calls++, real()));
    const [a, b] = await Promise.all([rotator.start(), rotator.start()]);
    rotator.stop();
    expect(a).toBe(b);
    expect(calls).toBe(1);
  });

  it('rejects renewal settings outside (0, 1)', () => {
    const source = localCredentialSource(ca, workload('web'));
    expect(() => new CertificateRotator(source, { renewAtFraction: 0.95, jitterFraction: 0.1 })).toThrow('renewAtFraction ± jitterFraction must stay inside (0, 1)');
    expect(() => new CertificateRotator(source, { renewAtFraction: 1.5 })).toThrow('CertificateRotator renewAtFraction: must be in [0, 1) (got 1.5)');
  });
});
