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
 * The type snapshot each resource list became. Many nodes are handed the very same list (every
 * proxy of one scope gets its scope's endpoints), so it is mapped and hashed once, not per node.
 * Lists given to `Snapshot.create` are treated as immutable from then on.
 */
const builtFrom = new WeakMap<readonly (ResourceInput | Resource)[], TypeSnapshot>();

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
  static create(types: Record<string, { version?: string; resources: readonly (ResourceInput | Resource)[] }>, previous?: Snapshot): Snapshot {
    const byType = new Map<string, TypeSnapshot>();
    let reused = 0;
    for (const [typeUrl, { version, resources }] of Object.entries(types)) {
      const held = previous?.byType.get(typeUrl);
      const built = version === undefined ? builtFrom.get(resources) : undefined;
      if (built) {
        byType.set(typeUrl, built);
        if (built === held) reused++;
        continue;
      }
      if (held && version === undefined && holdsExactly(held, resources)) {
        byType.set(typeUrl, held);
        builtFrom.set(resources, held);
        reused++;
        continue;
      }
      const map = new Map<string, Resource>();
      for (const input of resources) {
        const resource = 'any' in input && 'version' in input ? (input as Resource) : makeResource(typeUrl, input as ResourceInput);
        if (map.has(resource.name)) throw new Error(`snapshot: duplicate ${typeUrl} resource "${resource.name}"`);
        map.set(resource.name, resource);
      }
      const typeSnapshot = { version: version ?? derivedVersion(map), resources: map };
      byType.set(typeUrl, typeSnapshot);
      if (version === undefined) builtFrom.set(resources, typeSnapshot);
    }
    if (previous && reused === byType.size && reused === previous.byType.size) return previous;
    return new Snapshot(byType);
  }

  /** A copy with one type replaced (e.g. only endpoints changed). */
  withType(typeUrl: string, resources: readonly (ResourceInput | Resource)[], version?: string): Snapshot {
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
    return [
      ...mismatches('route configuration', referencesIn(this.byType.get(TypeUrl.Listener), routeConfigNamesOf), this.byType.get(TypeUrl.RouteConfiguration), 'listener'),
      ...mismatches('cluster load assignment', referencesIn(this.byType.get(TypeUrl.Cluster), edsServiceNameOf), this.byType.get(TypeUrl.ClusterLoadAssignment), 'cluster'),
    ];
  }
}

/** Whether a type's new resources are, one for one, the objects it already holds (so its version stands). */
function holdsExactly(held: TypeSnapshot, resources: readonly (ResourceInput | Resource)[]): boolean {
  return resources.length === held.resources.size && resources.every((r) => held.resources.get(r.name) === r);
}

/** Type snapshots outlive most snapshots that hold them (an endpoint change keeps a node's clusters): collect their references once. */
const referencesByType = new WeakMap<TypeSnapshot, ReadonlySet<string>>();

function referencesIn(referrers: TypeSnapshot | undefined, namesOf: (resource: Resource) => string[] | string | undefined): ReadonlySet<string> {
  if (!referrers) return new Set();
  let names = referencesByType.get(referrers);
  if (!names) {
    const collected = new Set<string>();
    for (const resource of referrers.resources.values()) {
      const referenced = namesOf(resource);
      if (typeof referenced === 'string') collected.add(referenced);
      else for (const name of referenced ?? []) collected.add(name);
    }
    referencesByType.set(referrers, (names = collected));
  }
  return names;
}

/** A type snapshot's resource names as one string: equal keys, equal sets of names. */
const nameKeys = new WeakMap<TypeSnapshot, string>();

function nameKeyOf(present: TypeSnapshot | undefined): string {
  if (!present) return '';
  let key = nameKeys.get(present);
  if (key === undefined) nameKeys.set(present, (key = [...present.resources.keys()].sort().join('\n')));
  return key;
}

/**
 * The last check of each reference set. A node's clusters usually outlive its endpoints (an
 * endpoint change replaces the endpoints' type snapshot, not their names): then the answer stands.
 */
const lastChecks = new WeakMap<ReadonlySet<string>, { names: string; errors: string[] }>();

function mismatches(kind: string, referenced: ReadonlySet<string>, present: TypeSnapshot | undefined, referrer: string): string[] {
  const names = nameKeyOf(present);
  const last = lastChecks.get(referenced);
  if (last?.names === names) return last.errors;
  const errors: string[] = [];
  const held = present?.resources ?? new Map<string, Resource>();
  for (const name of referenced) if (!held.has(name)) errors.push(`${kind} "${name}" is referenced by a ${referrer} but missing`);
  for (const name of held.keys()) if (!referenced.has(name)) errors.push(`${kind} "${name}" is not referenced by any ${referrer}`);
  lastChecks.set(referenced, { names, errors });
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
