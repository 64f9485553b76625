import type { Attribute, Conditions, Keys } from './conditions';
import type { EvaluationState } from './context';
import type { Matcher } from './matchers';

/** The request's value(s) of an attribute; undefined when it has none (no :path on TCP). */
type AttributeReader = (state: EvaluationState) => string | readonly string[] | undefined;

function readerFor(attribute: Attribute): AttributeReader {
  switch (attribute) {
    case 'principal':
      return (state) => state.principalNames();
    case 'namespace':
      return (state) => state.principalNamespaces();
    case 'path':
      return (state) => state.path();
    case 'port':
      return (state) => String(state.ctx.destinationPort);
    default: {
      const name = attribute.slice('header:'.length);
      return (state) => state.header(name);
    }
  }
}

function bucket<K, V>(map: Map<K, V[]>, key: K): V[] {
  let list = map.get(key);
  if (list === undefined) map.set(key, (list = []));
  return list;
}

/** Policy positions by key, for one attribute: a hash map for exact keys, one lookup per distinct prefix length for prefixes. */
class AttributeIndex {
  private readonly exact = new Map<string, number[]>();
  private readonly prefixes = new Map<string, number[]>();
  /** Ascending, so a lookup stops at the first prefix longer than the value. */
  private readonly prefixLengths: number[] = [];

  constructor(private readonly read: AttributeReader) {}

  add(keys: Keys, position: number): void {
    for (const key of keys.exact) bucket(this.exact, key).push(position);
    for (const prefix of keys.prefixes) {
      bucket(this.prefixes, prefix).push(position);
      if (!this.prefixLengths.includes(prefix.length)) this.prefixLengths.push(prefix.length);
    }
    this.prefixLengths.sort((a, b) => a - b);
  }

  /** Appends the positions of the policies whose keys the request hits (possibly repeated). */
  collect(state: EvaluationState, into: number[]): void {
    const values = this.read(state);
    if (values === undefined) return;
    if (typeof values === 'string') this.collectValue(values, into);
    else for (const value of values) this.collectValue(value, into);
  }

  private collectValue(value: string, into: number[]): void {
    if (this.exact.size > 0) appendAll(into, this.exact.get(value));
    for (const length of this.prefixLengths) {
      if (length > value.length) break;
      appendAll(into, this.prefixes.get(value.slice(0, length)));
    }
  }
}

function appendAll(into: number[], positions: readonly number[] | undefined): void {
  if (positions !== undefined) for (const position of positions) into.push(position);
}

/** How many policies each key of each attribute appears in: a rough cost of filing a policy under it. */
function keyPopularity(conditions: readonly Conditions[]): Map<Attribute, Map<string, number>> {
  const popularity = new Map<Attribute, Map<string, number>>();
  for (const policy of conditions) {
    for (const [attribute, keys] of policy) {
      let counts = popularity.get(attribute);
      if (counts === undefined) popularity.set(attribute, (counts = new Map()));
      for (const key of popularityKeys(keys)) counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return popularity;
}

function popularityKeys(keys: Keys): string[] {
  return [...[...keys.exact].map((k) => `=${k}`), ...[...keys.prefixes].map((p) => `^${p}`)];
}

// Below this, the lookups cost as much as walking every policy when the last one matches, and
// up to 1.5x more when the first does (measured with test/bench/rbac-eval.bench.js's policies).
const MIN_POLICIES_TO_INDEX = 4;

/**
 * Files each policy under one attribute of its necessary conditions, the one whose keys the
 * fewest policies share; policies without conditions are always tried.
 */
function fileByAttribute(conditions: readonly Conditions[]): { indexes: AttributeIndex[]; alwaysTried: number[] } {
  const popularity = keyPopularity(conditions);
  const indexes = new Map<Attribute, AttributeIndex>();
  const alwaysTried: number[] = [];
  conditions.forEach((policy, position) => {
    let best: [Attribute, Keys] | undefined;
    let bestCost = Infinity;
    for (const [attribute, keys] of policy) {
      const counts = popularity.get(attribute)!;
      const cost = popularityKeys(keys).reduce((sum, key) => sum + counts.get(key)!, 0);
      if (cost < bestCost) [best, bestCost] = [[attribute, keys], cost];
    }
    if (best === undefined) {
      alwaysTried.push(position);
      return;
    }
    const [attribute, keys] = best;
    let index = indexes.get(attribute);
    if (index === undefined) indexes.set(attribute, (index = new AttributeIndex(readerFor(attribute))));
    index.add(keys, position);
  });
  return { indexes: [...indexes.values()], alwaysTried };
}

function walk(names: readonly string[], matchers: readonly Matcher[]): (state: EvaluationState) => string | undefined {
  return (state) => {
    for (let position = 0; position < matchers.length; position++) if (matchers[position]!(state)) return names[position];
    return undefined;
  };
}

/**
 * The name of the first policy (in evaluation order) that matches, trying only the policies
 * whose necessary conditions the request meets (and those without any), in evaluation order:
 * exactly the first match of a walk over every policy.
 */
export function indexPolicies(
  names: readonly string[],
  matchers: readonly Matcher[],
  conditions: readonly Conditions[],
): (state: EvaluationState) => string | undefined {
  if (matchers.length < MIN_POLICIES_TO_INDEX) return walk(names, matchers);
  const { indexes, alwaysTried } = fileByAttribute(conditions);
  if (indexes.length === 0) return walk(names, matchers);
  return (state) => {
    const candidates: number[] = [];
    for (const index of indexes) index.collect(state, candidates);
    if (candidates.length > 1) candidates.sort((a, b) => a - b);
    // Merge the sorted candidates with the sorted always-tried list, skipping repeats.
    let c = 0;
    let a = 0;
    let last = -1;
    while (c < candidates.length || a < alwaysTried.length) {
      const position = a >= alwaysTried.length || (c < candidates.length && candidates[c]! < alwaysTried[a]!) ? candidates[c++]! : alwaysTried[a++]!;
      if (position === last) continue;
      last = position;
      if (matchers[position]!(state)) return names[position];
    }
    return undefined;
  };
}
