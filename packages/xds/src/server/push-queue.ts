/**
 * Collects the responses that one cache change releases for a stream (one per
 * type, fired one after another) and hands them over together on the next turn
 * of the event loop, so they can be sent in make-before-break order.
 */
export class PushQueue<T> {
  private pending: T[] = [];
  private scheduled: NodeJS.Immediate | undefined;

  constructor(private readonly flush: (batch: T[]) => void) {}

  push(item: T): void {
    this.pending.push(item);
    this.scheduled ??= setImmediate(() => {
      this.scheduled = undefined;
      const batch = this.pending;
      this.pending = [];
      this.flush(batch);
    });
  }

  clear(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    this.pending = [];
  }
}
