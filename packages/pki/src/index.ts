export {
  formatSpiffeId,
  formatWorkloadId,
  parseSpiffeId,
  parseWorkloadId,
  SpiffeIdError,
  validateTrustDomain,
} from './spiffe-id';
export type { SpiffeId, WorkloadIdentity } from './spiffe-id';
export { generateKeyPair, KEY_ALGORITHMS } from './keys';
export type { KeyAlgorithm, KeyPairPem } from './keys';
export { splitPemCertificates, joinPem } from './pem';
export type { SigningCa } from './issuer';
export { CLOCK_SKEW_MS } from './issuer';
export { createSelfSignedRoot, createIntermediateCa } from './ca-certificates';
export type { CaCertificateOptions } from './ca-certificates';
export { createCsr } from './csr';
export { DEFAULT_SVID_TTL_SECONDS } from './svid';
export type { IssuedSvid } from './svid';
export { CertificateAuthority } from './authority';
export type { CertificateAuthorityOptions, IssuedCertificate, IssueRequest, RootRotationPhase, RootRotationState } from './authority';
export { CsrError, IdentityMismatchError, InvalidRequestError, IssuerNotValidError } from './errors';
export { verifySpiffePeer } from './verify';
export type { CertificateInput, PeerRejection, PeerVerification, VerifyPeerOptions } from './verify';
export { clientTlsOptions, serverTlsOptions, spiffeServerIdentityCheck, SpiffePeerError, verifyTlsPeer, workloadSecureContextOptions } from './tls';
export type { PeerPolicy, WorkloadCredentials } from './tls';
export { CA_FILES, caDirectoryOf, caFromFiles, initCaDir, loadCaFromDir, saveCaToDir } from './ca-dir';
export type { CaDirectory, CaFiles } from './ca-dir';
