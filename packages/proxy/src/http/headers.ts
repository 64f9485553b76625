// A small ordered header list with lower-case names. Both codecs (HTTP/1 head parser and
// HTTP/2 streams) produce it, so filters and routing see one representation.

/**
 * The HTTP/1 header lines a list was parsed from, kept so an unchanged head is forwarded
 * as slices of its own text instead of re-encoding every header.
 */
export interface WireHeaders {
  /** The head as latin1; header lines are `text[start, end)`, each line but the last ending in CRLF. */
  text: string;
  start: number;
  end: number;
  /** How many leading entries of the list these lines hold; later entries were added. */
  count: number;
  /** [start, end) ranges of lines the next hop must not see (hop-by-hop, framing), CRLF included. */
  dropped: number[];
}

export class Headers {
  private readonly names: string[] = [];
  private readonly values: string[] = [];
  /** Dropped as soon as an entry it holds is deleted or replaced; additions keep it. */
  wire: WireHeaders | undefined;

  get size(): number {
    return this.names.length;
  }

  /** First value of `name` (lower-case). */
  get(name: string): string | undefined {
    const i = this.names.indexOf(name);
    return i < 0 ? undefined : this.values[i];
  }

  has(name: string): boolean {
    return this.names.indexOf(name) >= 0;
  }

  add(name: string, value: string): void {
    this.names.push(name);
    this.values.push(value);
  }

  set(name: string, value: string): void {
    this.delete(name);
    this.add(name, value);
  }

  delete(name: string): void {
    for (let i = this.names.indexOf(name); i >= 0; i = this.names.indexOf(name, i)) {
      if (this.wire && i < this.wire.count) this.wire = undefined;
      this.names.splice(i, 1);
      this.values.splice(i, 1);
    }
  }

  forEach(fn: (name: string, value: string) => void, from = 0): void {
    for (let i = from; i < this.names.length; i++) fn(this.names[i], this.values[i]);
  }

  toObject(): Record<string, string> {
    const o: Record<string, string> = {};
    this.forEach((n, v) => {
      o[n] = o[n] === undefined ? v : `${o[n]}, ${v}`;
    });
    return o;
  }
}

/** Connection-scoped headers that must not be forwarded (RFC 9110 §7.6.1). */
export const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te']);
