// Test identities made with the openssl CLI: a mesh CA and SPIFFE X.509 SVIDs
// (URI SAN only), plus a foreign CA for the "wrong trust domain" cases.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Ca {
  dir: string;
  certPath: string;
  keyPath: string;
  certPem: string;
}

export interface Svid {
  certPem: string;
  keyPem: string;
  certPath: string;
  keyPath: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

export function makeCa(name = 'trellis-test-ca'): Ca {
  const dir = mkdtempSync(join(tmpdir(), 'trellis-ca-'));
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt',
    '-subj', `/O=trellis/CN=${name}`, '-days', '2', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  return { dir, certPath: join(dir, 'ca.crt'), keyPath: join(dir, 'ca.key'), certPem: readFileSync(join(dir, 'ca.crt'), 'utf8') };
}

let serial = 0;

/** An X.509-SVID for `spiffeId`, signed by `ca`. */
export function issueSvid(ca: Ca, spiffeId: string, days = 1): Svid {
  const base = `svid-${process.pid}-${++serial}`;
  writeFileSync(join(ca.dir, `${base}.ext`), [
    `subjectAltName=critical,URI:${spiffeId}`,
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature',
    'extendedKeyUsage=serverAuth,clientAuth',
  ].join('\n'));
  openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${base}.key`, '-out', `${base}.csr`, '-subj', '/O=trellis'], ca.dir);
  openssl(['x509', '-req', '-in', `${base}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', String(days), '-extfile', `${base}.ext`, '-out', `${base}.crt`], ca.dir);
  const certPath = join(ca.dir, `${base}.crt`);
  const keyPath = join(ca.dir, `${base}.key`);
  return { certPem: readFileSync(certPath, 'utf8'), keyPem: readFileSync(keyPath, 'utf8'), certPath, keyPath };
}
