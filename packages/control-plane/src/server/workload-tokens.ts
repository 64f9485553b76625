import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AuthenticationError, BootstrapTokenAuthenticator, type Authenticator } from '@trellis/identity';
import type { WorkloadIdentity } from '@trellis/pki';
import type { Workload } from '../model/mesh';
import { nodeIdOf } from '../translate/names';

/**
 * Local mode's answer to projected ServiceAccount tokens: one random bootstrap
 * token per workload, written 0600 under `<dir>/<node-id>.token` for that
 * workload's proxy to present when it asks the CA for a certificate. Tokens
 * survive restarts (the file is reused) and never appear in logs.
 */
export class WorkloadTokens implements Authenticator {
  private authenticator: Authenticator = { authenticate: async () => { throw new AuthenticationError('unknown bootstrap token'); } };
  /** Tokens by file, so a reload touches the disk only for workloads it has not seen. */
  private tokens = new Map<string, string>();
  /** What the authenticator was built from: rebuilding hashes every token, so only do it when this changes. */
  private builtFrom = '';

  constructor(
    readonly dir: string,
    private readonly trustDomain: string,
  ) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  tokenFile(workload: Pick<Workload, 'name' | 'namespace'>): string {
    return path.join(this.dir, `${nodeIdOf(workload)}.token`);
  }

  /** Make sure every workload has a token; forget tokens of workloads that are gone. */
  sync(workloads: Workload[]): void {
    const tokens = new Map<string, string>();
    const entries = workloads.map((w) => {
      const file = this.tokenFile(w);
      const token = this.tokens.get(file) ?? readOrCreateToken(file);
      tokens.set(file, token);
      const identity: WorkloadIdentity = { trustDomain: this.trustDomain, namespace: w.namespace, serviceAccount: w.serviceAccount };
      return { token, ...identity };
    });
    this.tokens = tokens;
    const builtFrom = entries.map((e) => `${e.token} ${e.namespace} ${e.serviceAccount}`).join('\n');
    if (builtFrom === this.builtFrom) return;
    this.builtFrom = builtFrom;
    this.authenticator = new BootstrapTokenAuthenticator(entries);
  }

  authenticate(token: string): Promise<WorkloadIdentity> {
    return this.authenticator.authenticate(token);
  }
}

function readOrCreateToken(file: string): string {
  if (!fs.existsSync(file)) fs.writeFileSync(file, randomBytes(32).toString('base64url'), { mode: 0o600 });
  return fs.readFileSync(file, 'utf8').trim();
}
