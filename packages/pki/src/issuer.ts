// A loaded signing CA: its certificate, key and chain up to a root, checked once on load so
// every issuance can rely on them. Both workload leaves and CA certificates are signed here.
import { KeyObject, randomBytes, X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { IssuerNotValidError } from './errors';
import { parsePrivateKey, toWebSigningKey, WebSigningKey } from './keys';
import { parseCertificate, parseCertificates } from './pem';

/** A signing CA as stored on disk or handed in by the operator. */
export interface SigningCa {
  /** The certificate that signs workload certificates (a root or an intermediate). */
  certPem: string;
  /** Its private key (PKCS#8, PKCS#1 or SEC1 PEM). */
  keyPem: string;
  /** Issuers of certPem in order, ending with its self-signed root; empty when certPem is that root. */
  chainPem: string[];
}

/** Clock skew allowance: certificates start this long before "now" (as Istio does). */
export const CLOCK_SKEW_MS = 2 * 60 * 1000;

export interface SignParams {
  publicKey: x509.PublicKey;
  subject: x509.Name | string;
  extensions: x509.Extension[];
  notBefore: Date;
  notAfter: Date;
}

export class Issuer {
  private constructor(
    readonly cert: X509Certificate,
    /** Issuers of `cert`, ending with the root (empty when `cert` is the root). */
    readonly chain: X509Certificate[],
    readonly certPem: string,
    readonly chainPem: string[],
    readonly keyPem: string,
    private readonly peculiarCert: x509.X509Certificate,
    private readonly signingKey: WebSigningKey,
  ) {}

  static async load(ca: SigningCa, what = 'signing CA'): Promise<Issuer> {
    const cert = parseCertificate(ca.certPem, `${what} certPem`);
    const chain = ca.chainPem.length ? parseCertificates(ca.chainPem, `${what} chainPem`) : [];
    const key = parsePrivateKey(ca.keyPem, `${what} keyPem`);
    if (!cert.ca) throw new Error(`${what} certPem: is not a CA certificate (basicConstraints CA:true is missing)`);
    if (!cert.checkPrivateKey(key)) throw new Error(`${what} keyPem: does not match the public key of certPem`);
    const path = [cert, ...chain];
    for (let i = 0; i < path.length - 1; i++) {
      if (!path[i].checkIssued(path[i + 1]) || !path[i].verify(path[i + 1].publicKey)) {
        throw new Error(`${what} chainPem [${i}]: did not issue ${i === 0 ? 'certPem' : `chainPem [${i - 1}]`}`);
      }
      if (!path[i + 1].ca) throw new Error(`${what} chainPem [${i}]: is not a CA certificate`);
    }
    const root = path[path.length - 1];
    if (!root.checkIssued(root) || !root.verify(root.publicKey)) {
      throw new Error(`${what}: the chain does not end with a self-signed root (last certificate: ${(root.subject ?? '').replace(/\n/g, ', ')})`);
    }
    const signingKey = await toWebSigningKey(key, `${what} keyPem`);
    return new Issuer(cert, chain, normalize(ca.certPem), ca.chainPem.map(normalize), ca.keyPem, new x509.X509Certificate(cert.raw), signingKey);
  }

  toSigningCa(): SigningCa {
    return { certPem: this.certPem, keyPem: this.keyPem, chainPem: [...this.chainPem] };
  }

  get root(): X509Certificate {
    return this.chain.length ? this.chain[this.chain.length - 1] : this.cert;
  }

  get rootPem(): string {
    return this.chainPem.length ? this.chainPem[this.chainPem.length - 1] : this.certPem;
  }

  /** Intermediates a leaf must present after itself: the signing cert and its non-root issuers. */
  get presentedChainPem(): string[] {
    return [this.certPem, ...this.chainPem].slice(0, this.chain.length);
  }

  /** Latest instant a certificate signed now may be valid: no cert outlives any issuer above it. */
  get latestNotAfter(): Date {
    return new Date(Math.min(...[this.cert, ...this.chain].map((c) => Date.parse(c.validTo))));
  }

  /** Refuses to sign with an expired or not-yet-valid issuer (or any cert above it). */
  assertValidAt(now: Date): void {
    for (const c of [this.cert, ...this.chain]) {
      const label = c === this.cert ? 'signing CA certificate' : 'CA chain certificate';
      const subject = (c.subject ?? '').replace(/\n/g, ', ');
      if (now.getTime() > Date.parse(c.validTo)) {
        throw new IssuerNotValidError(`${label} "${subject}" expired at ${new Date(c.validTo).toISOString()}; refusing to sign`);
      }
      if (now.getTime() < Date.parse(c.validFrom)) {
        throw new IssuerNotValidError(`${label} "${subject}" is not valid before ${new Date(c.validFrom).toISOString()}; refusing to sign`);
      }
    }
  }

  async sign(params: SignParams): Promise<x509.X509Certificate> {
    return x509.X509CertificateGenerator.create({
      serialNumber: randomSerialHex(),
      subject: params.subject,
      issuer: this.peculiarCert.subjectName,
      notBefore: params.notBefore,
      notAfter: params.notAfter,
      publicKey: params.publicKey,
      signingKey: this.signingKey.key,
      signingAlgorithm: this.signingKey.signingAlgorithm,
      extensions: [...params.extensions, await this.authorityKeyIdentifier()],
    });
  }

  private akiCache: x509.AuthorityKeyIdentifierExtension | undefined;
  private async authorityKeyIdentifier(): Promise<x509.AuthorityKeyIdentifierExtension> {
    if (!this.akiCache) {
      const ski = this.peculiarCert.getExtension(x509.SubjectKeyIdentifierExtension);
      this.akiCache = ski
        ? new x509.AuthorityKeyIdentifierExtension(ski.keyId)
        : await x509.AuthorityKeyIdentifierExtension.create(this.signingKey.publicKey);
    }
    return this.akiCache;
  }
}

/** 128-bit positive serial (RFC 5280 allows 20 octets; CA/B asks for ≥ 64 random bits). */
export function randomSerialHex(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] & 0x7f) | 0x40; // positive, and no leading zero octet to strip
  return bytes.toString('hex');
}

function normalize(pem: string): string {
  const trimmed = pem.trim();
  return trimmed + '\n';
}

export function toPeculiarPublicKey(key: KeyObject): x509.PublicKey {
  return new x509.PublicKey(key.export({ type: 'spki', format: 'der' }));
}
