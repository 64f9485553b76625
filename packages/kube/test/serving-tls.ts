import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ServingTls } from './fake-apiserver';

/** A throwaway CA and a serving certificate for 127.0.0.1, made with openssl; undefined without openssl. */
export function makeServingTls(): ServingTls | undefined {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-kube-tls-'));
  const file = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => spawnSync('openssl', args, { encoding: 'utf8' });
  try {
    if (openssl('version').status !== 0) return undefined;
    fs.writeFileSync(file('san.ext'), 'subjectAltName=IP:127.0.0.1\n');
    const steps = [
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', file('ca.key'), '-out', file('ca.crt'), '-subj', '/CN=fake-apiserver-ca', '-days', '1'],
      ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', file('server.key'), '-out', file('server.csr'), '-subj', '/CN=127.0.0.1'],
      ['x509', '-req', '-in', file('server.csr'), '-CA', file('ca.crt'), '-CAkey', file('ca.key'), '-CAcreateserial', '-out', file('server.crt'), '-days', '1', '-extfile', file('san.ext')],
    ];
    for (const step of steps) {
      const run = openssl(...step);
      if (run.status !== 0) throw new Error(`openssl ${step[0]}: ${run.stderr}`);
    }
    const read = (name: string) => fs.readFileSync(file(name), 'utf8');
    return { key: read('server.key'), cert: read('server.crt'), ca: read('ca.crt') };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
