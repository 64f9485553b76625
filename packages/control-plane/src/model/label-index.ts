/**
 * Objects of a namespace by each label they carry. A selector then looks only at the
 * objects sharing its first label instead of every object in the mesh: with thousands
 * of services and workloads, the full scan per service dominated every push.
 */
export class LabelIndex<T extends { namespace: string; labels: Record<string, string> }> {
  private readonly byNamespace = new Map<string, T[]>();
  private readonly byLabel = new Map<string, T[]>();

  constructor(items: readonly T[]) {
    for (const item of items) {
      append(this.byNamespace, item.namespace, item);
      for (const [key, value] of Object.entries(item.labels)) append(this.byLabel, labelKey(item.namespace, key, value), item);
    }
  }

  /** A superset of the objects the selector picks in the namespace, in their original order. */
  candidates(namespace: string, selector: Record<string, string>): readonly T[] {
    const first = Object.entries(selector)[0];
    const found = first ? this.byLabel.get(labelKey(namespace, first[0], first[1])) : this.byNamespace.get(namespace);
    return found ?? [];
  }
}

/** Objects grouped by namespace, in their original order. */
export function byNamespace<T extends { namespace: string }>(items: readonly T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) append(groups, item.namespace, item);
  return groups;
}

function labelKey(namespace: string, key: string, value: string): string {
  return `${namespace}\u0000${key}\u0000${value}`;
}

function append<K, T>(map: Map<K, T[]>, key: K, item: T): void {
  const list = map.get(key);
  if (list) list.push(item);
  else map.set(key, [item]);
}
