import type { HttpFilterFactory } from '@trellis/proxy';
import { HTTP_RBAC_TYPE_URL, rbacFilterFactory } from './rbac';

export { rbacFilterFactory, DENIED_BY_HEADER, HTTP_RBAC_TYPE_URL, RBAC_METADATA_KEY, type RbacDecisionRecord } from './rbac';

/** The filters a sidecar registers, keyed by their typed_config type URL. */
export const STANDARD_HTTP_FILTERS: { typeUrl: string; factory: HttpFilterFactory }[] = [
  { typeUrl: HTTP_RBAC_TYPE_URL, factory: rbacFilterFactory },
];
