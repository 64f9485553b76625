import { contentVersion, packAny, unpackAny, type AnyMessage } from '../any';
import { TypeUrl } from '../type-urls';
import type { Resource } from './cache';

/** All the resources of one type that a node should hold, with the type's version. */
export interface TypeSnapshot {
  version: string;
  resources: ReadonlyMap<string, Resource>;
}

export interface ResourceInput {
  name: string;
  /** A plain object with proto field names (nested Anys as `{ '@type': … }`), or an encoded Any. */
  message: object | AnyMessage;
}

function isAny(value: object | AnyMessage): value is AnyMessage {
  return typeof (value as AnyMessage).type_url === 'string' && Buffer.isBuffer((value as AnyMessage).value);
}

export function makeResource(typeUrl: string, input: ResourceInput): Resource {
  const any = isAny(input.message) ? input.message : packAny(typeUrl, input.message);
  if (any.type_url !== typeUrl) throw new Error(`resource ${input.name}: type ${any.type_url} where ${typeUrl} was expected`);
  return { name: input.name, typeUrl, any, version: contentVersion(any) };
}

/**
 * An immutable set of typed resources for one node. Each type carries its own
 * version, so a push of new endpoints leaves listeners, routes and clusters alone.
 */
export class Snapshot {
  /** Snapshots are immutable and often shared by many nodes: check them once. */
  private consistency: string[] | undefined;

  private constructor(private readonly byType: ReadonlyMap<string, TypeSnapshot>) {}

  /**
   * Build a snapshot. A type's version is given, or derived from its content so
   * that rebuilding an unchanged type yields the same version (nothing is pushed).
   * Given the `previous` snapshot, a type whose resources are the very objects it
   * held is taken over as it is (no hashing); if every type is, `previous` is returned.
   */
  static create(types: Record<string, { version?: string; resources: (ResourceInput | Resource)[] }>, previous?: Snapshot): Snapshot {
    const byType = new Map<string, TypeSnapshot>();
    let reused = 0;
    for (const [typeUrl, { version, resources }] of Object.entries(types)) {
      const held = previous?.byType.get(typeUrl);
      if (held && version === undefined && holdsExactly(held, resources)) {
        byType.set(typeUrl, held);
        reused++;
        continue;
      }
      const map = new Map<string, Resource>();
      for (const input of resources) {
        const resource = 'any' in input && 'version' in input ? (input as Resource) : makeResource(typeUrl, input as ResourceInput);
        if (map.has(resource.name)) throw new Error(`snapshot: duplicate ${typeUrl} resource "${resource.name}"`);
        map.set(resource.name, resource);
      }
      byType.set(typeUrl, { version: version ?? derivedVersion(map), resources: map });
    }
    if (previous && reused === byType.size && reused === previous.byType.size) return previous;
    return new Snapshot(byType);
  }

  /** A copy with one type replaced (e.g. only endpoints changed). */
  withType(typeUrl: string, resources: (ResourceInput | Resource)[], version?: string): Snapshot {
    const next = Snapshot.create({ [typeUrl]: { resources, ...(version === undefined ? {} : { version }) } });
    const byType = new Map(this.byType);
    byType.set(typeUrl, next.byType.get(typeUrl)!);
    return new Snapshot(byType);
  }

  typeUrls(): string[] {
    return [...this.byType.keys()];
  }

  get(typeUrl: string): TypeSnapshot | undefined {
    return this.byType.get(typeUrl);
  }

  version(typeUrl: string): string {
    return this.byType.get(typeUrl)?.version ?? '';
  }

  /**
   * go-control-plane's consistency rule: every route configuration is named by a
   * listener and every endpoint assignment by a cluster, and the other way round.
   * Returns the problems; an empty list means the snapshot is safe to push.
   */
  consistencyErrors(): string[] {
    this.consistency ??= this.findInconsistencies();
    return [...this.consistency];
  }

  private findInconsistencies(): string[] {
    const errors: string[] = [];
    const routeRefs = new Set<string>();
    for (const listener of this.byType.get(TypeUrl.Listener)?.resources.values() ?? []) {
      for (const name of routeConfigNamesOf(listener)) routeRefs.add(name);
    }
    const endpointRefs = new Set<string>();
    for (const cluster of this.byType.get(TypeUrl.Cluster)?.resources.values() ?? []) {
      const name = edsServiceNameOf(cluster);
      if (name !== undefined) endpointRefs.add(name);
    }
    errors.push(...mismatches('route configuration', routeRefs, this.byType.get(TypeUrl.RouteConfiguration), 'listener'));
    errors.push(...mismatches('cluster load assignment', endpointRefs, this.byType.get(TypeUrl.ClusterLoadAssignment), 'cluster'));
    return errors;
  }
}

/** Whether a type's new resources are, one for one, the objects it already holds (so its version stands). */
function holdsExactly(held: TypeSnapshot, resources: (ResourceInput | Resource)[]): boolean {
  return resources.length === held.resources.size && resources.every((r) => held.resources.get(r.name) === r);
}

function mismatches(kind: string, referenced: Set<string>, present: TypeSnapshot | undefined, referrer: string): string[] {
  const errors: string[] = [];
  const names = new Set(present?.resources.keys() ?? []);
  for (const name of referenced) if (!names.has(name)) errors.push(`${kind} "${name}" is referenced by a ${referrer} but missing`);
  for (const name of names) if (!referenced.has(name)) errors.push(`${kind} "${name}" is not referenced by any ${referrer}`);
  return errors;
}

function derivedVersion(resources: ReadonlyMap<string, Resource>): string {
  const parts = [...resources.values()].map((r) => `${r.name}=${r.version}`).sort();
  return contentVersion({ type_url: 'snapshot', value: Buffer.from(parts.join('\n')) });
}

const HCM_TYPE = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';

interface HcmLike { rds?: { route_config_name?: string } }
interface FilterLike { typed_config?: AnyMessage }
interface ListenerLike {
  api_listener?: { api_listener?: AnyMessage };
  filter_chains?: { filters?: FilterLike[] }[];
  default_filter_chain?: { filters?: FilterLike[] };
}

/** Resources are immutable and shared by many snapshots: decode each one's references once. */
const referencesOf = new WeakMap<Resource, string[] | string | undefined>();

function memoized<T extends string[] | string | undefined>(resource: Resource, compute: (r: Resource) => T): T {
  if (!referencesOf.has(resource)) referencesOf.set(resource, compute(resource));
  return referencesOf.get(resource) as T;
}

/** RDS names a listener refers to, from its HTTP connection managers (sidecar or api_listener form). */
export function routeConfigNamesOf(listener: Resource): string[] {
  return memoized(listener, decodeRouteConfigNames);
}

function decodeRouteConfigNames(listener: Resource): string[] {
  const decoded = unpackAny<ListenerLike>(listener.any, { defaults: false });
  const hcms: AnyMessage[] = [];
  if (decoded.api_listener?.api_listener) hcms.push(decoded.api_listener.api_listener);
  const chains = [...(decoded.filter_chains ?? []), ...(decoded.default_filter_chain ? [decoded.default_filter_chain] : [])];
  for (const chain of chains) {
    for (const filter of chain.filters ?? []) if (filter.typed_config) hcms.push(filter.typed_config);
  }
  return hcms
    .filter((any) => any.type_url === HCM_TYPE)
    .map((any) => unpackAny<HcmLike>(any, { defaults: false }).rds?.route_config_name)
    .filter((name): name is string => !!name);
}

interface ClusterLike { name: string; type?: string; eds_cluster_config?: { service_name?: string } }

/** The EDS name a cluster asks for, or undefined for non-EDS clusters. */
export function edsServiceNameOf(cluster: Resource): string | undefined {
  return memoized(cluster, decodeEdsServiceName);
}

function decodeEdsServiceName(cluster: Resource): string | undefined {
  const decoded = unpackAny<ClusterLike>(cluster.any, { defaults: false });
  if (decoded.type !== 'EDS') return undefined;
  return decoded.eds_cluster_config?.service_name || decoded.name;
}
