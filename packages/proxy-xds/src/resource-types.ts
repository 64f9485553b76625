import {
  FieldChecker, clusterLoadAssignmentResourceType, clusterResourceType, listenerResourceType, routeConfigurationResourceType, secretResourceType,
  unpackAny, type AnyMessage, type Cluster, type ClusterLoadAssignment, type Listener, type ResourceType, type RouteConfiguration, type Secret,
} from '@trellis/xds';
import { translateCluster } from './cluster';
import { translateEndpoints } from './endpoints';
import { translateListener } from './listener';
import { translateRouteConfiguration } from './route';
import { translateSecret } from './secret';

export interface ProxyResources {
  listener: ReturnType<typeof translateListener>;
  route: ReturnType<typeof translateRouteConfiguration>;
  cluster: ReturnType<typeof translateCluster>;
  endpoints: ReturnType<typeof translateEndpoints>;
  secret: ReturnType<typeof translateSecret>;
}

/**
 * The sidecar's validators: the generic structural checks of @trellis/xds first,
 * then translation into the proxy's config, which NACKs (throws, naming the field)
 * anything the proxy would otherwise have to ignore.
 */
function proxyType<E, T>(base: ResourceType<unknown>, kind: string, translate: (check: FieldChecker, sent: E, validated: unknown) => T): ResourceType<T> {
  return {
    typeUrl: base.typeUrl,
    decode(any: AnyMessage) {
      const { name, value } = base.decode(any);
      const check = new FieldChecker(`${kind} "${name}"`);
      return { name, value: translate(check, unpackAny<E>(any, { defaults: false }), value) };
    },
  };
}

export const proxyListenerType = proxyType<Listener, ProxyResources['listener']>(listenerResourceType, 'Listener', (check, sent) => translateListener(check, sent));
export const proxyRouteType = proxyType<RouteConfiguration, ProxyResources['route']>(routeConfigurationResourceType, 'RouteConfiguration', (check, sent) => translateRouteConfiguration(check, sent));
export const proxyClusterType = proxyType<Cluster, ProxyResources['cluster']>(clusterResourceType, 'Cluster', (check, sent) => translateCluster(check, sent));
export const proxyEndpointsType = proxyType<ClusterLoadAssignment, ProxyResources['endpoints']>(clusterLoadAssignmentResourceType, 'ClusterLoadAssignment', (check, sent) => translateEndpoints(check, sent));
export const proxySecretType = proxyType<Secret, ProxyResources['secret']>(secretResourceType, 'Secret', (check, _sent, validated) => translateSecret(check, validated as Secret));

export const PROXY_RESOURCE_TYPES: ResourceType<unknown>[] = [proxySecretType, proxyClusterType, proxyEndpointsType, proxyListenerType, proxyRouteType];
