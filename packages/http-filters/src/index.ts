import type { HttpFilterFactory, NetworkFilterFactory } from '@trellis/proxy';
import { NETWORK_RBAC_TYPE_URL, networkRbacFilterFactory } from './network-rbac';
import { HTTP_RBAC_TYPE_URL, rbacFilterFactory } from './rbac';
import { OPENAPI_TYPE_URL, openApiFilterFactory } from './openapi';
import { WAF_TYPE_URL, wafFilterFactory } from './waf';

export { wafFilterFactory, WAF_BLOCKED_BY_HEADER, WAF_ERROR_HEADER, WAF_METADATA_KEY, WAF_TYPE_URL, type WafAuditEvent, type WafFilterConfig } from './waf';
export {
  openApiFilterFactory, OPENAPI_METADATA_KEY, OPENAPI_REASON_HEADER, OPENAPI_TYPE_URL, type OpenApiAuditEvent, type OpenApiFilterConfig,
} from './openapi';
export { networkRbacFilterFactory, NETWORK_RBAC_TYPE_URL } from './network-rbac';
export { rbacFilterFactory, DENIED_BY_HEADER, HTTP_RBAC_TYPE_URL, RBAC_METADATA_KEY, type RbacDecisionRecord } from './rbac';

/** The filters a sidecar registers, keyed by their typed_config type URL. */
export const STANDARD_HTTP_FILTERS: { typeUrl: string; factory: HttpFilterFactory }[] = [
  { typeUrl: HTTP_RBAC_TYPE_URL, factory: rbacFilterFactory },
  { typeUrl: WAF_TYPE_URL, factory: wafFilterFactory },
  { typeUrl: OPENAPI_TYPE_URL, factory: openApiFilterFactory },
];

/** The network filters a sidecar registers ahead of tcp_proxy or the HTTP connection manager. */
export const STANDARD_NETWORK_FILTERS: { typeUrl: string; factory: NetworkFilterFactory }[] = [
  { typeUrl: NETWORK_RBAC_TYPE_URL, factory: networkRbacFilterFactory },
];
