// SPIFFE IDs (https://github.com/spiffe/spiffe/blob/main/standards/SPIFFE-ID.md) and the
// one shape Trellis issues: spiffe://<trust-domain>/ns/<namespace>/sa/<service-account>.

export interface WorkloadIdentity {
  trustDomain: string;
  namespace: string;
  serviceAccount: string;
}

export interface SpiffeId {
  trustDomain: string;
  /** Path segments, never empty strings, never "." or "..". */
  segments: string[];
}

export class SpiffeIdError extends Error {
  override name = 'SpiffeIdError';
}

const SCHEME = 'spiffe://';
const MAX_URI_BYTES = 2048;
const MAX_TRUST_DOMAIN_LENGTH = 255;
const TRUST_DOMAIN_CHARS = /^[a-z0-9._-]+$/;
const SEGMENT_CHARS = /^[a-zA-Z0-9._-]+$/;

export function validateTrustDomain(trustDomain: string): void {
  if (typeof trustDomain !== 'string' || trustDomain.length === 0) {
    throw new SpiffeIdError('trust domain is empty');
  }
  if (trustDomain.length > MAX_TRUST_DOMAIN_LENGTH) {
    throw new SpiffeIdError(`trust domain "${trustDomain.slice(0, 32)}…" is longer than ${MAX_TRUST_DOMAIN_LENGTH} characters`);
  }
  if (!TRUST_DOMAIN_CHARS.test(trustDomain)) {
    throw new SpiffeIdError(`trust domain "${trustDomain}" may only contain lowercase letters, digits, ".", "-" and "_"`);
  }
}

function validateSegment(segment: string, where: string): void {
  if (segment.length === 0) throw new SpiffeIdError(`${where}: path segment is empty`);
  if (segment === '.' || segment === '..') throw new SpiffeIdError(`${where}: path segment "${segment}" is not allowed`);
  if (!SEGMENT_CHARS.test(segment)) {
    throw new SpiffeIdError(`${where}: path segment "${segment}" may only contain letters, digits, ".", "-" and "_"`);
  }
}

export function parseSpiffeId(uri: string): SpiffeId {
  if (typeof uri !== 'string') throw new SpiffeIdError('SPIFFE ID is not a string');
  if (Buffer.byteLength(uri) > MAX_URI_BYTES) throw new SpiffeIdError(`SPIFFE ID is longer than ${MAX_URI_BYTES} bytes`);
  if (!uri.startsWith(SCHEME)) throw new SpiffeIdError(`SPIFFE ID "${uri}" must start with "${SCHEME}"`);
  if (/[?#]/.test(uri)) throw new SpiffeIdError(`SPIFFE ID "${uri}" must not have a query or fragment`);
  const rest = uri.slice(SCHEME.length);
  const slash = rest.indexOf('/');
  const trustDomain = slash === -1 ? rest : rest.slice(0, slash);
  if (/[@:]/.test(trustDomain)) throw new SpiffeIdError(`SPIFFE ID "${uri}" must not have user info or a port`);
  validateTrustDomain(trustDomain);
  if (slash === -1) return { trustDomain, segments: [] };
  const segments = rest.slice(slash + 1).split('/');
  for (const segment of segments) validateSegment(segment, `SPIFFE ID "${uri}"`);
  return { trustDomain, segments };
}

export function formatSpiffeId(id: SpiffeId): string {
  validateTrustDomain(id.trustDomain);
  for (const segment of id.segments) validateSegment(segment, `SPIFFE ID of trust domain "${id.trustDomain}"`);
  const uri = SCHEME + [id.trustDomain, ...id.segments].join('/');
  if (Buffer.byteLength(uri) > MAX_URI_BYTES) throw new SpiffeIdError(`SPIFFE ID is longer than ${MAX_URI_BYTES} bytes`);
  return uri;
}

export function formatWorkloadId(identity: WorkloadIdentity): string {
  return formatSpiffeId({
    trustDomain: identity.trustDomain,
    segments: ['ns', identity.namespace, 'sa', identity.serviceAccount],
  });
}

export function parseWorkloadId(uri: string): WorkloadIdentity {
  const { trustDomain, segments } = parseSpiffeId(uri);
  if (segments.length !== 4 || segments[0] !== 'ns' || segments[2] !== 'sa') {
    throw new SpiffeIdError(`SPIFFE ID "${uri}" is not of the form spiffe://<trust-domain>/ns/<namespace>/sa/<service-account>`);
  }
  return { trustDomain, namespace: segments[1], serviceAccount: segments[3] };
}
