import { unpackAny } from '../any';
import { TypeUrl } from '../type-urls';
import { defineResourceType, FieldChecker } from './check';
import type { FilterChain, HttpConnectionManager, Listener } from './envoy-types';

export const HTTP_CONNECTION_MANAGER_TYPE = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const ROUTER_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';

export interface ValidatedListener {
  listener: Listener;
  /** Decoded HTTP connection managers by `filter_chains[i]` index (`-1` for the api_listener, `-2` for the default chain). */
  httpConnectionManagers: Map<number, HttpConnectionManager>;
}

function checkHcm(check: FieldChecker, any: { type_url: string; value: Buffer }, field: string): HttpConnectionManager {
  const hcm = unpackAny<HttpConnectionManager>(any);
  if (hcm.route_specifier === 'rds') {
    check.require(hcm.rds?.route_config_name, `${field}.rds.route_config_name`, 'must not be empty');
    check.adsSource(hcm.rds?.config_source, `${field}.rds.config_source`);
  } else {
    check.require(hcm.route_specifier === 'route_config', field, 'needs rds or an inline route_config');
  }
  check.require(hcm.http_filters.length > 0, `${field}.http_filters`, 'must end with the router filter');
  hcm.http_filters.forEach((filter, i) => {
    const at = `${field}.http_filters[${i}]`;
    check.require(filter.name, `${at}.name`, 'must not be empty');
    const isLast = i === hcm.http_filters.length - 1;
    const isRouter = filter.typed_config?.type_url === ROUTER_TYPE;
    check.require(isRouter === isLast, at, isLast ? 'the last HTTP filter must be the router' : 'the router must be the last HTTP filter');
  });
  return hcm;
}

function checkChain(check: FieldChecker, chain: FilterChain, field: string, hcms: Map<number, HttpConnectionManager>, key: number): void {
  check.require(chain.filters.length > 0, `${field}.filters`, 'a filter chain needs at least one network filter');
  chain.filters.forEach((filter, i) => {
    const at = `${field}.filters[${i}]`;
    check.require(filter.typed_config, `${at}.typed_config`, 'is required');
    if (filter.typed_config!.type_url === HTTP_CONNECTION_MANAGER_TYPE) {
      check.require(i === chain.filters.length - 1, at, 'the HTTP connection manager must be the last network filter');
      hcms.set(key, checkHcm(check, filter.typed_config!, `${at}.typed_config`));
    }
  });
}

export const listenerResourceType = defineResourceType<Listener, ValidatedListener>(TypeUrl.Listener, 'name', (listener, check) => {
  const httpConnectionManagers = new Map<number, HttpConnectionManager>();
  if (listener.api_listener?.api_listener) {
    const inner = listener.api_listener.api_listener;
    check.require(inner.type_url === HTTP_CONNECTION_MANAGER_TYPE, 'api_listener.api_listener', `unsupported type ${inner.type_url}`);
    httpConnectionManagers.set(-1, checkHcm(check, inner, 'api_listener.api_listener'));
    return { listener, httpConnectionManagers };
  }
  const socket = listener.address?.socket_address;
  check.require(socket, 'address.socket_address', 'a listener needs a socket address or an api_listener');
  check.port(socket!.port_value, 'address.socket_address.port_value');
  check.require(listener.filter_chains.length > 0 || listener.default_filter_chain, 'filter_chains', 'a listener needs at least one filter chain');
  const matches = new Set<string>();
  listener.filter_chains.forEach((chain, i) => {
    const key = JSON.stringify(chain.filter_chain_match ?? {});
    check.require(!matches.has(key), `filter_chains[${i}].filter_chain_match`, 'duplicates an earlier chain\'s match');
    matches.add(key);
    checkChain(check, chain, `filter_chains[${i}]`, httpConnectionManagers, i);
  });
  if (listener.default_filter_chain) checkChain(check, listener.default_filter_chain, 'default_filter_chain', httpConnectionManagers, -2);
  return { listener, httpConnectionManagers };
});
