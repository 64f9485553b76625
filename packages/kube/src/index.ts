export {
  DEFAULT_INSTALL_OPTIONS, installObjects, renderInstall, renderUninstall, type InstallOptions, type KubeObject, type UninstallOptions,
} from './install';
export { KubeSource, type KubeSourceOptions } from './source/kube-source';
export { kubeConfigFrom } from './source/client-node';
export { DEFAULT_BACKOFF, type Backoff, type InformerState } from './source/resource-informer';
export { WATCHED_RESOURCES, type WatchedResource } from './source/resources';
export { CAPTURED_OUTBOUND_PORT, INJECT_ANNOTATION, INJECTION_LABEL } from './source/pod-workloads';
