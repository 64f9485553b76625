/** One named value of a collection, e.g. ARGS:id=5 is { key: 'id', value: '5' }. */
export interface Entry {
  readonly key: string;
  readonly value: string;
}

/**
 * A multimap with case-insensitive keys that keeps insertion order and the original key
 * spelling (ModSecurity collections: ARGS, REQUEST_HEADERS, TX ...).
 */
export class Collection {
  private readonly byKey = new Map<string, Entry[]>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(key: string, value: string): void {
    const lower = key.toLowerCase();
    const list = this.byKey.get(lower);
    const entry = { key, value };
    if (list) list.push(entry);
    else this.byKey.set(lower, [entry]);
    this.count++;
  }

  /** Replaces every value under `key` with one value. */
  set(key: string, value: string): void {
    this.remove(key);
    this.add(key, value);
  }

  remove(key: string): void {
    const lower = key.toLowerCase();
    const list = this.byKey.get(lower);
    if (list) {
      this.count -= list.length;
      this.byKey.delete(lower);
    }
  }

  clear(): void {
    this.byKey.clear();
    this.count = 0;
  }

  get(key: string): readonly Entry[] {
    return this.byKey.get(key.toLowerCase()) ?? EMPTY;
  }

  first(key: string): string | undefined {
    return this.byKey.get(key.toLowerCase())?.[0]?.value;
  }

  has(key: string): boolean {
    return this.byKey.has(key.toLowerCase());
  }

  *entries(): IterableIterator<Entry> {
    for (const list of this.byKey.values()) yield* list;
  }

  all(): Entry[] {
    const out: Entry[] = [];
    for (const list of this.byKey.values()) for (const e of list) out.push(e);
    return out;
  }
}

const EMPTY: readonly Entry[] = Object.freeze([]);
