// Who is calling the CA. A token maps to a workload identity; the local implementation is a
// bootstrap token table (Kubernetes TokenReview can implement the same interface later).
import { createHash, timingSafeEqual } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { formatWorkloadId, WorkloadIdentity } from '@trellis/pki';

export interface Authenticator {
  /** Resolves the identity the token proves, or rejects with AuthenticationError. */
  authenticate(token: string): Promise<WorkloadIdentity>;
}

export class AuthenticationError extends Error {
  override name = 'AuthenticationError';
}

/** The authenticator could not decide (e.g. the API server that reviews tokens is unreachable): the caller may retry. */
export class AuthenticatorUnavailableError extends Error {
  override name = 'AuthenticatorUnavailableError';
}

export interface BootstrapTokenEntry extends WorkloadIdentity {
  token: string;
}

/**
 * Bootstrap tokens held in memory. Lookups hash the presented token and compare it with every
 * entry in constant time, so timing reveals neither a match nor how close a guess was. Tokens
 * never appear in errors.
 */
export class BootstrapTokenAuthenticator implements Authenticator {
  private readonly entries: { digest: Buffer; identity: WorkloadIdentity }[];

  constructor(entries: readonly BootstrapTokenEntry[]) {
    this.entries = entries.map((entry, i) => {
      const where = `bootstrap token [${i}]`;
      if (typeof entry.token !== 'string' || entry.token.length < 16) {
        throw new Error(`${where}: field "token" must be a string of at least 16 characters`);
      }
      const identity = { trustDomain: entry.trustDomain, namespace: entry.namespace, serviceAccount: entry.serviceAccount };
      try {
        formatWorkloadId(identity);
      } catch (err) {
        throw new Error(`${where}: invalid identity (${(err as Error).message})`);
      }
      return { digest: digest(entry.token), identity };
    });
  }

  /**
   * Reads a JSON file: `{"tokens": [{"token": "…", "trustDomain": "…", "namespace": "…",
   * "serviceAccount": "…"}]}`.
   */
  static async fromFile(file: string): Promise<BootstrapTokenAuthenticator> {
    let parsed: unknown;
    try {
      parsed = JSON.parse(await fs.readFile(file, 'utf8'));
    } catch (err) {
      throw new Error(`${file}: cannot be read as JSON (${(err as Error).message.split('\n')[0]})`);
    }
    const tokens = (parsed as { tokens?: unknown } | null)?.tokens;
    if (!Array.isArray(tokens)) throw new Error(`${file}: field "tokens" must be an array`);
    try {
      return new BootstrapTokenAuthenticator(tokens as BootstrapTokenEntry[]);
    } catch (err) {
      throw new Error(`${file}: ${(err as Error).message}`);
    }
  }

  async authenticate(token: string): Promise<WorkloadIdentity> {
    const presented = digest(token);
    let found: WorkloadIdentity | undefined;
    for (const entry of this.entries) {
      if (timingSafeEqual(entry.digest, presented) && !found) found = entry.identity;
    }
    if (!found) throw new AuthenticationError('unknown bootstrap token');
    return { ...found };
  }
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}
