export * from './config/model';
export { parseSnapshot, ConfigError } from './config/validate';
export { ConfigStore, ConfigView } from './config/store';
export { Proxy, ProxyOptions } from './proxy';
export type { FilterEnvironment, FilterFactory } from './filter-factories';
export { FilterRegistry, HttpFilter, HttpFilterFactory, HttpFilterContext, HttpResponseContext, FilterResult, LocalReply, PeerInfo } from './http/filter';
export { Headers } from './http/headers';
export { RESPONSE_FLAGS_HEADER } from './http/local-reply';
export { ConnectionDecision, ConnectionInfo, NetworkFilter, NetworkFilterFactory, NetworkFilterRegistry } from './network-filter';
