// Why an issuance was refused, as types a server can map to status codes.

/** The request itself is malformed (bad CSR, bad TTL): the caller must fix it. */
export class InvalidRequestError extends Error {
  override name = 'InvalidRequestError';
}

/** The CSR is malformed, unsigned, or carries a key we do not issue for. */
export class CsrError extends InvalidRequestError {
  override name = 'CsrError';
}

/** The caller asked for an identity other than the one it authenticated as. */
export class IdentityMismatchError extends Error {
  override name = 'IdentityMismatchError';
}

/** The CA's own certificate (or one above it) is expired or not yet valid. */
export class IssuerNotValidError extends Error {
  override name = 'IssuerNotValidError';
}
