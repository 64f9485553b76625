import { serviceHostname, type Service, type ServicePort } from '../model/mesh';

/** Resource names, Istio's way, so operators can read a config dump at a glance. */

export const ROOT_CA_SECRET = 'ROOTCA';
/** The workload's own certificate: served by the proxy itself, whose key never leaves the pod. */
export const WORKLOAD_CERT_SECRET = 'default';
export const OUTBOUND_HTTP_ROUTE = 'outbound|http';

export function inboundListenerName(port: number): string {
  return `inbound|${port}`;
}

export function inboundClusterName(port: number): string {
  return `inbound|${port}`;
}

export function outboundClusterName(service: Service, port: ServicePort): string {
  return `outbound|${port.port}||${serviceHostname(service)}`;
}

export function spiffeId(trustDomain: string, namespace: string, serviceAccount: string): string {
  return `spiffe://${trustDomain}/ns/${namespace}/sa/${serviceAccount}`;
}

/** Node ids our proxies present: `<workload>.<namespace>`. */
export function nodeIdOf(workload: { name: string; namespace: string }): string {
  return `${workload.name}.${workload.namespace}`;
}
