import type { FilterEnvironment } from '@trellis/proxy';

/**
 * A counter family a filter increments per decision, e.g. `rbac_decisions_total{policy,decision}`.
 * Series are kept per label combination, so the hot path is one map lookup, not a re-keying.
 * Label values come from config (policy names, rule ids), never from requests: the set is bounded.
 */
export function counterFamily<L extends string>(env: FilterEnvironment | undefined, metric: string, labelNames: readonly L[]): (...values: string[]) => void {
  if (!env) return () => undefined;
  const series = new Map<string, { value: number }>();
  return (...values) => {
    const key = values.join('\u0000');
    let s = series.get(key);
    if (!s) {
      const labels: Record<string, string> = {};
      labelNames.forEach((name, i) => (labels[name] = values[i] ?? ''));
      series.set(key, (s = env.stats.counterSeries(metric, labels)));
    }
    s.value++;
  };
}
