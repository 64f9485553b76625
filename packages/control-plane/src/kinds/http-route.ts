import {
  DiagnosticSink, decodeEnvelope, decodeInteger, decodeList, decodeObject, decodePort, decodeString, type ValidationResult,
} from '@trellis/objects';
import type { HttpRoute, HttpRouteMatch, HttpRouteRule } from '../model/mesh';

export const GATEWAY_API_VERSIONS = ['gateway.networking.k8s.io/v1', 'gateway.networking.k8s.io/v1beta1'] as const;
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'];

function decodeMatch(raw: unknown, field: string, sink: DiagnosticSink): HttpRouteMatch | undefined {
  const match = decodeObject(raw, field, sink, ['path', 'headers', 'method', 'queryParams']);
  if (!match) return undefined;
  if (match['queryParams'] !== undefined) sink.error(`${field}.queryParams`, 'query parameter matches are not supported yet');
  const path = decodeObject(match['path'], `${field}.path`, sink, ['type', 'value']) ?? {};
  const type = decodeString(path['type'], `${field}.path.type`, sink) ?? 'PathPrefix';
  if (!['PathPrefix', 'Exact', 'RegularExpression'].includes(type)) sink.error(`${field}.path.type`, `"${type}" is not PathPrefix, Exact or RegularExpression`);
  const value = decodeString(path['value'], `${field}.path.value`, sink) ?? '/';
  if (type !== 'RegularExpression' && !value.startsWith('/')) sink.error(`${field}.path.value`, `"${value}" must start with /`);
  const method = decodeString(match['method'], `${field}.method`, sink);
  if (method !== undefined && !METHODS.includes(method)) sink.error(`${field}.method`, `"${method}" is not one of ${METHODS.join(', ')}`);
  const headers = decodeList(match['headers'], `${field}.headers`, sink).flatMap((h, i) => {
    const header = decodeObject(h, `${field}.headers[${i}]`, sink, ['type', 'name', 'value']);
    const name = decodeString(header?.['name'], `${field}.headers[${i}].name`, sink);
    const headerValue = decodeString(header?.['value'], `${field}.headers[${i}].value`, sink);
    const headerType = decodeString(header?.['type'], `${field}.headers[${i}].type`, sink) ?? 'Exact';
    if (headerType !== 'Exact' && headerType !== 'RegularExpression') sink.error(`${field}.headers[${i}].type`, `"${headerType}" is not Exact or RegularExpression`);
    return name && headerValue !== undefined ? [{ name: name.toLowerCase(), value: headerValue, regex: headerType === 'RegularExpression' }] : [];
  });
  return { pathType: type as HttpRouteMatch['pathType'], path: value, ...(method ? { method } : {}), headers };
}

/**
 * A Gateway API HTTPRoute attached to a Service (GAMMA, the mesh profile): its rules
 * replace the Service's default route; backendRefs split traffic by weight.
 */
export function decodeHttpRoute(input: unknown, defaultNamespace?: string): ValidationResult<HttpRoute> {
  const sink = new DiagnosticSink('HTTPRoute');
  const envelope = decodeEnvelope(input, sink, { kind: 'HTTPRoute', apiVersions: GATEWAY_API_VERSIONS, ...(defaultNamespace ? { defaultNamespace } : {}) });
  if (!envelope) return sink.failed();
  const { namespace } = envelope.metadata;
  const spec = decodeObject(envelope.spec, 'spec', sink, ['parentRefs', 'hostnames', 'rules']) ?? {};
  if (spec['hostnames'] !== undefined) sink.warn('spec.hostnames', 'ignored for routes attached to a Service');
  const parents = decodeList(spec['parentRefs'], 'spec.parentRefs', sink).flatMap((p, i) => {
    const at = `spec.parentRefs[${i}]`;
    const ref = decodeObject(p, at, sink, ['group', 'kind', 'name', 'namespace', 'port', 'sectionName']);
    if (!ref) return [];
    if ((ref['kind'] ?? 'Gateway') !== 'Service' || (ref['group'] ?? 'gateway.networking.k8s.io') !== '') {
      sink.error(at, 'only Service parents (group "", kind Service) are supported: this is a mesh, not a gateway');
      return [];
    }
    const name = decodeString(ref['name'], `${at}.name`, sink);
    const port = decodePort(ref['port'], `${at}.port`, sink);
    return name ? [{ namespace: decodeString(ref['namespace'], `${at}.namespace`, sink) ?? namespace, service: name, ...(port ? { port } : {}) }] : [];
  });
  if (parents.length === 0) sink.error('spec.parentRefs', 'needs at least one Service');
  const rules: HttpRouteRule[] = decodeList(spec['rules'], 'spec.rules', sink).map((r, i) => {
    const at = `spec.rules[${i}]`;
    const rule = decodeObject(r, at, sink, ['matches', 'backendRefs', 'timeouts', 'filters', 'name']) ?? {};
    if (rule['filters'] !== undefined) sink.error(`${at}.filters`, 'route filters are not supported yet');
    const matches = decodeList(rule['matches'], `${at}.matches`, sink).map((m, j) => decodeMatch(m, `${at}.matches[${j}]`, sink)).filter((m): m is HttpRouteMatch => !!m);
    const backends = decodeList(rule['backendRefs'], `${at}.backendRefs`, sink).flatMap((b, j) => {
      const field = `${at}.backendRefs[${j}]`;
      const ref = decodeObject(b, field, sink, ['group', 'kind', 'name', 'namespace', 'port', 'weight']);
      if (!ref) return [];
      if ((ref['kind'] ?? 'Service') !== 'Service') sink.error(`${field}.kind`, 'only Service backends are supported');
      const name = decodeString(ref['name'], `${field}.name`, sink);
      const port = decodePort(ref['port'], `${field}.port`, sink);
      if (ref['port'] === undefined) sink.error(`${field}.port`, 'is required for Service backends');
      const weight = decodeInteger(ref['weight'], `${field}.weight`, sink, 0, 1_000_000) ?? 1;
      return name && port ? [{ namespace: decodeString(ref['namespace'], `${field}.namespace`, sink) ?? namespace, service: name, port, weight }] : [];
    });
    if (backends.length > 0 && backends.every((b) => b.weight === 0)) sink.warn(`${at}.backendRefs`, 'every weight is 0: matching requests get 500, as the Gateway API specifies');
    const timeouts = decodeObject(rule['timeouts'], `${at}.timeouts`, sink, ['request', 'backendRequest']);
    const request = decodeString(timeouts?.['request'], `${at}.timeouts.request`, sink);
    const timeoutMs = request === undefined ? undefined : durationMs(request, `${at}.timeouts.request`, sink);
    return { matches: matches.length ? matches : [{ pathType: 'PathPrefix', path: '/', headers: [] }], backends, ...(timeoutMs === undefined ? {} : { timeoutMs }) };
  });
  return sink.result({ namespace, name: envelope.metadata.name, ...(envelope.metadata.creationTimestamp ? { creationTimestamp: envelope.metadata.creationTimestamp } : {}), parents, rules });
}

/** Gateway API durations: `10s`, `500ms`, `1h2m`. */
function durationMs(value: string, field: string, sink: DiagnosticSink): number | undefined {
  const parts = /^(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?(?:(\d+)ms)?$/.exec(value);
  if (!parts || value === '') {
    sink.error(field, `"${value}" is not a duration like 10s or 500ms`);
    return undefined;
  }
  const [, h = '0', m = '0', s = '0', ms = '0'] = parts;
  return ((Number(h) * 60 + Number(m)) * 60 + Number(s)) * 1000 + Number(ms);
}
