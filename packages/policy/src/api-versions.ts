/** Security kinds are read in our own API group and, unchanged, in Istio's. */
export const SECURITY_API_VERSIONS = ['security.trellis.dev/v1', 'security.istio.io/v1', 'security.istio.io/v1beta1'] as const;
