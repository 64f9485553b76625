export {
  DEFAULT_INSTALL_OPTIONS, installObjects, renderInstall, renderUninstall, type InstallOptions, type KubeObject, type UninstallOptions,
} from './install';
export { KubeSource, type KubeSourceOptions } from './source/kube-source';
export { kubeConfigFrom } from './source/client-node';
export { DEFAULT_BACKOFF, type Backoff, type InformerState } from './source/resource-informer';
export { WATCHED_RESOURCES, type WatchedResource } from './source/resources';
export { CAPTURED_OUTBOUND_PORT, INJECT_ANNOTATION, INJECTION_LABEL, meshMembership } from './source/pod-workloads';
export { CA_TOKEN_AUDIENCE, TokenReviewAuthenticator, type TokenReviewAuthenticatorOptions } from './identity/token-review';
export { PLUGGED_IN_CA_SECRET, SecretCaStore, SELF_SIGNED_CA_SECRET, type SecretCaStoreOptions } from './identity/ca-secret';
export {
  CAPTURE_CONTAINER, EXCLUDE_ANNOTATIONS, injectionPatch, PROXY_CONTAINER, startupProbeScript, STATUS_ANNOTATION,
  type AdmittedPod, type InjectionDecision, type InjectionSettings, type JsonPatchOperation,
} from './injection/inject';
export { APP_HEALTH_PORT, REWRITE_PROBES_ANNOTATIONS, rewriteProbes, type Probe, type ProbedContainer } from './injection/probe-rewrite';
export { admissionResponse, InjectionWebhook, patchCaBundle, WEBHOOK_CONFIGURATION, type AdmissionReview, type AdmissionResponse, type InjectionWebhookOptions } from './injection/webhook-server';
