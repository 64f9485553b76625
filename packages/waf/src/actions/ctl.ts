import type { ActionHandler } from './types';
import type { RuntimeAction } from '../engine/rule';
import { parseTargets } from '../seclang/targets';
import { parseIdRanges } from '../seclang/id-ranges';

function onOff(value: string, what: string): boolean {
  const v = value.toLowerCase();
  if (v === 'on') return true;
  if (v === 'off') return false;
  throw new Error(`ctl:${what} expects On or Off, got "${value}"`);
}

function targetRemoval(value: string, what: string) {
  const semi = value.indexOf(';');
  if (semi < 0) throw new Error(`ctl:${what} expects "<selector>;<target>"`);
  const { targets, exclusions } = parseTargets(value.slice(semi + 1));
  const exclusion = [...targets.map(({ variable, key, keyRegex }) => ({ variable, key, keyRegex })), ...exclusions][0];
  if (!exclusion) throw new Error(`ctl:${what} needs a target`);
  return { selector: value.slice(0, semi), exclusion };
}

const CTL: Record<string, (value: string) => RuntimeAction | undefined> = {
  ruleengine: (v) => {
    const mode = ({ on: 'On', off: 'Off', detectiononly: 'DetectionOnly' } as const)[v.toLowerCase() as 'on'];
    if (!mode) throw new Error(`ctl:ruleEngine: invalid mode "${v}"`);
    return (tx) => {
      tx.ruleEngine = mode;
    };
  },
  requestbodyaccess: (v) => {
    const on = onOff(v, 'requestBodyAccess');
    return (tx) => {
      tx.requestBodyAccess = on;
    };
  },
  requestbodyprocessor: (v) => {
    const processor = v.toUpperCase();
    return (tx) => {
      tx.requestBodyProcessor = processor;
    };
  },
  requestbodylimit: (v) => {
    const n = Number(v);
    return (tx) => {
      tx.requestBodyLimit = n;
    };
  },
  // REQUEST_BODY always holds the body here (as in libmodsecurity v3), so forcing it is a no-op.
  forcerequestbodyvariable: (v) => {
    onOff(v, 'forceRequestBodyVariable');
    return undefined;
  },
  ruleremovebyid: (v) => {
    const ranges = parseIdRanges(v);
    return (tx) => {
      for (const [a, b] of ranges) tx.removeRuleRange(a, b);
    };
  },
  ruleremovebytag: (v) => (tx) => tx.removeRulesByTag(v),
  ruleremovebymsg: (v) => (tx) => tx.removeRulesByMsg(v),
  ruleremovetargetbyid: (v) => {
    const { selector, exclusion } = targetRemoval(v, 'ruleRemoveTargetById');
    const ranges = parseIdRanges(selector);
    return (tx) => {
      for (const [a, b] of ranges) for (let id = a; id <= b && id - a < 10000; id++) tx.removeTargetById(id, exclusion);
    };
  },
  ruleremovetargetbytag: (v) => {
    const { selector, exclusion } = targetRemoval(v, 'ruleRemoveTargetByTag');
    return (tx) => tx.removeTargetByTag(selector, exclusion);
  },
  ruleremovetargetbymsg: (v) => {
    const { selector, exclusion } = targetRemoval(v, 'ruleRemoveTargetByMsg');
    return (tx) => tx.removeTargetByMsg(selector, exclusion);
  },
  // Audit logging is not part of this library: accepted so CRS loads, no effect.
  auditengine: () => undefined,
  auditlogparts: () => undefined,
  debugloglevel: () => undefined,
  hashengine: () => undefined,
};

/** ctl:name=value — changes the engine's behaviour for the current transaction only. */
export const ctl: ActionHandler = (rule, value) => {
  const eq = value?.indexOf('=') ?? -1;
  if (!value || eq <= 0) throw new Error(`ctl expects name=value, got "${value ?? ''}"`);
  const name = value.slice(0, eq).trim();
  const make = CTL[name.toLowerCase()];
  if (!make) throw new Error(`unknown ctl "${name}"`);
  const action = make(value.slice(eq + 1).trim());
  if (action) rule.actions.push(action);
};
