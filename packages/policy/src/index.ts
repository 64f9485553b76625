export type {
  Attribute, AuthorizationAction, AuthorizationPolicy, Condition, MtlsMode, ObjectMeta, Operation, PeerAuthentication,
  PolicyTargetReference, Rule, Source, Workload,
} from './model';
export type { HttpAttributes, RequestAttributes, RequestAuth } from './request';
export { formatDiagnostic, ObjectValidationError, type Diagnostic, type ValidationResult } from '@trellis/objects';
export { SECURITY_API_VERSIONS } from './api-versions';
export { DRY_RUN_ANNOTATION, parseAuthorizationPolicy, validateAuthorizationPolicy } from './authorization-policy';
export {
  effectiveMtlsMode, parsePeerAuthentication, validatePeerAuthentication, type EffectiveMtlsMode, type MtlsOptions,
} from './peer-authentication';
export { DEFAULT_ROOT_NAMESPACE, policiesForWorkload, type MeshOptions } from './scope';
export type { TrustDomainBundle } from './trust-domain';
export { evaluate, type Decision, type DecisionReason, type DryRunResult } from './evaluate';
export { HTTP_RBAC_TYPE_URL, NETWORK_RBAC_TYPE_URL, TCP_RBAC_STAT_PREFIX, toEnvoyHttpRbac, toEnvoyNetworkRbac } from './translate';
export { parseRbacPolicyName, rbacPolicyName, type PolicyRuleRef } from './naming';
export { SUPPORTED_CONDITION_KEYS } from './attributes';
export { validateSecurityResources, type SecurityResources } from './resources';
