import * as fs from 'node:fs';
import * as path from 'node:path';
import type { IssuedCredentials } from '@trellis/identity';
import { joinPem } from '@trellis/pki';

/** Where the agent keeps the workload's credentials for gRPC's `file_watcher` certificate provider. */
export interface CertificatePaths {
  certificateFile: string;
  privateKeyFile: string;
  caCertificateFile: string;
}

export function certificatePaths(dir: string): CertificatePaths {
  return { certificateFile: path.join(dir, 'cert-chain.pem'), privateKeyFile: path.join(dir, 'key.pem'), caCertificateFile: path.join(dir, 'root-cert.pem') };
}

/**
 * Writes each file whole or not at all (a temporary file renamed over the old one), so
 * the file watcher never reads half a certificate. The key goes first and is readable
 * by the pod's user only; the watcher may pair a new key with the old chain for one
 * refresh interval at most, and the next refresh heals it.
 */
export function writeCertificateFiles(paths: CertificatePaths, credentials: IssuedCredentials): void {
  writeAtomically(paths.privateKeyFile, credentials.keyPem, 0o600);
  writeAtomically(paths.certificateFile, joinPem(credentials.chainPem), 0o644);
  writeAtomically(paths.caCertificateFile, joinPem(credentials.bundlePem), 0o644);
}

export function writeAtomically(file: string, text: string, mode: number): void {
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, text, { mode });
  fs.renameSync(temporary, file);
}
