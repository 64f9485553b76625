// The mesh CA: issues X.509-SVIDs for authenticated workloads and owns the trust bundle,
// including a root rotation in three explicit steps.
import { KeyObject, X509Certificate } from 'node:crypto';
import { checkTtlSeconds, createSelfSignedRoot } from './ca-certificates';
import { parseAndVerifyCsr } from './csr';
import { IdentityMismatchError, InvalidRequestError } from './errors';
import { Issuer, SigningCa } from './issuer';
import { assertWorkloadKey, KeyAlgorithm, parsePublicKey } from './keys';
import { parseCertificates, splitPemCertificates } from './pem';
import { formatWorkloadId, validateTrustDomain, WorkloadIdentity } from './spiffe-id';
import { DEFAULT_SVID_TTL_SECONDS, IssuedSvid, issueServingCert, issueSvid } from './svid';

export interface CertificateAuthorityOptions {
  trustDomain: string;
  /** TTL when the request names none. Default 24 h. */
  defaultTtlSeconds?: number;
  /** Longer requests are shortened to this. Default 7 days. */
  maxTtlSeconds?: number;
  /** Roots trusted besides the signing CA's own (e.g. the other roots in root-cert.pem). */
  additionalRootsPem?: string[];
  /** A root rotation in progress, as saved by `rootRotationState()` (e.g. through the CA dir). */
  rootRotation?: RootRotationState;
  /** Injectable for tests. */
  clock?: () => Date;
}

/** What a root rotation in progress needs to survive a restart. */
export interface RootRotationState {
  /** Phase "trusting-new-root": the CA that will sign after `switchToNewRoot`. */
  next?: SigningCa;
  /** Phase "issuing-from-new-root": the old root, trusted until `retireOldRoot`. */
  retiringRootPem?: string;
}

export interface IssuedCertificate extends IssuedSvid {
  /** Every root a workload should trust now (several during a root rotation). */
  trustBundlePem: string[];
}

export interface IssueRequest {
  identity: WorkloadIdentity;
  ttlSeconds?: number;
}

/**
 * Root rotation phases. Bundles travel with certificates, so wait at least one workload
 * certificate lifetime between steps: after `beginRootRotation` so every workload trusts the
 * new root before anything is signed by it, after `switchToNewRoot` so every leaf of the old
 * root has been replaced before the old root stops being trusted.
 */
export type RootRotationPhase = 'steady' | 'trusting-new-root' | 'issuing-from-new-root';

export class CertificateAuthority {
  private next: Issuer | undefined;
  private retiring: string | undefined;
  private bundle: string[];

  private constructor(
    private issuer: Issuer,
    readonly trustDomain: string,
    private readonly defaultTtlSeconds: number,
    private readonly maxTtlSeconds: number,
    additionalRootsPem: string[],
    private readonly clock: () => Date,
  ) {
    this.bundle = uniqueCertificates([issuer.rootPem, ...additionalRootsPem]);
  }

  static async create(signing: SigningCa, options: CertificateAuthorityOptions): Promise<CertificateAuthority> {
    validateTrustDomain(options.trustDomain);
    const defaultTtl = checkTtlSeconds(options.defaultTtlSeconds ?? DEFAULT_SVID_TTL_SECONDS, 'CertificateAuthority defaultTtlSeconds');
    const maxTtl = checkTtlSeconds(options.maxTtlSeconds ?? 7 * 24 * 3600, 'CertificateAuthority maxTtlSeconds');
    const additional = (options.additionalRootsPem ?? []).flatMap(splitPemCertificates);
    for (const cert of parseCertificatesIfAny(additional, 'additionalRootsPem')) {
      if (!cert.ca || !cert.checkIssued(cert)) throw new Error(`additionalRootsPem: "${cert.subject}" is not a self-signed CA certificate`);
    }
    const issuer = await Issuer.load(signing);
    const ca = new CertificateAuthority(issuer, options.trustDomain, defaultTtl, maxTtl, additional, options.clock ?? (() => new Date()));
    const { next, retiringRootPem } = options.rootRotation ?? {};
    if (next && retiringRootPem) throw new Error('rootRotation: holds both "next" and "retiringRootPem"; a rotation is in one phase at a time');
    if (next) {
      ca.next = await Issuer.load(next, 'rootRotation.next');
      ca.bundle = uniqueCertificates([...ca.bundle, ca.next.rootPem]);
    }
    if (retiringRootPem) {
      parseCertificates(retiringRootPem, 'rootRotation.retiringRootPem');
      ca.retiring = retiringRootPem;
      ca.bundle = uniqueCertificates([...ca.bundle, retiringRootPem]);
    }
    return ca;
  }

  /** Roots to trust, one PEM each. */
  trustBundlePem(): string[] {
    return [...this.bundle];
  }

  /** The CA currently signing, e.g. to save it with `saveCaToDir`. */
  signingCa(): SigningCa {
    return this.issuer.toSigningCa();
  }

  /** Issues a certificate for a public key (PEM or KeyObject) the caller holds the private half of. */
  async issue(publicKey: string | KeyObject, request: IssueRequest): Promise<IssuedCertificate> {
    if (request.identity.trustDomain !== this.trustDomain) {
      throw new IdentityMismatchError(`identity ${formatWorkloadId(request.identity)} is not in this CA's trust domain "${this.trustDomain}"`);
    }
    const svid = await issueSvid(this.issuer, {
      publicKey: publicKeyOf(publicKey),
      identity: request.identity,
      ttlSeconds: this.ttlFor(request.ttlSeconds),
      now: this.clock(),
    });
    return { ...svid, trustBundlePem: this.trustBundlePem() };
  }

  /**
   * A server certificate for DNS names (the control plane's own HTTPS endpoints that clients
   * outside the mesh call, e.g. the API server calling the injection webhook), from the same
   * signing CA, so the trust bundle is also their CA bundle.
   */
  async issueServing(publicKey: string | KeyObject, request: { dnsNames: string[]; ttlSeconds?: number }): Promise<Omit<IssuedCertificate, 'spiffeId'>> {
    const cert = await issueServingCert(this.issuer, { publicKey: publicKeyOf(publicKey), dnsNames: request.dnsNames, ttlSeconds: this.ttlFor(request.ttlSeconds), now: this.clock() });
    return { ...cert, trustBundlePem: this.trustBundlePem() };
  }

  /**
   * Signs a CSR for `authenticated`, the identity the caller proved (never one read from the
   * CSR). A URI SAN in the CSR must name that same identity: a mismatch is refused rather than
   * silently rewritten, so a misconfigured workload fails loudly. Subject and other names in the
   * CSR are ignored: nothing is copied from it except the public key.
   */
  async signCsr(csrPem: string, authenticated: WorkloadIdentity, options: { ttlSeconds?: number } = {}): Promise<IssuedCertificate> {
    const authenticatedId = formatWorkloadId(authenticated);
    const csr = await parseAndVerifyCsr(csrPem);
    for (const uri of csr.requestedUris) {
      if (uri !== authenticatedId) {
        throw new IdentityMismatchError(`CSR requests identity ${uri} but the caller is authenticated as ${authenticatedId}`);
      }
    }
    if (csr.requestedUris.length > 1) {
      throw new InvalidRequestError(`CSR: requests ${csr.requestedUris.length} URI SANs; an X.509-SVID has exactly one`);
    }
    return this.issue(csr.publicKey, { identity: authenticated, ttlSeconds: options.ttlSeconds });
  }

  /** Save this (with `signingCa()` and `trustBundlePem()`) after every rotation step. */
  rootRotationState(): RootRotationState {
    if (this.next) return { next: this.next.toSigningCa() };
    if (this.retiring) return { retiringRootPem: this.retiring };
    return {};
  }

  rootRotationPhase(): RootRotationPhase {
    if (this.next) return 'trusting-new-root';
    if (this.retiring) return 'issuing-from-new-root';
    return 'steady';
  }

  /**
   * Step 1: trust a new root (self-signed here unless `next` is given) alongside the old one.
   * Issuing still uses the old root.
   */
  async beginRootRotation(next?: SigningCa, keyAlgorithm: KeyAlgorithm = 'ecdsa-p256'): Promise<void> {
    this.requirePhase('steady', 'beginRootRotation');
    const issuer = await Issuer.load(next ?? (await createSelfSignedRoot({ trustDomain: this.trustDomain, keyAlgorithm })), 'new root CA');
    issuer.assertValidAt(this.clock());
    this.requirePhase('steady', 'beginRootRotation');
    this.next = issuer;
    this.bundle = uniqueCertificates([...this.bundle, issuer.rootPem]);
  }

  /** Step 2: sign with the new root's CA from now on; both roots stay trusted. */
  switchToNewRoot(): void {
    this.requirePhase('trusting-new-root', 'switchToNewRoot');
    this.retiring = this.issuer.rootPem;
    this.issuer = this.next as Issuer;
    this.next = undefined;
  }

  /** Step 3: stop trusting the old root. */
  retireOldRoot(): void {
    this.requirePhase('issuing-from-new-root', 'retireOldRoot');
    const retired = fingerprint(this.retiring as string);
    this.bundle = this.bundle.filter((pem) => fingerprint(pem) !== retired);
    this.retiring = undefined;
  }

  private requirePhase(phase: RootRotationPhase, step: string): void {
    const current = this.rootRotationPhase();
    if (current !== phase) throw new Error(`${step}: root rotation is in phase "${current}", expected "${phase}"`);
  }

  private ttlFor(requested: number | undefined): number {
    if (requested === undefined || requested === 0) return this.defaultTtlSeconds;
    if (!Number.isFinite(requested) || requested < 0) {
      throw new InvalidRequestError(`ttlSeconds: must be a positive number of seconds (got ${String(requested)})`);
    }
    return Math.min(requested, this.maxTtlSeconds);
  }
}

function publicKeyOf(input: string | KeyObject): KeyObject {
  try {
    const key = parsePublicKey(input, 'workload public key');
    assertWorkloadKey(key);
    return key;
  } catch (err) {
    throw new InvalidRequestError((err as Error).message);
  }
}

function parseCertificatesIfAny(pems: string[], what: string): X509Certificate[] {
  return pems.length ? parseCertificates(pems, what) : [];
}

function fingerprint(pem: string): string {
  return new X509Certificate(pem).fingerprint256;
}

function uniqueCertificates(pems: string[]): string[] {
  const seen = new Set<string>();
  return pems.filter((pem) => {
    const fp = fingerprint(pem);
    if (seen.has(fp)) return false;
    seen.add(fp);
    return true;
  });
}
