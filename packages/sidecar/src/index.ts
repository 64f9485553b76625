export { Sidecar, WORKLOAD_CERT_SECRET, type SidecarOptions } from './sidecar';
