export { Sidecar, WORKLOAD_CERT_SECRET, type SidecarOptions } from './sidecar';
export { GrpcAgent, type GrpcAgentOptions } from './grpc-agent/agent';
export { CERTIFICATE_PROVIDER, SERVER_LISTENER_TEMPLATE } from './grpc-agent/grpc-bootstrap';
export {
  APP_HEALTH_ADDRESS_ENV, APP_HEALTH_PATH_PREFIX, APP_HOST_ENV, APP_PROBERS_ENV, AppHealthServer, appHealthFromEnvironment, parseAppProbers, runProbe,
  type AppHealthOptions, type AppProbe, type AppProbers, type ProbeResult,
} from './app-health';
