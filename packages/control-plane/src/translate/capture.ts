// Listeners for a workload whose traffic iptables redirects to its proxy (`trellis capture-init`),
// Istio's model: a virtual outbound listener on 0.0.0.0:<outbound port> and a virtual inbound one
// on 0.0.0.0:15006, both matching each connection on its original destination (the original_dst
// listener filter). Outbound chains exist per reachable destination — a service's cluster IP and
// port, and each endpoint's IP and port — and originate mTLS as the explicit outbound listener
// does; inbound chains are the per-port inbound chains, keyed by destination port.
// Outbound traffic to a destination no chain names (outside the registry) goes, under ALLOW_ANY,
// through a default chain to the passthrough cluster (ORIGINAL_DST: plain TCP to where the app
// dialled, as sent); under REGISTRY_ONLY there is no such chain and the proxy refuses it.
// The explicit outbound port stays usable (Host routing), so the sidecar's routes (RDS) stay.
import { TypeUrl, type Resource } from '@trellis/xds';
import { egressScopeKey, inEgressScope, serviceHostname, workloadPort, workloadsOf, type MeshModel, type PortProtocol, type Service, type ServicePort, type Workload } from '../model/mesh';
import { EnvoyType, duration, socketAddress } from './envoy';
import type { ResourceMemo } from './memo';
import { nodeIdOf, outboundClusterName } from './names';

export const VIRTUAL_OUTBOUND_LISTENER = 'virtualOutbound';
export const VIRTUAL_INBOUND_LISTENER = 'virtualInbound';
export const CAPTURE_INBOUND_PORT = 15006;
/** Istio's outboundTrafficPolicy modes: pass calls outside the registry through, or refuse them. */
export const OUTBOUND_TRAFFIC_POLICIES = ['ALLOW_ANY', 'REGISTRY_ONLY'] as const;
export type OutboundTrafficPolicy = (typeof OUTBOUND_TRAFFIC_POLICIES)[number];
/** Istio's names: what a captured call outside the registry goes through under ALLOW_ANY. */
const PASSTHROUGH_CLUSTER = 'PassthroughCluster';
const PASSTHROUGH_CHAIN = 'PassthroughFilterChain';

/** The pieces of the sidecar translation captured listeners share with the explicit ones. */
export interface CaptureBuilders {
  /** The explicit outbound listener's HTTP filter (routes by Host): apps that dial their proxy by name keep working. */
  explicitOutbound: object;
  /** The filter chains of the inbound listener for one workload port (mTLS, plaintext per PeerAuthentication). */
  inboundChains(port: number, protocol: PortProtocol): object[];
  /** The Envoy routes of a service port (its HTTPRoutes, or the default route to its cluster). */
  serviceRoutes(service: Service, port: ServicePort): object[];
  /** The upstream mTLS context to a service port's backends (secure naming). */
  upstreamTls(service: Service, port: ServicePort, backends: Workload[]): object;
  /** Cluster options that let h2/gRPC requests share one HTTP/2 session per peer. */
  http2Options(): object;
  /** The workload ports this workload serves, with their protocol. */
  inboundPorts: Map<number, PortProtocol>;
}

const ORIGINAL_DST = {
  name: 'envoy.filters.listener.original_dst',
  typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.listener.original_dst.v3.OriginalDst' },
};

const hostPrefix = (address: string) => ({ address_prefix: address, prefix_len: { value: address.includes(':') ? 128 : 32 } });

/** One endpoint dialled directly: a cluster of that endpoint alone, so the call reaches the pod it named. */
function endpointClusterName(address: string, port: number, service: Service): string {
  return `outbound|${port}|${address}|${serviceHostname(service)}`;
}

function tcpProxy(name: string, cluster: string): object {
  return { name: 'envoy.filters.network.tcp_proxy', typed_config: { '@type': EnvoyType.TcpProxy, stat_prefix: name, cluster } };
}

function httpConnectionManager(name: string, routes: object[]): object {
  return {
    name: 'envoy.filters.network.http_connection_manager',
    typed_config: {
      '@type': EnvoyType.HttpConnectionManager,
      stat_prefix: name,
      codec_type: 'AUTO',
      // The Host header of a call by IP names no service: the chain, chosen by address, already did.
      route_config: { name, virtual_hosts: [{ name, domains: ['*'], routes }] },
      http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': EnvoyType.Router } }],
    },
  };
}

const defaultRoute = (cluster: string): object[] => [{ name: 'default', match: { prefix: '/' }, route: { cluster, timeout: duration(0) } }];

/** One outbound filter chain: where the app dialled, and the network filter that serves it. */
interface Destination {
  address: string;
  port: number;
  filter: object;
}

/** Every outbound destination a captured app may dial, and the clusters they need beyond the shared ones. */
function outboundDestinations(model: MeshModel, workload: Workload, ready: (w: Workload) => boolean, build: CaptureBuilders, memo: ResourceMemo) {
  const destinations: Destination[] = [];
  const clusters: Resource[] = [];
  const seen = new Set<string>();
  const destination = (address: string, port: number, protocol: PortProtocol, cluster: string, routes = defaultRoute(cluster)) => {
    const name = `outbound_${address}_${port}`;
    destinations.push({ address, port, filter: protocol === 'tcp' ? tcpProxy(name, cluster) : httpConnectionManager(name, routes) });
  };
  for (const service of model.services.filter((s) => inEgressScope(workload, s))) {
    const backends = workloadsOf(model, service);
    const serving = backends.filter(ready);
    for (const port of service.ports) {
      const serviceCluster = outboundClusterName(service, port);
      if (port.protocol === 'tcp') {
        // The shared outbound clusters are HTTP only; opaque TCP gets a static cluster of the serving endpoints.
        clusters.push(memo.get(TypeUrl.Cluster, serviceCluster, () => staticCluster(serviceCluster, serving.flatMap((w) => endpointOf(w, port)), build.upstreamTls(service, port, backends)),
          { inputs: [service, ...backends, ...serving] }));
      }
      if (service.clusterIP) destination(service.clusterIP, port.port, port.protocol, serviceCluster, port.protocol === 'tcp' ? undefined : build.serviceRoutes(service, port));
      for (const backend of serving) {
        const target = workloadPort(backend, port);
        if (target === undefined || seen.has(`${backend.address}:${target}`)) continue;
        seen.add(`${backend.address}:${target}`);
        const name = endpointClusterName(backend.address, target, service);
        clusters.push(memo.get(TypeUrl.Cluster, name, () => ({
          ...staticCluster(name, [{ address: backend.address, port: target }], build.upstreamTls(service, port, [backend])),
          ...(port.protocol === 'tcp' ? {} : { typed_extension_protocol_options: build.http2Options() }),
        }), { inputs: [service, backend] }));
        destination(backend.address, target, port.protocol, name);
      }
    }
  }
  return { destinations, clusters };
}

function endpointOf(workload: Workload, port: ServicePort): { address: string; port: number }[] {
  const target = workloadPort(workload, port);
  return target === undefined ? [] : [{ address: workload.address, port: target }];
}

function staticCluster(name: string, endpoints: { address: string; port: number }[], transportSocket: object): object {
  return {
    name, type: 'STATIC', connect_timeout: duration(1000), lb_policy: 'ROUND_ROBIN',
    load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: endpoints.map((e) => ({ endpoint: { address: socketAddress(e.address, e.port) }, health_status: 'HEALTHY' })) }] },
    transport_socket: transportSocket,
  };
}

/** Plain TCP to each connection's original destination; a destination outside the mesh may be far, hence Istio's 10 s. */
const passthroughCluster = () => ({ name: PASSTHROUGH_CLUSTER, type: 'ORIGINAL_DST', lb_policy: 'CLUSTER_PROVIDED', connect_timeout: duration(10_000) });

/** The virtual listeners (and the clusters only they use) that replace a captured workload's explicit ones. */
export function captureResources(
  model: MeshModel, workload: Workload, ready: (w: Workload) => boolean, memo: ResourceMemo, outboundPolicy: OutboundTrafficPolicy, build: CaptureBuilders,
) {
  const node = nodeIdOf(workload);
  // Every captured proxy that sees the same services dials the same destinations: walk the services once per push.
  const { destinations, clusters } = memo.shared(`capture\u0000${egressScopeKey(workload)}`, () => outboundDestinations(model, workload, ready, build, memo));
  const passthrough = outboundPolicy === 'ALLOW_ANY';
  const listeners = [memo.get(TypeUrl.Listener, VIRTUAL_OUTBOUND_LISTENER, () => ({
    name: VIRTUAL_OUTBOUND_LISTENER,
    address: socketAddress('0.0.0.0', workload.sidecar.outboundPort),
    traffic_direction: 'OUTBOUND',
    listener_filters: [ORIGINAL_DST],
    filter_chains: [
      ...destinations.map((d) => ({
        name: `${d.address}_${d.port}`,
        filter_chain_match: { destination_port: { value: d.port }, prefix_ranges: [hostPrefix(d.address)] },
        filters: [d.filter],
      })),
      // Not redirected (dialled as 127.0.0.1:<outbound port>): the explicit proxy, with the Host routes (RDS).
      { name: 'explicit', filter_chain_match: { destination_port: { value: workload.sidecar.outboundPort } }, filters: [build.explicitOutbound] },
    ],
    // Envoy's default chain, not a catch-all one: a call to 10.0.0.9:80 where a service also has port 80
    // narrows to that port's chains first and matches none; only the default chain still takes it.
    ...(passthrough ? { default_filter_chain: { name: PASSTHROUGH_CHAIN, filters: [tcpProxy(PASSTHROUGH_CHAIN, PASSTHROUGH_CLUSTER)] } } : {}),
  }), { scope: node, inputs: [destinations, workload.sidecar.outboundPort, passthrough] })];
  // A listener needs a chain: a workload that serves no port leaves 15006 unbound (refusing).
  if (build.inboundPorts.size > 0) listeners.push(memo.get(TypeUrl.Listener, VIRTUAL_INBOUND_LISTENER, () => ({
    name: VIRTUAL_INBOUND_LISTENER,
    address: socketAddress('0.0.0.0', CAPTURE_INBOUND_PORT),
    traffic_direction: 'INBOUND',
    listener_filters: [ORIGINAL_DST],
    filter_chains: [...build.inboundPorts].flatMap(([port, protocol]) => build.inboundChains(port, protocol).map((chain) => {
      const c = chain as { name: string; filter_chain_match?: object };
      return { ...c, name: `${port}_${c.name}`, filter_chain_match: { ...c.filter_chain_match, destination_port: { value: port } } };
    })),
  }), { scope: node }));
  return { listeners, clusters: passthrough ? [...clusters, memo.get(TypeUrl.Cluster, PASSTHROUGH_CLUSTER, passthroughCluster)] : clusters };
}
