// SecureContexts built from the secrets of one config view. Each view gets its own cache,
// so a rotated certificate takes effect for the next handshake while established
// connections keep the context they were created with.
import { createSecureContext, SecureContext, SecureContextOptions } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { ConfigView } from '../config/store';

export class SecureContexts {
  private readonly cache = new Map<string, SecureContext>();

  constructor(private readonly view: ConfigView) {}

  get(certificateSecret: string, validationSecret: string | undefined): SecureContext {
    const key = `${certificateSecret}\0${validationSecret ?? ''}`;
    let ctx = this.cache.get(key);
    if (!ctx) {
      ctx = createSecureContext(this.options(certificateSecret, validationSecret));
      this.cache.set(key, ctx);
    }
    return ctx;
  }

  /** Trust bundle PEM of a validationContext secret. */
  trustedCa(validationSecret: string): string {
    const ca = this.view.secrets.get(validationSecret)?.validationContext;
    if (!ca) throw new Error(`validation secret ${JSON.stringify(validationSecret)} is missing`);
    return ca.trustedCaPem;
  }

  /** PEM options for tls.createServer, which builds its own context and ignores `secureContext`. */
  options(certificateSecret: string, validationSecret: string | undefined): SecureContextOptions {
    const cert = this.view.secrets.get(certificateSecret)?.tlsCertificate;
    if (!cert) throw new Error(`tls certificate secret ${JSON.stringify(certificateSecret)} is missing`);
    const ca = validationSecret ? this.view.secrets.get(validationSecret)?.validationContext : undefined;
    if (validationSecret && !ca) throw new Error(`validation secret ${JSON.stringify(validationSecret)} is missing`);
    return { cert: cert.certChainPem, key: cert.privateKeyPem, ca: ca?.trustedCaPem, minVersion: 'TLSv1.2' };
  }
}

/** Seconds until expiry of the leaf certificate of every tlsCertificate secret in the view. */
export function certificateExpiries(view: ConfigView, now = Date.now()): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of view.secrets.values()) {
    if (!s.tlsCertificate) continue;
    try {
      const leaf = new X509Certificate(s.tlsCertificate.certChainPem);
      out.set(s.name, Math.floor((Date.parse(leaf.validTo) - now) / 1000));
    } catch {
      // validate.ts checked the PEM shape; an undecodable certificate just has no expiry figure.
    }
  }
  return out;
}
