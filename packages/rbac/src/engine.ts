import { policyConditions } from './conditions';
import type { RbacAction, RbacFilterConfig, RbacRules } from './config';
import { EvaluationState, type RbacContext } from './context';
import { RbacConfigError } from './errors';
import { asObject, checkFields } from './fields';
import { compilePolicy } from './matchers';
import { indexPolicies } from './policy-index';

/** One envoy.config.rbac.v3.RBAC, compiled. */
export interface CompiledRules {
  readonly action: RbacAction;
  /** The first matching policy name in Envoy's order (policy names sorted), if any. */
  firstMatch(state: EvaluationState): string | undefined;
}

const ACTIONS: readonly RbacAction[] = ['ALLOW', 'DENY', 'LOG'];

/** Compiles envoy.config.rbac.v3.RBAC; throws RbacConfigError naming the offending field. */
export function compileRbacRules(config: RbacRules | unknown, field = 'rules'): CompiledRules {
  const rules = asObject(config, field);
  checkFields(rules, field, ['action', 'policies'], ['audit_logging_options']);
  const rawAction = rules['action'] ?? 'ALLOW';
  // protobufjs decodes enums as numbers unless asked for strings; accept both.
  const action = typeof rawAction === 'number' ? ACTIONS[rawAction] : (rawAction as RbacAction);
  if (!action || !ACTIONS.includes(action)) throw new RbacConfigError(`${field}.action`, `${JSON.stringify(rawAction)} is not ALLOW, DENY or LOG`);
  const policies = asObject(rules['policies'] ?? {}, `${field}.policies`);
  // Envoy keeps policies in a std::map, so the reported match is the first by name.
  const names = Object.keys(policies).sort();
  const matchers = names.map((name) => compilePolicy(policies[name], `${field}.policies[${JSON.stringify(name)}]`));
  return { action, firstMatch: indexPolicies(names, matchers, names.map((name) => policyConditions(policies[name]))) };
}

export interface RbacRulesResult {
  /** False only when an ALLOW engine matched nothing or a DENY engine matched. */
  allowed: boolean;
  matchedPolicy?: string;
}

function engineResult(rules: CompiledRules, state: EvaluationState): RbacRulesResult {
  const matchedPolicy = rules.firstMatch(state);
  const allowed = rules.action === 'ALLOW' ? matchedPolicy !== undefined : rules.action === 'LOG' || matchedPolicy === undefined;
  return matchedPolicy === undefined ? { allowed } : { allowed, matchedPolicy };
}

export interface RbacFilterResult {
  /** The enforced decision; true when the filter has no `rules`. */
  allowed: boolean;
  /** The enforced policy that matched (the reason for a DENY, or the ALLOW that let it through). */
  matchedPolicy?: string;
  /** Set when `rules.action` is LOG and a policy matched: Envoy's access-log hint. */
  logged?: boolean;
  /** Result of `shadow_rules`, which never affects `allowed`. */
  shadow?: RbacRulesResult & { action: RbacAction };
}

export interface CompiledRbac {
  evaluate(ctx: RbacContext): RbacFilterResult;
  /** Same as evaluate, sharing derived request values with other filters of a chain. */
  evaluateState(state: EvaluationState): RbacFilterResult;
}

const FILTER_FIELDS = [
  'rules', 'shadow_rules', 'shadow_rules_stat_prefix', 'rules_stat_prefix', 'track_per_rule_stats', 'stat_prefix',
  'enforcement_type',
];

/**
 * Compiles an RBAC filter config (envoy.extensions.filters.{http,network}.rbac.v3.RBAC).
 * Throws RbacConfigError naming the field the engine cannot enforce, for an xDS NACK.
 */
export function compileRbac(config: RbacFilterConfig | unknown): CompiledRbac {
  const filter = asObject(config, '(RBAC filter config)');
  checkFields(filter, '', FILTER_FIELDS, ['matcher', 'shadow_matcher', 'delay_deny']);
  if (filter['enforcement_type'] !== undefined && filter['enforcement_type'] !== 'ONE_TIME_ON_FIRST_BYTE' && filter['enforcement_type'] !== 0) {
    throw new RbacConfigError('enforcement_type', `${JSON.stringify(filter['enforcement_type'])} is not supported`);
  }
  const rules = filter['rules'] === undefined ? undefined : compileRbacRules(filter['rules'], 'rules');
  const shadow = filter['shadow_rules'] === undefined ? undefined : compileRbacRules(filter['shadow_rules'], 'shadow_rules');
  const evaluateState = (state: EvaluationState): RbacFilterResult => {
    const result: RbacFilterResult = { allowed: true };
    if (shadow) result.shadow = { action: shadow.action, ...engineResult(shadow, state) };
    if (rules) {
      const enforced = engineResult(rules, state);
      result.allowed = enforced.allowed;
      if (enforced.matchedPolicy !== undefined) {
        result.matchedPolicy = enforced.matchedPolicy;
        if (rules.action === 'LOG') result.logged = true;
      }
    }
    return result;
  };
  return { evaluate: (ctx) => evaluateState(new EvaluationState(ctx)), evaluateState };
}

export interface RbacChainResult {
  allowed: boolean;
  /** Index of the filter that denied, if one did. */
  deniedBy?: number;
  /** The policy behind the decision: the matched DENY policy, or the ALLOW policy of the last ALLOW filter. */
  matchedPolicy?: string;
  /** Policies matched by LOG filters, one per filter that logged. */
  logged: string[];
  /** Shadow results of the filters that ran, in order. */
  shadow: Array<RbacRulesResult & { action: RbacAction; filter: number }>;
}

export interface CompiledRbacChain {
  evaluate(ctx: RbacContext): RbacChainResult;
}

/**
 * Several RBAC filters in a row, as Envoy runs them: each filter evaluates its shadow
 * rules then enforces its rules; the first denial stops the chain (later filters, and
 * their shadow rules, never run).
 */
export function compileRbacChain(configs: ReadonlyArray<RbacFilterConfig | unknown>): CompiledRbacChain {
  const filters = configs.map((config, i) => {
    try {
      return compileRbac(config);
    } catch (err) {
      if (err instanceof RbacConfigError) throw new RbacConfigError(`filters[${i}].${err.field}`, err.problem);
      throw err;
    }
  });
  return {
    evaluate(ctx) {
      const state = new EvaluationState(ctx);
      const result: RbacChainResult = { allowed: true, logged: [], shadow: [] };
      for (let i = 0; i < filters.length; i++) {
        const filterResult = filters[i]!.evaluateState(state);
        if (filterResult.shadow) result.shadow.push({ ...filterResult.shadow, filter: i });
        if (filterResult.logged) result.logged.push(filterResult.matchedPolicy!);
        else if (filterResult.matchedPolicy !== undefined) result.matchedPolicy = filterResult.matchedPolicy;
        if (!filterResult.allowed) {
          result.allowed = false;
          result.deniedBy = i;
          if (filterResult.matchedPolicy === undefined) delete result.matchedPolicy;
          return result;
        }
      }
      return result;
    },
  };
}
