import { type Decision, evaluate, parseAuthorizationPolicy } from '@trellis/policy';
import { type DecisionCase, decisionCases } from './decisions.table';
import { decideWithEngine, filtersFor } from './engine-harness';

function expected(c: DecisionCase): Decision {
  return { decision: c.expect.decision, reason: c.expect.reason, audited: c.expect.audited ?? [], dryRun: c.expect.dryRun ?? [] };
}

/** Envoy reports one matched policy per LOG filter; the evaluator lists them all. */
function asProxyReports(decision: Decision): Decision {
  return { ...decision, audited: decision.audited.slice(0, 1) };
}

describe.each(decisionCases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
  const policies = c.policies.map(parseAuthorizationPolicy);

  test('pure evaluator', () => {
    expect(evaluate(policies, c.workload, c.request, c.options)).toEqual(expected(c));
  });

  test('translated to Envoy RBAC and enforced by @trellis/rbac', () => {
    const filters = filtersFor(policies, c.workload, c.request, c.options);
    expect(decideWithEngine(filters, c.request)).toEqual(asProxyReports(expected(c)));
  });
});

test('the table covers both protocols and every action', () => {
  const kinds = new Set(decisionCases.flatMap((c) => c.policies.map((p) => JSON.stringify((p as { spec: { action?: string } }).spec.action ?? 'ALLOW'))));
  expect([...kinds].sort()).toEqual(['"ALLOW"', '"AUDIT"', '"DENY"']);
  expect(decisionCases.some((c) => c.request.http === undefined)).toBe(true);
});
