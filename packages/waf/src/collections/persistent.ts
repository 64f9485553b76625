import { Collection } from './collection';

/**
 * In-memory store behind the persistent collections (IP, GLOBAL, SESSION, USER, RESOURCE)
 * opened with `initcol`. Lives as long as the Waf; records idle longer than the
 * SecCollectionTimeout are dropped when next opened. CRS opens IP per client address and
 * User-Agent hash on every request, so a client varying its User-Agent would add a record
 * per request: past `maxRecords` the least recently opened go first.
 */
export class PersistentStore {
  private readonly records = new Map<string, { data: Collection; touched: number; expiries: Map<string, number> }>();

  constructor(
    private timeoutSeconds = 3600,
    private readonly maxRecords = 20_000,
  ) {}

  setTimeout(seconds: number): void {
    this.timeoutSeconds = seconds;
  }

  open(collection: string, key: string, now = Date.now()): PersistentRecord {
    const id = `${collection.toLowerCase()}\u0000${key}`;
    let record = this.records.get(id);
    // Re-inserting keeps the Map in least-recently-opened order.
    this.records.delete(id);
    if (!record || now - record.touched > this.timeoutSeconds * 1000) {
      record = { data: new Collection(), touched: now, expiries: new Map() };
    }
    this.records.set(id, record);
    if (this.records.size > this.maxRecords) this.records.delete(this.records.keys().next().value as string);
    record.touched = now;
    for (const [name, at] of record.expiries) {
      if (at <= now) {
        record.data.remove(name);
        record.expiries.delete(name);
      }
    }
    return record;
  }
}

export interface PersistentRecord {
  readonly data: Collection;
  readonly expiries: Map<string, number>;
}
