export { Sidecar, WORKLOAD_CERT_SECRET, type SidecarOptions } from './sidecar';
export { GrpcAgent, type GrpcAgentOptions } from './grpc-agent/agent';
export { CERTIFICATE_PROVIDER, SERVER_LISTENER_TEMPLATE } from './grpc-agent/grpc-bootstrap';
