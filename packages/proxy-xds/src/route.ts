import { FieldChecker, type RouteConfiguration } from '@trellis/xds';
import { durationMs, rejectUnsupported } from './supported';

interface RawRoute {
  name?: string;
  match?: Record<string, unknown> & { prefix?: string; path?: string; safe_regex?: { regex: string }; headers?: RawHeader[]; case_sensitive?: { value: boolean } };
  route?: Record<string, unknown> & {
    cluster?: string; weighted_clusters?: { clusters: { name: string; weight?: { value: number } }[] };
    timeout?: object; retry_policy?: { retry_on?: string; num_retries?: { value: number }; per_try_timeout?: object; retriable_status_codes?: number[] };
    prefix_rewrite?: string;
  };
  direct_response?: { status: number; body?: { inline_string?: string } };
}
interface RawHeader { name: string; string_match?: { exact?: string; prefix?: string; safe_regex?: { regex: string } }; present_match?: boolean; invert_match?: boolean }

function header(check: FieldChecker, h: RawHeader, at: string) {
  rejectUnsupported(check, h, ['name', 'string_match', 'present_match', 'invert_match', 'header_match_specifier'], at);
  rejectUnsupported(check, h.string_match, ['exact', 'prefix', 'safe_regex', 'match_pattern'], `${at}.string_match`);
  return {
    name: h.name,
    ...(h.string_match?.exact !== undefined ? { exact: h.string_match.exact } : {}),
    ...(h.string_match?.prefix !== undefined ? { prefix: h.string_match.prefix } : {}),
    ...(h.string_match?.safe_regex ? { safeRegex: h.string_match.safe_regex.regex } : {}),
    ...(h.present_match !== undefined ? { present: h.present_match } : {}),
    ...(h.invert_match ? { invert: true } : {}),
  };
}

function route(check: FieldChecker, r: RawRoute, at: string) {
  rejectUnsupported(check, r, ['name', 'match', 'route', 'direct_response', 'action'], at);
  const m = r.match ?? {};
  rejectUnsupported(check, m, ['prefix', 'path', 'safe_regex', 'headers', 'case_sensitive', 'path_specifier'], `${at}.match`);
  const match = {
    ...(m.prefix !== undefined ? { prefix: m.prefix } : {}),
    ...(m.path !== undefined ? { path: m.path } : {}),
    ...(m.safe_regex ? { safeRegex: m.safe_regex.regex } : {}),
    headers: (m.headers ?? []).map((h, i) => header(check, h, `${at}.match.headers[${i}]`)),
    caseSensitive: m.case_sensitive?.value ?? true,
  };
  if (r.direct_response) {
    return { name: r.name || at, match, directResponse: { status: r.direct_response.status, ...(r.direct_response.body?.inline_string ? { body: r.direct_response.body.inline_string } : {}) } };
  }
  const a = r.route!;
  rejectUnsupported(check, a, ['cluster', 'weighted_clusters', 'timeout', 'retry_policy', 'prefix_rewrite', 'cluster_specifier'], `${at}.route`);
  const retry = a.retry_policy;
  rejectUnsupported(check, retry, ['retry_on', 'num_retries', 'per_try_timeout', 'retriable_status_codes'], `${at}.route.retry_policy`);
  return {
    name: r.name || at,
    match,
    route: {
      ...(a.cluster ? { cluster: a.cluster } : {}),
      ...(a.weighted_clusters ? { weightedClusters: a.weighted_clusters.clusters.map((c) => ({ name: c.name, weight: c.weight?.value ?? 0 })) } : {}),
      // Envoy's default route timeout is 15 s; an explicit 0 disables it.
      timeoutMs: durationMs(a.timeout as never) ?? 15_000,
      ...(retry ? {
        retryPolicy: {
          retryOn: (retry.retry_on ?? '').split(',').map((s) => s.trim()).filter(Boolean),
          numRetries: retry.num_retries?.value ?? 1,
          ...(retry.per_try_timeout ? { perTryTimeoutMs: durationMs(retry.per_try_timeout as never) } : {}),
          ...(retry.retriable_status_codes?.length ? { retriableStatusCodes: retry.retriable_status_codes } : {}),
        },
      } : {}),
      ...(a.prefix_rewrite ? { prefixRewrite: a.prefix_rewrite } : {}),
    },
  };
}

/** `config` must be the message as sent (decoded without defaults). */
export function translateRouteConfiguration(check: FieldChecker, config: RouteConfiguration, at = '') {
  rejectUnsupported(check, config, ['name', 'virtual_hosts'], at);
  const prefix = at ? `${at}.` : '';
  return {
    name: config.name,
    virtualHosts: (config.virtual_hosts ?? []).map((v, i) => {
      const field = `${prefix}virtual_hosts[${i}]`;
      rejectUnsupported(check, v, ['name', 'domains', 'routes'], field);
      return { name: v.name, domains: v.domains, routes: (v.routes ?? []).map((r, j) => route(check, r as RawRoute, `${field}.routes[${j}]`)) };
    }),
  };
}
