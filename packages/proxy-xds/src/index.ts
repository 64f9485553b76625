export { PROXY_RESOURCE_TYPES, proxyClusterType, proxyEndpointsType, proxyListenerType, proxyRouteType, proxySecretType, type ProxyResources } from './resource-types';
export { translateCluster } from './cluster';
export { translateEndpoints } from './endpoints';
export { translateListener } from './listener';
export { translateRouteConfiguration } from './route';
export { translateSecret } from './secret';
export { XdsProxyConfig, type XdsProxyConfigEvents, type XdsProxyConfigOptions } from './xds-config';
