// Key generation and the bridge from Node's KeyObject (what TLS and PEM files use) to the
// WebCrypto CryptoKey that @peculiar/x509 signs with.
import { createPrivateKey, createPublicKey, generateKeyPair as generateNodeKeyPair, KeyObject, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto);

export type KeyAlgorithm = 'ecdsa-p256' | 'rsa-2048';
export const KEY_ALGORITHMS: readonly KeyAlgorithm[] = ['ecdsa-p256', 'rsa-2048'];

export interface KeyPairPem {
  /** PKCS#8 PEM. */
  privateKeyPem: string;
  /** SPKI PEM. */
  publicKeyPem: string;
}

export async function generateKeyPair(algorithm: KeyAlgorithm = 'ecdsa-p256'): Promise<KeyPairPem> {
  const encoding = {
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  } as const;
  const done = (resolve: (pair: KeyPairPem) => void, reject: (err: Error) => void) =>
    (err: Error | null, publicKeyPem: string, privateKeyPem: string) => (err ? reject(err) : resolve({ privateKeyPem, publicKeyPem }));
  switch (algorithm) {
    case 'ecdsa-p256':
      return new Promise((resolve, reject) => generateNodeKeyPair('ec', { namedCurve: 'P-256', ...encoding }, done(resolve, reject)));
    case 'rsa-2048':
      return new Promise((resolve, reject) => generateNodeKeyPair('rsa', { modulusLength: 2048, ...encoding }, done(resolve, reject)));
    default:
      throw new Error(`unknown key algorithm "${String(algorithm)}" (expected one of ${KEY_ALGORITHMS.join(', ')})`);
  }
}

/** WebCrypto parameters for a Node key: the import algorithm and the matching signature algorithm. */
export interface WebCryptoParams {
  importAlgorithm: webcrypto.RsaHashedImportParams | webcrypto.EcKeyImportParams;
  signingAlgorithm: webcrypto.Algorithm | webcrypto.EcdsaParams;
}

const CURVES: Record<string, { webName: string; hash: string }> = {
  prime256v1: { webName: 'P-256', hash: 'SHA-256' },
  secp384r1: { webName: 'P-384', hash: 'SHA-384' },
};

export function webCryptoParams(key: KeyObject, what: string): WebCryptoParams {
  if (key.asymmetricKeyType === 'rsa') {
    return {
      importAlgorithm: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
      signingAlgorithm: { name: 'RSASSA-PKCS1-v1_5' },
    };
  }
  if (key.asymmetricKeyType === 'ec') {
    const curve = CURVES[key.asymmetricKeyDetails?.namedCurve ?? ''];
    if (curve) {
      return {
        importAlgorithm: { name: 'ECDSA', namedCurve: curve.webName },
        signingAlgorithm: { name: 'ECDSA', hash: curve.hash } as webcrypto.EcdsaParams,
      };
    }
  }
  const detail = key.asymmetricKeyDetails?.namedCurve ?? '';
  throw new Error(`${what}: unsupported key type "${key.asymmetricKeyType}${detail ? ` ${detail}` : ''}" (expected RSA, EC P-256 or EC P-384)`);
}

export function parsePrivateKey(pem: string | Buffer, what: string): KeyObject {
  try {
    return createPrivateKey(pem);
  } catch (err) {
    throw new Error(`${what}: not a valid PEM private key (${(err as Error).message})`);
  }
}

/** A public key from PEM (public, or private whose public half is taken) or a KeyObject. */
export function parsePublicKey(input: string | KeyObject, what: string): KeyObject {
  if (input instanceof KeyObject) return input.type === 'private' ? createPublicKey(input) : input;
  try {
    return createPublicKey(input);
  } catch (err) {
    throw new Error(`${what}: not a valid PEM public key (${(err as Error).message})`);
  }
}

const MIN_RSA_BITS = 2048;
const ACCEPTED_CURVES = new Set(['prime256v1', 'secp384r1']);

/** Refuses keys we do not certify: anything but EC P-256/P-384 or RSA of at least 2048 bits. */
export function assertWorkloadKey(key: KeyObject): void {
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa' && (details.modulusLength ?? 0) >= MIN_RSA_BITS) return;
  if (key.asymmetricKeyType === 'ec' && ACCEPTED_CURVES.has(details.namedCurve ?? '')) return;
  const detail = details.modulusLength ? `${details.modulusLength} bits` : (details.namedCurve ?? 'unknown parameters');
  throw new Error(`public key ${key.asymmetricKeyType} (${detail}) is not accepted (use EC P-256/P-384 or RSA ≥ ${MIN_RSA_BITS} bits)`);
}

/** A signing key usable by @peculiar/x509, with the algorithm it signs with. */
export interface WebSigningKey {
  key: webcrypto.CryptoKey;
  publicKey: webcrypto.CryptoKey;
  signingAlgorithm: webcrypto.Algorithm | webcrypto.EcdsaParams;
}

export async function toWebSigningKey(privateKey: KeyObject, what: string): Promise<WebSigningKey> {
  const params = webCryptoParams(privateKey, what);
  const pkcs8 = privateKey.export({ type: 'pkcs8', format: 'der' });
  const spki = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  const [key, publicKey] = await Promise.all([
    webcrypto.subtle.importKey('pkcs8', pkcs8, params.importAlgorithm, false, ['sign']),
    webcrypto.subtle.importKey('spki', spki, params.importAlgorithm, true, ['verify']),
  ]);
  return { key, publicKey, signingAlgorithm: params.signingAlgorithm };
}
