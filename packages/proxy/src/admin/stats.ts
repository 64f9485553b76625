// Counters, gauges and latency histograms, rendered in Prometheus text format.
// Label sets are small and fixed per call site, so series are keyed by a joined string.

type Labels = Record<string, string>;

const LATENCY_BUCKETS_MS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

export interface Histogram {
  labels: Labels;
  /** Observations per bucket, not cumulative: one increment per observation; rendering sums them up. */
  counts: number[];
  sum: number;
  count: number;
}

export function observeInto(h: Histogram, valueMs: number): void {
  let i = 0;
  while (i < LATENCY_BUCKETS_MS.length && valueMs > LATENCY_BUCKETS_MS[i]) i++;
  if (i < LATENCY_BUCKETS_MS.length) h.counts[i]++;
  h.sum += valueMs;
  h.count++;
}

function seriesKey(name: string, labels: Labels): string {
  let k = name;
  for (const l in labels) k += `\0${l}\0${labels[l]}`;
  return k;
}

function renderLabels(labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

export class Stats {
  private readonly counters = new Map<string, { name: string; labels: Labels; value: number }>();
  private readonly histograms = new Map<string, Histogram & { name: string }>();
  private readonly gauges = new Map<string, () => Array<{ labels: Labels; value: number }>>();

  inc(name: string, labels: Labels = {}, by = 1): void {
    this.counterSeries(name, labels).value += by;
  }

  /** The series object itself, for hot paths that keep it instead of re-keying every time. */
  counterSeries(name: string, labels: Labels): { value: number } {
    const key = seriesKey(name, labels);
    let c = this.counters.get(key);
    if (!c) this.counters.set(key, (c = { name, labels, value: 0 }));
    return c;
  }

  histogramSeries(name: string, labels: Labels): Histogram {
    const key = seriesKey(name, labels);
    let h = this.histograms.get(key);
    if (!h) this.histograms.set(key, (h = { name, labels, counts: new Array(LATENCY_BUCKETS_MS.length).fill(0), sum: 0, count: 0 }));
    return h;
  }

  observe(name: string, labels: Labels, valueMs: number): void {
    observeInto(this.histogramSeries(name, labels), valueMs);
  }

  /** Gauges are computed when scraped (connections, cert expiry). */
  gauge(name: string, read: () => Array<{ labels: Labels; value: number }>): void {
    this.gauges.set(name, read);
  }

  counter(name: string, labels: Labels = {}): number {
    return this.counters.get(seriesKey(name, labels))?.value ?? 0;
  }

  renderPrometheus(): string {
    const out: string[] = [];
    const typed = new Set<string>();
    const type = (name: string, t: string): void => {
      if (!typed.has(name)) {
        typed.add(name);
        out.push(`# TYPE trellis_${name} ${t}`);
      }
    };
    for (const c of [...this.counters.values()].sort((a, b) => a.name.localeCompare(b.name))) {
      type(c.name, 'counter');
      out.push(`trellis_${c.name}${renderLabels(c.labels)} ${c.value}`);
    }
    for (const h of this.histograms.values()) {
      type(h.name, 'histogram');
      let cumulative = 0;
      LATENCY_BUCKETS_MS.forEach((b, i) => {
        cumulative += h.counts[i];
        out.push(`trellis_${h.name}_bucket${renderLabels({ ...h.labels, le: String(b) })} ${cumulative}`);
      });
      out.push(`trellis_${h.name}_bucket${renderLabels({ ...h.labels, le: '+Inf' })} ${h.count}`);
      out.push(`trellis_${h.name}_sum${renderLabels(h.labels)} ${h.sum}`);
      out.push(`trellis_${h.name}_count${renderLabels(h.labels)} ${h.count}`);
    }
    for (const [name, read] of this.gauges) {
      type(name, 'gauge');
      for (const g of read()) out.push(`trellis_${name}${renderLabels(g.labels)} ${g.value}`);
    }
    return out.join('\n') + '\n';
  }
}
