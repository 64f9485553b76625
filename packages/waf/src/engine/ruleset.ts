import type { PersistentStore } from '../collections/persistent';
import type { Disruptive, Phase, Rule } from './rule';

export type RuleEngineMode = 'On' | 'Off' | 'DetectionOnly';

/** Everything compiled from the configuration; shared by all transactions, never mutated by them. */
export interface RuleSet {
  readonly phases: Record<Phase, Rule[]>;
  readonly byId: Map<number, Rule>;
  readonly config: EngineConfig;
  readonly store: PersistentStore;
}

export interface EngineConfig {
  ruleEngine: RuleEngineMode;
  requestBodyAccess: boolean;
  requestBodyLimit: number;
  /**
   * Bytes of body outside file uploads; enforced only when configured, as libmodsecurity v3
   * (our reference) parses SecRequestBodyNoFilesLimit but never applies it.
   */
  requestBodyNoFilesLimit: number | undefined;
  requestBodyLimitAction: 'Reject' | 'ProcessPartial';
  responseBodyAccess: boolean;
  responseBodyLimit: number;
  /** SecArgumentsLimit: ARGS kept per request; unlimited unless configured, as in libmodsecurity v3. */
  argumentsLimit: number | undefined;
  componentSignatures: string[];
  /** Default disruptive action and status per phase, from SecDefaultAction. */
  defaultDisruptive: Partial<Record<Phase, { disruptive: Disruptive; status?: number }>>;
}

export function defaultConfig(): EngineConfig {
  return {
    ruleEngine: 'On',
    requestBodyAccess: false,
    requestBodyLimit: 13107200,
    requestBodyNoFilesLimit: undefined,
    requestBodyLimitAction: 'Reject',
    responseBodyAccess: false,
    responseBodyLimit: 524288,
    argumentsLimit: undefined,
    componentSignatures: [],
    defaultDisruptive: {},
  };
}
