import type { ValidationResult } from '@trellis/objects';
import { validateAuthorizationPolicy, validatePeerAuthentication } from '@trellis/policy';
import { typeOf } from '@trellis/objects';
import type { MeshModel } from '../model/mesh';
import { decodeConfigMap } from './config-map';
import { decodeHttpRoute, GATEWAY_API_VERSIONS } from './http-route';
import { decodeService } from './service';
import { decodeWafPolicy } from './waf-policy';
import { decodeWorkloadEntry, NETWORKING_API_VERSIONS } from './workload-entry';

type Collection = keyof MeshModel;

interface KindEntry {
  apiGroups: readonly string[];
  collection: Collection;
  decode(input: unknown, defaultNamespace?: string): ValidationResult<unknown>;
}

const SECURITY_GROUPS = ['security.trellis.dev', 'security.istio.io'];

/** What each (group, kind) decodes into: one line per kind the mesh understands. */
const KINDS: Record<string, KindEntry> = {
  Service: { apiGroups: [''], collection: 'services', decode: decodeService },
  WorkloadEntry: { apiGroups: NETWORKING_API_VERSIONS.map((v) => v.split('/')[0]!), collection: 'workloads', decode: decodeWorkloadEntry },
  AuthorizationPolicy: { apiGroups: SECURITY_GROUPS, collection: 'authorizationPolicies', decode: withNamespace(validateAuthorizationPolicy) },
  PeerAuthentication: { apiGroups: SECURITY_GROUPS, collection: 'peerAuthentications', decode: withNamespace(validatePeerAuthentication) },
  WafPolicy: { apiGroups: ['security.trellis.dev'], collection: 'wafPolicies', decode: decodeWafPolicy },
  HTTPRoute: { apiGroups: GATEWAY_API_VERSIONS.map((v) => v.split('/')[0]!), collection: 'httpRoutes', decode: decodeHttpRoute },
  ConfigMap: { apiGroups: [''], collection: 'configMaps', decode: decodeConfigMap },
};

/** Policy kinds require metadata.namespace; like kubectl, fill in the default first. */
function withNamespace(validate: (input: unknown) => ValidationResult<unknown>) {
  return (input: unknown, defaultNamespace?: string) => {
    const object = input as { metadata?: { namespace?: string } };
    if (defaultNamespace && object?.metadata && typeof object.metadata === 'object' && object.metadata.namespace === undefined) {
      return validate({ ...object, metadata: { ...object.metadata, namespace: defaultNamespace } });
    }
    return validate(input);
  };
}

export type DecodedDocument =
  | { collection: Collection; result: ValidationResult<unknown> }
  | { unknownKind: string };

export function decodeDocument(input: unknown, defaultNamespace?: string): DecodedDocument {
  const type = typeOf(input);
  if (!type) return { unknownKind: 'a document without apiVersion and kind' };
  const entry = KINDS[type.kind];
  const group = type.apiVersion.includes('/') ? type.apiVersion.split('/')[0]! : '';
  if (!entry || !entry.apiGroups.includes(group)) return { unknownKind: `${type.apiVersion} ${type.kind}` };
  return { collection: entry.collection, result: entry.decode(input, defaultNamespace) };
}

export function supportedKinds(): string[] {
  return Object.keys(KINDS);
}
