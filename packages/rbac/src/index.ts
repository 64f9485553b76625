export type {
  CidrRange, HeaderMatcher, Int32Range, MetadataMatcher, PathMatcher, Permission, Policy, Principal, RbacAction,
  RbacFilterConfig, RbacRules, RegexMatcher, StringMatcher, ValueMatcher,
} from './config';
export type { HeaderLookup, RbacContext } from './context';
export { EvaluationState } from './context';
export {
  compileRbac, compileRbacChain, compileRbacRules, type CompiledRbac, type CompiledRbacChain, type CompiledRules,
  type RbacChainResult, type RbacFilterResult, type RbacRulesResult,
} from './engine';
export { RbacConfigError } from './errors';
export { cidrContains, parseCidr, parseIp, type Cidr, type IpAddress } from './ip';
