import { makeResource, type Resource } from '@trellis/xds';

interface Entry {
  /** The message the resource was encoded from, as JSON: equal JSON, equal resource. */
  json: string;
  resource: Resource;
  /** The generation in which the entry last proved to be current. */
  checkedIn: number;
  inputs: readonly unknown[] | undefined;
}

export interface MemoOptions {
  /** What the resource depends on beyond its name (e.g. the caller's namespace). */
  scope?: string;
  /**
   * Everything `build` reads — model objects (never changed once built) and plain
   * values. When each is identical to last time, the resource is reused unbuilt.
   */
  inputs?: readonly unknown[];
}

/**
 * Encoded resources, kept across pushes. Within one generation (one model) a resource
 * that comes out the same for many proxies — a service's cluster and endpoints, a
 * namespace's route table — is built and encoded once and shared by every snapshot.
 * Across generations a resource is rebuilt as a plain object but encoded again only
 * when that object changed: encoding and hashing, not building, is what costs, and an
 * unchanged resource keeps its identity, so snapshots can tell at a glance what moved.
 */
export class ResourceMemo {
  private readonly entries = new Map<string, Entry>();
  /** Values derived from the current model, e.g. the resource lists a scope of proxies shares. */
  private readonly derived = new Map<string, unknown>();
  private generation = 0;

  /** The model changed: every entry must show on its next use that it is still current. */
  invalidate(): void {
    this.generation++;
    this.derived.clear();
  }

  /** A value computed once per model; `key` must name everything it depends on. */
  shared<T>(key: string, compute: () => T): T {
    if (!this.derived.has(key)) this.derived.set(key, compute());
    return this.derived.get(key) as T;
  }

  /** Forget what no snapshot used since the last `invalidate` (removed services, gone proxies). */
  sweep(): void {
    for (const [key, entry] of this.entries) if (entry.checkedIn !== this.generation) this.entries.delete(key);
  }

  get(typeUrl: string, name: string, build: () => object, { scope = '', inputs }: MemoOptions = {}): Resource {
    const key = `${typeUrl}\u0000${scope}\u0000${name}`;
    const entry = this.entries.get(key);
    if (entry?.checkedIn === this.generation) return entry.resource;
    if (entry && sameInputs(entry.inputs, inputs)) {
      entry.checkedIn = this.generation;
      return entry.resource;
    }
    const message = build();
    const json = JSON.stringify(message);
    if (entry?.json === json) {
      entry.checkedIn = this.generation;
      entry.inputs = inputs;
      return entry.resource;
    }
    const resource = makeResource(typeUrl, { name, message });
    this.entries.set(key, { json, resource, checkedIn: this.generation, inputs });
    return resource;
  }
}

function sameInputs(before: readonly unknown[] | undefined, now: readonly unknown[] | undefined): boolean {
  return before !== undefined && now !== undefined && before.length === now.length && before.every((input, i) => input === now[i]);
}
