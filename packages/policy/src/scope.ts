import type { AuthorizationPolicy, PolicyTargetReference, Workload } from './model';
import type { TrustDomainBundle } from './trust-domain';

export const DEFAULT_ROOT_NAMESPACE = 'trellis-system';
const GATEWAY_NAME_LABEL = 'gateway.networking.k8s.io/gateway-name';

/** Mesh-wide settings that change which policies apply and what they match. */
export interface MeshOptions {
  /** Policies here apply mesh-wide (Istio's root namespace). Default `trellis-system`. */
  rootNamespace?: string;
  /** When set, policy principals naming `cluster.local` (or an alias) match this trust domain and its aliases. */
  trustDomain?: TrustDomainBundle;
}

export function selectorMatches(selector: Record<string, string> | undefined, labels: Record<string, string>): boolean {
  return selector === undefined || Object.entries(selector).every(([k, v]) => labels[k] === v);
}

function targetsWorkload(ref: PolicyTargetReference, policyNamespace: string, workload: Workload): boolean {
  // Sidecars only honour targetRefs naming a Gateway API Gateway deployed as this workload.
  return (
    ref.group === 'gateway.networking.k8s.io' &&
    ref.kind === 'Gateway' &&
    (ref.namespace ?? policyNamespace) === workload.namespace &&
    policyNamespace === workload.namespace &&
    workload.labels[GATEWAY_NAME_LABEL] === ref.name
  );
}

/**
 * The AuthorizationPolicies that apply to a workload: root-namespace policies mesh-wide,
 * policies of the workload's namespace, each narrowed by its selector (⊆ labels) or targetRefs.
 * Sorted by namespace/name so results never depend on input order.
 */
export function policiesForWorkload(policies: readonly AuthorizationPolicy[], workload: Workload, options: MeshOptions = {}): AuthorizationPolicy[] {
  const root = options.rootNamespace ?? DEFAULT_ROOT_NAMESPACE;
  return policies
    .filter((p) => {
      const ns = p.metadata.namespace;
      if (p.targetRefs.length > 0) return p.targetRefs.some((ref) => targetsWorkload(ref, ns, workload));
      return (ns === root || ns === workload.namespace) && selectorMatches(p.selector, workload.labels);
    })
    .sort((a, b) => compareStrings(policyKey(a), policyKey(b)));
}

export function policyKey(policy: AuthorizationPolicy): string {
  return `${policy.metadata.namespace}/${policy.metadata.name}`;
}

/** Code-unit order, the order Envoy's std::map and Go's sort use for ASCII names. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
