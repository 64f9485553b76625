// Route selection, Envoy style: pick the virtual host by Host/:authority (exact, then
// suffix wildcard, then prefix wildcard, then `*`), then the first route whose path and
// header matchers all match.
import { HeaderMatcher, Route, RouteConfiguration, VirtualHost, WeightedCluster } from '../config/model';
import { Headers } from './headers';

const regexCache = new Map<string, RegExp>();

function regex(pattern: string, flags = ''): RegExp {
  const key = flags + '/' + pattern;
  let re = regexCache.get(key);
  if (!re) {
    // Envoy's safe_regex matches the whole string.
    re = new RegExp(`^(?:${pattern})$`, flags);
    regexCache.set(key, re);
  }
  return re;
}

function hostWithoutPort(authority: string): string {
  const host = authority.toLowerCase();
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  const colon = host.lastIndexOf(':');
  return colon >= 0 ? host.slice(0, colon) : host;
}

/** Virtual host per authority, per route configuration (configs are immutable, so this never goes stale). */
const vhostCache = new WeakMap<RouteConfiguration, Map<string, VirtualHost | undefined>>();
const VHOST_CACHE_LIMIT = 1024;

export function selectVirtualHost(config: RouteConfiguration, authority: string): VirtualHost | undefined {
  let cache = vhostCache.get(config);
  if (!cache) vhostCache.set(config, (cache = new Map()));
  if (cache.has(authority)) return cache.get(authority);
  const vh = findVirtualHost(config, authority);
  // Authorities are client-chosen: bound the cache so random Host headers cannot grow it.
  if (cache.size < VHOST_CACHE_LIMIT) cache.set(authority, vh);
  return vh;
}

function findVirtualHost(config: RouteConfiguration, authority: string): VirtualHost | undefined {
  const host = hostWithoutPort(authority);
  const full = authority.toLowerCase();
  let best: VirtualHost | undefined;
  let bestRank = 0;
  for (const vh of config.virtualHosts) {
    for (const d of vh.domains) {
      let rank = 0;
      if (d === host || d === full) rank = 4000;
      else if (d.startsWith('*') && d !== '*' && host.endsWith(d.slice(1))) rank = 3000 + d.length;
      else if (d.endsWith('*') && d !== '*' && host.startsWith(d.slice(0, -1))) rank = 2000 + d.length;
      else if (d === '*') rank = 1;
      if (rank > bestRank) {
        best = vh;
        bestRank = rank;
      }
    }
  }
  return best;
}

function headerMatches(m: HeaderMatcher, headers: Headers): boolean {
  const v = headers.get(m.name);
  let ok: boolean;
  if (m.present !== undefined) ok = (v !== undefined) === m.present;
  else if (v === undefined) ok = false;
  else if (m.exact !== undefined) ok = v === m.exact;
  else if (m.prefix !== undefined) ok = v.startsWith(m.prefix);
  else ok = regex(m.safeRegex as string).test(v);
  return m.invert ? !ok : ok;
}

function pathMatches(route: Route, path: string): boolean {
  const q = path.indexOf('?');
  const p = q < 0 ? path : path.slice(0, q);
  const { match } = route;
  const ci = !match.caseSensitive;
  if (match.prefix !== undefined) return ci ? p.toLowerCase().startsWith(match.prefix.toLowerCase()) : p.startsWith(match.prefix);
  if (match.path !== undefined) return ci ? p.toLowerCase() === match.path.toLowerCase() : p === match.path;
  return regex(match.safeRegex as string, ci ? 'i' : '').test(p);
}

export function selectRoute(config: RouteConfiguration, authority: string, path: string, headers: Headers): Route | undefined {
  const vh = selectVirtualHost(config, authority);
  if (!vh) return undefined;
  return vh.routes.find((r) => pathMatches(r, path) && r.match.headers.every((m) => headerMatches(m, headers)));
}

/** Weighted pick; `roll` in [0, 1) is injectable so tests are deterministic. */
export function pickWeighted(clusters: WeightedCluster[], roll = Math.random()): string {
  let total = 0;
  for (const c of clusters) total += c.weight;
  let point = roll * total;
  for (const c of clusters) {
    if (point < c.weight) return c.name;
    point -= c.weight;
  }
  return clusters[clusters.length - 1].name;
}

/** Apply prefix_rewrite: replace the matched prefix, keep the rest (including the query). */
export function rewritePath(route: Route, path: string): string {
  const rewrite = route.route?.prefixRewrite;
  const prefix = route.match.prefix;
  if (rewrite === undefined || prefix === undefined) return path;
  return rewrite + path.slice(prefix.length);
}
