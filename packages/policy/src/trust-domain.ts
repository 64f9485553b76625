// Istio's trust-domain migration: a principal written with trust domain `cluster.local`
// (or one of the mesh's) stands for the mesh's current trust domain and its aliases, so
// policies copied from an Istio mesh keep matching under Trellis's trust domain.

export interface TrustDomainBundle {
  /** The mesh's trust domain, as in spiffe://<trustDomain>/ns/... */
  trustDomain: string;
  /** Former or federated trust domains that identities may still carry. */
  aliases?: readonly string[];
}

const LOCAL_ALIAS = 'cluster.local';

/** The principal patterns a policy principal stands for (the principal itself when it pins no local trust domain). */
export function expandPrincipal(principal: string, bundle: TrustDomainBundle | undefined): string[] {
  // A leading wildcard leaves the trust domain open, so there is nothing to rewrite.
  if (!bundle || principal.startsWith('*')) return [principal];
  const at = principal.indexOf('/ns/');
  if (at < 0) return [principal];
  const domains = [bundle.trustDomain, ...(bundle.aliases ?? [])];
  const own = principal.slice(0, at);
  if (own !== LOCAL_ALIAS && !domains.includes(own)) return [principal];
  return [...new Set(domains.map((domain) => domain + principal.slice(at)))];
}
