import { TypeUrl } from '../type-urls';
import { defineResourceType, FieldChecker } from './check';
import type { RouteConfiguration } from './envoy-types';

export function checkRouteConfiguration(check: FieldChecker, config: RouteConfiguration, prefix = ''): void {
  const domains = new Set<string>();
  config.virtual_hosts.forEach((vhost, v) => {
    const at = `${prefix}virtual_hosts[${v}]`;
    check.require(vhost.domains.length > 0, `${at}.domains`, 'must not be empty');
    for (const domain of vhost.domains) {
      check.require(!domains.has(domain.toLowerCase()), `${at}.domains`, `domain "${domain}" is already used by another virtual host`);
      domains.add(domain.toLowerCase());
    }
    vhost.routes.forEach((route, r) => {
      const field = `${at}.routes[${r}]`;
      check.require(route.match?.path_specifier, `${field}.match`, 'needs prefix, path, safe_regex or path_separated_prefix');
      if (route.match?.safe_regex) check.regex(route.match.safe_regex.regex, `${field}.match.safe_regex.regex`);
      check.require(route.action, field, 'needs route, redirect or direct_response');
      const action = route.route;
      if (route.action !== 'route' || !action) return;
      if (action.cluster_specifier === 'weighted_clusters') {
        const clusters = action.weighted_clusters?.clusters ?? [];
        check.require(clusters.length > 0, `${field}.route.weighted_clusters.clusters`, 'must not be empty');
        const total = clusters.reduce((sum, c) => sum + (c.weight?.value ?? 0), 0);
        check.require(total > 0, `${field}.route.weighted_clusters`, 'weights must add up to more than 0');
        clusters.forEach((c, i) => check.require(c.name, `${field}.route.weighted_clusters.clusters[${i}].name`, 'must not be empty'));
      } else {
        check.require(action.cluster_specifier === 'cluster' && action.cluster, `${field}.route`, 'needs cluster or weighted_clusters');
      }
    });
  });
}

export const routeConfigurationResourceType = defineResourceType<RouteConfiguration>(TypeUrl.RouteConfiguration, 'name', (config, check) => {
  checkRouteConfiguration(check, config);
  return config;
});
