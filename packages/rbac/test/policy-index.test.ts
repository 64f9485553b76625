// The policy index must never change a decision or the reported policy: a seeded randomized
// comparison of the engine against a plain walk over every policy in name order.

import { compileRbac, compileRbacRules, EvaluationState, type Permission, type Policy, type Principal, type RbacContext, type StringMatcher } from '@trellis/rbac';
import { compilePolicy } from '../src/matchers';

/** mulberry32: a small seeded PRNG, so a failure replays exactly. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// A small vocabulary, so generated policies and requests often meet.
const NAMESPACES = ['a', 'b', 'c'];
const ACCOUNTS = ['x', 'y'];
// The last one has overlapping `/ns/` segments, as a namespace named "ns" gives.
const SPIFFE_IDS = [...NAMESPACES.flatMap((ns) => ACCOUNTS.map((sa) => `spiffe://cluster.local/ns/${ns}/sa/${sa}`)), 'spiffe://td/ns/ns/a/sa/x'];
const DNS_NAMES = ['x.a', 'y.b', 'z.c'];
const SUBJECTS = ['CN=x', 'CN=y'];
const PATHS = ['/', '/a', '/a/b', '/a/b/c', '/b', '/b/1', '/svc-1/items', '/svc-10/items', ''];
const METHODS = ['GET', 'POST', 'HEAD', 'get'];
const TENANTS = ['acme', 'tenant-1', 'tenant-2', 'acme,tenant-1'];
const PORTS = [80, 8080, 9000];

class Generator {
  constructor(private readonly next: () => number) {}

  chance(p: number): boolean {
    return this.next() < p;
  }

  int(max: number): number {
    return Math.floor(this.next() * max);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  /** A StringMatcher that hits or misses `values`: mostly exact/prefix (indexable), sometimes not. */
  stringMatcher(values: readonly string[]): StringMatcher {
    const value = this.pick(values);
    const cut = value.slice(0, 1 + this.int(Math.max(value.length, 1)));
    const kind = this.int(10);
    const matcher: StringMatcher =
      kind < 4 ? { exact: value }
      : kind < 7 ? { prefix: cut || '/' }
      : kind < 8 ? { suffix: value.slice(-2) || 'x' }
      : kind < 9 ? { contains: cut || 'a' }
      : { safe_regex: { regex: `.*${cut.replace(/[^\w]/g, '.')}.*` } };
    if (this.chance(0.1)) matcher.ignore_case = true;
    // protobufjs toObject({ oneofs: true }) names the set member.
    if (this.chance(0.1)) Object.assign(matcher, { match_pattern: Object.keys(matcher)[0] });
    return matcher;
  }

  header(): NonNullable<Permission['header']> {
    const [name, values] = this.pick<[string, readonly string[]]>([
      [':method', METHODS],
      ['x-tenant', TENANTS],
      ['X-Tenant', TENANTS],
      [':path', PATHS],
    ]);
    const header: NonNullable<Permission['header']> = { name };
    const kind = this.int(5);
    if (kind === 0) header.exact_match = this.pick(values);
    else if (kind === 1) header.prefix_match = this.pick(values).slice(0, this.int(3));
    else if (kind === 2) header.present_match = this.chance(0.7);
    else header.string_match = this.stringMatcher(values);
    if (this.chance(0.1)) header.invert_match = true;
    if (this.chance(0.1)) header.treat_missing_header_as_empty = true;
    return header;
  }

  /** A leaf, or (above depth 2) `any` or an and/or/not of subtrees. */
  tree<T>(depth: number, leaves: ReadonlyArray<() => T>, shapes: { any: T; and(items: T[]): T; or(items: T[]): T; not(item: T): T }): T {
    const subtree = (): T => this.tree(depth + 1, leaves, shapes);
    const kind = this.int(depth >= 2 ? leaves.length : leaves.length + 4) - leaves.length;
    if (kind < 0) return leaves[kind + leaves.length]!();
    if (kind === 0) return shapes.any;
    if (kind === 1) return shapes.and(this.list(subtree));
    if (kind === 2) return shapes.or(this.list(subtree));
    return shapes.not(subtree());
  }

  permission(depth: number): Permission {
    const leaves = [
      (): Permission => ({ destination_port: this.pick(PORTS) }),
      (): Permission => ({ destination_port_range: { start: 80, end: this.pick([81, 8081, 9001]) } }),
      (): Permission => ({ url_path: { path: this.stringMatcher(PATHS.filter(Boolean)) } }),
      (): Permission => ({ header: this.header() }),
      (): Permission => ({ header: this.header() }),
      (): Permission => ({ requested_server_name: this.stringMatcher(['httpbin.foo', 'other.bar']) }),
    ];
    return this.tree<Permission>(depth, leaves, {
      any: { any: true },
      and: (rules) => ({ and_rules: { rules } }),
      or: (rules) => ({ or_rules: { rules } }),
      not: (rule) => ({ not_rule: rule }),
    });
  }

  principal(depth: number): Principal {
    const leaves = [
      (): Principal => ({ authenticated: {} }),
      (): Principal => ({ authenticated: { principal_name: this.stringMatcher([...SPIFFE_IDS, ...DNS_NAMES, ...SUBJECTS]) } }),
      (): Principal => ({ authenticated: { principal_name: this.stringMatcher([...SPIFFE_IDS, ...DNS_NAMES, ...SUBJECTS]) } }),
      // Istio's translation of a `namespaces` source.
      (): Principal => ({ authenticated: { principal_name: { safe_regex: { regex: `.*/ns/${this.pick([...NAMESPACES, 'ns'])}/.*` } } } }),
      (): Principal => ({ source_ip: { address_prefix: this.pick(['10.0.0.0', '10.1.0.0']), prefix_len: { value: 16 } } }),
      (): Principal => ({ header: this.header() }),
      (): Principal => ({ url_path: { path: this.stringMatcher(PATHS.filter(Boolean)) } }),
    ];
    return this.tree<Principal>(depth, leaves, {
      any: { any: true },
      and: (ids) => ({ and_ids: { ids } }),
      or: (ids) => ({ or_ids: { ids } }),
      not: (id) => ({ not_id: id }),
    });
  }

  list<T>(item: () => T): T[] {
    return Array.from({ length: 1 + this.int(3) }, item);
  }

  /** Like @trellis/policy's output: an AND of ORs of principals, methods and paths, or anything. */
  policy(): Policy {
    if (this.chance(0.3)) return { permissions: this.list(() => this.permission(0)), principals: this.list(() => this.principal(0)) };
    const orOf = <T>(items: T[], wrap: (items: T[]) => T): T => (items.length === 1 && this.chance(0.5) ? items[0]! : wrap(items));
    const permissionParts = this.list(() => orOf(this.list(() => this.permission(2)), (rules) => ({ or_rules: { rules } })));
    const principalParts = this.list(() => orOf(this.list(() => this.principal(2)), (ids) => ({ or_ids: { ids } })));
    return {
      permissions: [{ and_rules: { rules: permissionParts } }],
      principals: [{ and_ids: { ids: principalParts } }],
    };
  }

  request(): RbacContext {
    const ctx: RbacContext = { sourceAddress: this.pick(['10.0.1.5', '10.2.0.1']), destinationAddress: '10.0.2.7', destinationPort: this.pick(PORTS) };
    if (this.chance(0.3)) ctx.requestedServerName = this.pick(['httpbin.foo', 'other.bar']);
    if (this.chance(0.8)) {
      ctx.peerCertificate = {
        uriSans: Array.from({ length: this.int(3) }, () => this.pick(SPIFFE_IDS)),
        ...(this.chance(0.3) ? { dnsSans: [this.pick(DNS_NAMES)] } : {}),
        ...(this.chance(0.3) ? { subject: this.pick(SUBJECTS) } : {}),
      };
    }
    if (this.chance(0.9)) {
      const headers: Record<string, string | string[]> = { ':method': this.pick(METHODS), ':path': this.pick(PATHS) + this.pick(['', '?q=1', '#f']) };
      if (this.chance(0.6)) headers[this.pick(['x-tenant', 'X-Tenant'])] = this.chance(0.2) ? [this.pick(TENANTS), this.pick(TENANTS)] : this.pick(TENANTS);
      if (this.chance(0.05)) delete headers[':method'];
      ctx.headers = headers;
    }
    return ctx;
  }
}

/** The reference: every policy, in name order, until one matches. */
function walkOverEveryPolicy(policies: Record<string, Policy>): (ctx: RbacContext) => string | undefined {
  const compiled = Object.keys(policies)
    .sort()
    .map((name) => [name, compilePolicy(policies[name], name)] as const);
  return (ctx) => {
    const state = new EvaluationState(ctx);
    return compiled.find(([, matches]) => matches(state))?.[0];
  };
}

test('the indexed engine reports the same first match as a walk over every policy (seeded, randomized)', () => {
  const gen = new Generator(random(0x7e11));
  let compared = 0;
  let matched = 0;
  for (let set = 0; set < 200; set++) {
    const policies: Record<string, Policy> = {};
    const size = 1 + gen.int(30);
    for (let i = 0; i < size; i++) policies[`ns[${gen.pick(NAMESPACES)}]-policy[p${gen.int(1000)}]-rule[${i}]`] = gen.policy();
    const action = gen.pick(['ALLOW', 'DENY'] as const);
    const rules = compileRbacRules({ action, policies });
    const filter = compileRbac({ rules: { action, policies } });
    const firstMatchByWalk = walkOverEveryPolicy(policies);
    for (let r = 0; r < 40; r++) {
      const ctx = gen.request();
      const expected = firstMatchByWalk(ctx);
      const actual = rules.firstMatch(new EvaluationState(ctx));
      if (actual !== expected) throw new Error(`set ${set} request ${r}: got ${actual}, walk found ${expected}\n${JSON.stringify({ policies, ctx })}`);
      const decision = filter.evaluate(ctx);
      expect(decision.allowed).toBe(action === 'ALLOW' ? expected !== undefined : expected === undefined);
      expect(decision.matchedPolicy).toBe(expected);
      compared++;
      if (expected !== undefined) matched++;
    }
  }
  expect(compared).toBe(8000);
  // The comparison means something only if plenty of requests match and plenty do not.
  expect(matched).toBeGreaterThan(compared / 5);
  expect(matched).toBeLessThan((compared * 9) / 10);
});

test('a request hitting several keys of one policy tries it once, and several matches report the first by name', () => {
  const byPrincipal = (...names: string[]): Policy => ({
    permissions: [{ any: true }],
    principals: names.map((exact) => ({ authenticated: { principal_name: { exact } } })),
  });
  const rules = compileRbacRules({
    action: 'ALLOW',
    policies: {
      b: byPrincipal('spiffe://td/ns/a/sa/x', 'CN=x'),
      a: { permissions: [{ url_path: { path: { prefix: '/a/' } } }], principals: [{ any: true }] },
      c: { permissions: [{ any: true }], principals: [{ any: true }] },
      d: byPrincipal('spiffe://td/ns/b/sa/y'),
    },
  });
  const ctx: RbacContext = {
    sourceAddress: '10.0.0.1', destinationAddress: '10.0.0.2', destinationPort: 80,
    peerCertificate: { uriSans: ['spiffe://td/ns/a/sa/x'], subject: 'CN=x' },
    headers: { ':method': 'GET', ':path': '/b' },
  };
  expect(rules.firstMatch(new EvaluationState(ctx))).toBe('b');
  expect(rules.firstMatch(new EvaluationState({ ...ctx, headers: { ':path': '/a/1' } }))).toBe('a');
  expect(rules.firstMatch(new EvaluationState({ ...ctx, peerCertificate: {} }))).toBe('c');
});
