/** One named value of a collection, e.g. ARGS:id=5 is { key: 'id', value: '5' }. */
export interface Entry {
  readonly key: string;
  readonly value: string;
  /**
   * Transformation results for `value` (and for `key`, read as ARGS_NAMES …), indexed by the
   * rule set's chain-prefix ids; filled in by the engine as rules ask. Key and value never
   * change, so neither do these.
   */
  transformed?: string[];
  keyTransformed?: string[];
}

export function newEntry(key: string, value: string): Entry {
  return { key, value, transformed: undefined, keyTransformed: undefined };
}

/**
 * A multimap with case-insensitive keys that keeps insertion order and the original key
 * spelling (ModSecurity collections: ARGS, REQUEST_HEADERS, TX ...). Reads vastly outnumber
 * writes, so the flat list of entries is cached between writes.
 */
export class Collection {
  private readonly byKey = new Map<string, Entry[]>();
  private flat: Entry[] | undefined = EMPTY_LIST;
  private count = 0;

  /**
   * With a budget, adds stop once it is spent; only the collection that `spends` draws it
   * down (SecArgumentsLimit: ARGS spends, ARGS_GET and ARGS_POST stop with it).
   */
  constructor(
    private readonly budget?: { left: number },
    private readonly spends = false,
  ) {}

  get size(): number {
    return this.count;
  }

  add(key: string, value: string): void {
    if (this.budget) {
      if (this.budget.left <= 0) return;
      if (this.spends) this.budget.left--;
    }
    const lower = key.toLowerCase();
    const list = this.byKey.get(lower);
    const entry = newEntry(key, value);
    if (list) list.push(entry);
    else this.byKey.set(lower, [entry]);
    this.count++;
    this.flat = undefined;
  }

  /** Replaces every value under `key` with one value (it moves to the end, as remove + add). */
  set(key: string, value: string): void {
    this.removeLower(key.toLowerCase());
    this.add(key, value);
  }

  remove(key: string): void {
    this.removeLower(key.toLowerCase());
  }

  private removeLower(lower: string): void {
    const list = this.byKey.get(lower);
    if (list) {
      this.count -= list.length;
      this.byKey.delete(lower);
      this.flat = undefined;
    }
  }

  clear(): void {
    if (this.count === 0) return;
    this.byKey.clear();
    this.count = 0;
    this.flat = EMPTY_LIST;
  }

  get(key: string): readonly Entry[] {
    return this.byKey.get(key.toLowerCase()) ?? EMPTY_LIST;
  }

  /** get() for a key already lower-cased (selectors are lower-cased once at load time). */
  getLower(lowerKey: string): readonly Entry[] {
    return this.byKey.get(lowerKey) ?? EMPTY_LIST;
  }

  first(key: string): string | undefined {
    return this.byKey.get(key.toLowerCase())?.[0]?.value;
  }

  has(key: string): boolean {
    return this.byKey.has(key.toLowerCase());
  }

  /** Every entry in insertion order (grouped by key); do not modify the returned array. */
  all(): readonly Entry[] {
    if (this.flat) return this.flat;
    const out: Entry[] = [];
    for (const list of this.byKey.values()) for (const e of list) out.push(e);
    this.flat = out;
    return out;
  }
}

const EMPTY_LIST: Entry[] = [];
