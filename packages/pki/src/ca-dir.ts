// The CA on disk, in the layout Istio's "cacerts" uses so operators can plug in their own:
//   ca-cert.pem    signing certificate (a root, or an intermediate under the operator's root)
//   ca-key.pem     its private key (mode 0600)
//   cert-chain.pem ca-cert.pem then its issuers up to the root (optional when ca-cert is the root)
//   root-cert.pem  trusted roots: the one anchoring cert-chain.pem, plus any others to trust
// and, only while a root rotation is in progress (see CertificateAuthority):
//   next/          the next signing CA, same layout ("trusting-new-root" phase)
//   retiring-root-cert.pem  the old root until it is retired ("issuing-from-new-root" phase)
import { constants as fsConstants, promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { CertificateAuthority, RootRotationState } from './authority';
import { createSelfSignedRoot } from './ca-certificates';
import { Issuer, SigningCa } from './issuer';
import { KeyAlgorithm, parsePrivateKey } from './keys';
import { joinPem, parseCertificate, parseCertificates, splitPemCertificates } from './pem';

export const CA_FILES = {
  cert: 'ca-cert.pem',
  key: 'ca-key.pem',
  chain: 'cert-chain.pem',
  roots: 'root-cert.pem',
  nextDir: 'next',
  retiringRoot: 'retiring-root-cert.pem',
} as const;

export interface CaDirectory {
  signing: SigningCa;
  /** Every root in root-cert.pem (pass as `additionalRootsPem` to the CertificateAuthority). */
  rootsPem: string[];
  /** A root rotation in progress (pass as `rootRotation` to the CertificateAuthority). */
  rootRotation?: RootRotationState;
}

/** Everything `saveCaToDir` needs to restore `ca` later, rotation phase included. */
export function caDirectoryOf(ca: CertificateAuthority): CaDirectory {
  return { signing: ca.signingCa(), rootsPem: ca.trustBundlePem(), rootRotation: ca.rootRotationState() };
}

export async function loadCaFromDir(dir: string): Promise<CaDirectory> {
  const file = (name: string) => path.join(dir, name);
  const files: CaFiles = {
    cert: await readRequired(file(CA_FILES.cert)),
    key: await readRequired(file(CA_FILES.key)),
    roots: await readRequired(file(CA_FILES.roots)),
    chain: await readOptional(file(CA_FILES.chain)),
  };
  return { ...(await caFromFiles(files, file, `CA in ${dir}`)), rootRotation: await loadRootRotation(dir) };
}

/** The cacerts texts, wherever they are kept (a directory, a Kubernetes Secret); `chain` may be absent. */
export interface CaFiles {
  cert: string;
  key: string;
  chain?: string | undefined;
  roots: string;
}

/**
 * Checks a CA given as the cacerts texts and returns it ready to sign: the key matches, the
 * chain leads to a self-signed root, and that root is among the trusted ones. `where` names a
 * file (e.g. its path or Secret key) in errors; keys never appear in them.
 */
export async function caFromFiles(files: CaFiles, where: (file: string) => string, what: string): Promise<Omit<CaDirectory, 'rootRotation'>> {
  const rootsPem = splitPemCertificates(files.roots);
  const cert = parseCertificate(files.cert, where(CA_FILES.cert));
  const roots = parseCertificates(rootsPem, where(CA_FILES.roots));
  if (!cert.checkPrivateKey(parsePrivateKey(files.key, where(CA_FILES.key)))) {
    throw new Error(`${where(CA_FILES.key)}: does not match the public key of ${CA_FILES.cert}`);
  }
  let chainPem = files.chain ? splitPemCertificates(files.chain) : [];
  if (chainPem.length && parseCertificate(chainPem[0], where(CA_FILES.chain)).fingerprint256 === cert.fingerprint256) {
    chainPem = chainPem.slice(1);
  }
  if (!chainPem.length && !cert.checkIssued(cert)) {
    // No chain: ca-cert.pem is an intermediate directly under one of the roots.
    const root = rootsPem.find((_pem, i) => cert.checkIssued(roots[i]) && cert.verify(roots[i].publicKey));
    if (!root) throw new Error(`${where(CA_FILES.chain)}: missing, and no root in ${CA_FILES.roots} issued ${CA_FILES.cert}`);
    chainPem = [root];
  }
  const signing: SigningCa = { certPem: files.cert, keyPem: files.key, chainPem };
  const issuer = await Issuer.load(signing, `${what} (${CA_FILES.cert} + ${CA_FILES.chain})`);
  if (!roots.some((r) => r.fingerprint256 === issuer.root.fingerprint256)) {
    throw new Error(`${where(CA_FILES.roots)}: does not contain the root that ${CA_FILES.chain} ends with`);
  }
  return { signing, rootsPem };
}

async function loadRootRotation(dir: string): Promise<RootRotationState | undefined> {
  const nextDir = path.join(dir, CA_FILES.nextDir);
  if (await exists(path.join(nextDir, CA_FILES.cert))) return { next: (await loadCaFromDir(nextDir)).signing };
  const retiringRootPem = await readOptional(path.join(dir, CA_FILES.retiringRoot));
  return retiringRootPem ? { retiringRootPem } : undefined;
}

/** Writes all four files; the key is created with mode 0600 and every file is replaced atomically. */
export async function saveCaToDir(dir: string, ca: CaDirectory): Promise<void> {
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  await writeAtomic(path.join(dir, CA_FILES.key), ca.signing.keyPem, 0o600);
  await writeAtomic(path.join(dir, CA_FILES.cert), ca.signing.certPem, 0o644);
  await writeAtomic(path.join(dir, CA_FILES.chain), joinPem([ca.signing.certPem, ...ca.signing.chainPem]), 0o644);
  await writeAtomic(path.join(dir, CA_FILES.roots), joinPem(ca.rootsPem), 0o644);
  const { next, retiringRootPem } = ca.rootRotation ?? {};
  const nextDir = path.join(dir, CA_FILES.nextDir);
  if (next) {
    const nextRoot = next.chainPem.length ? next.chainPem[next.chainPem.length - 1] : next.certPem;
    await saveCaToDir(nextDir, { signing: next, rootsPem: [nextRoot] });
  } else {
    await fs.rm(nextDir, { recursive: true, force: true });
  }
  if (retiringRootPem) await writeAtomic(path.join(dir, CA_FILES.retiringRoot), retiringRootPem, 0o644);
  else await fs.rm(path.join(dir, CA_FILES.retiringRoot), { force: true });
}

/** Loads the CA in `dir`, or creates a self-signed root there if the directory has no CA yet. */
export async function initCaDir(
  dir: string,
  options: { trustDomain: string; keyAlgorithm?: KeyAlgorithm; rootTtlSeconds?: number },
): Promise<CaDirectory & { created: boolean }> {
  if (await exists(path.join(dir, CA_FILES.cert))) return { ...(await loadCaFromDir(dir)), created: false };
  if (await exists(path.join(dir, CA_FILES.key))) {
    throw new Error(`${path.join(dir, CA_FILES.key)}: exists without ${CA_FILES.cert}; refusing to overwrite a key`);
  }
  const signing = await createSelfSignedRoot({ trustDomain: options.trustDomain, keyAlgorithm: options.keyAlgorithm, ttlSeconds: options.rootTtlSeconds });
  const ca = { signing, rootsPem: [signing.certPem] };
  await saveCaToDir(dir, ca);
  return { ...ca, created: true };
}

async function readRequired(file: string): Promise<string> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (err) {
    throw new Error(`${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

async function readOptional(file: string): Promise<string | undefined> {
  return (await exists(file)) ? readRequired(file) : undefined;
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file, fsConstants.F_OK);
    return true;
  } catch {
    return false;
  }
}

async function writeAtomic(file: string, content: string, mode: number): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(tmp, content, { mode });
  await fs.chmod(tmp, mode); // writeFile's mode is filtered by the umask
  await fs.rename(tmp, file);
}
