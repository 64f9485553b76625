import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve, basename } from 'node:path';
import { PersistentStore } from '../collections/persistent';
import { getAction } from '../actions/registry';
import { getOperator } from '../operators/registry';
import { getTransformation } from '../transformations/registry';
import type { Disruptive, Phase, Rule, Transformation } from '../engine/rule';
import { defaultConfig, type EngineConfig, type RuleSet } from '../engine/ruleset';
import { SecLangError } from './errors';
import { lex, type Directive } from './lexer';
import { splitActions } from './action-list';
import { parseTargets } from './targets';
import { parseIdRanges } from './id-ranges';

export interface ParseOptions {
  /** Directory that relative `Include` and data-file paths resolve against. */
  readonly baseDir?: string;
  /** Receives warnings (unknown harmless directives); defaults to ignoring them. */
  readonly onWarning?: (message: string) => void;
}

interface DefaultActions {
  transformations: { names: string[]; fns: Transformation[] };
  log?: boolean;
  auditlog?: boolean;
  disruptive?: Disruptive;
  status?: number;
}

/** Directives that configure things this library does not do (logging, files, limits it does not enforce). */
const ACCEPTED_NOOP = new Set(
  [
    'SecAuditEngine', 'SecAuditLog', 'SecAuditLog2', 'SecAuditLogDirMode', 'SecAuditLogFileMode', 'SecAuditLogFormat',
    'SecAuditLogParts', 'SecAuditLogRelevantStatus', 'SecAuditLogStorageDir', 'SecAuditLogType', 'SecDebugLog',
    'SecDebugLogLevel', 'SecTmpDir', 'SecDataDir', 'SecUploadDir', 'SecUploadKeepFiles', 'SecUploadFileMode',
    'SecUploadFileLimit', 'SecTmpSaveUploadedFiles', 'SecPcreMatchLimit', 'SecPcreMatchLimitRecursion',
    'SecUnicodeMapFile', 'SecStatusEngine', 'SecServerSignature', 'SecWebAppId', 'SecHttpBlKey', 'SecGeoLookupDb',
    'SecCookieFormat', 'SecArgumentSeparator', 'SecResponseBodyMimeType', 'SecResponseBodyLimitAction',
    'SecRequestBodyInMemoryLimit', 'SecRequestBodyJsonDepthLimit', 'SecXmlExternalEntity', 'SecConnEngine',
    'SecSensorId', 'SecHashEngine', 'SecHashKey', 'SecHashParam', 'SecHashMethodRx', 'SecHashMethodPm',
    'SecUploadFileMode', 'SecGsbLookupDb', 'SecRemoteRules', 'SecRemoteRulesFailAction', 'SecUnicodeCodePage',
  ].map((d) => d.toLowerCase()),
);

/** Builds a RuleSet from SecLang directives, file by file, in order. */
export class SecLangParser {
  readonly config: EngineConfig = defaultConfig();
  readonly store = new PersistentStore();
  private readonly phases: Record<Phase, Rule[]> = { 1: [], 2: [], 3: [], 4: [], 5: [] };
  private readonly byId = new Map<number, Rule>();
  private readonly defaults = new Map<Phase, DefaultActions>();
  /** Transformation chain prefixes seen so far, numbered for the per-transaction caches ('' is 0). */
  private readonly transformationChains = new Map<string, number>([['', 0]]);
  /** The last rule of a chain still waiting for its next link. */
  private openChain: Rule | undefined;
  private readonly warn: (message: string) => void;

  constructor(private readonly options: ParseOptions = {}) {
    this.warn = options.onWarning ?? (() => {});
  }

  parseFile(path: string): void {
    const full = resolve(this.options.baseDir ?? process.cwd(), path);
    this.parseText(readFileSync(full, 'latin1'), full);
  }

  /** `file` names the source in errors and anchors relative paths (defaults to baseDir). */
  parseText(text: string, file = join(this.options.baseDir ?? process.cwd(), '<directives>')): void {
    for (const d of lex(text, file)) {
      try {
        this.directive(d);
      } catch (e) {
        if (e instanceof SecLangError) throw e;
        throw new SecLangError((e as Error).message, d.file, d.line);
      }
    }
  }

  build(): RuleSet {
    if (this.openChain) throw new SecLangError('rule chain is not completed (the last rule has "chain")', this.openChain.file, this.openChain.line);
    return { phases: this.phases, byId: this.byId, config: this.config, store: this.store };
  }

  private directive(d: Directive): void {
    const name = d.name.toLowerCase();
    const a = d.args;
    switch (name) {
      case 'include':
        return this.include(d, false);
      case 'includeoptional':
        return this.include(d, true);
      case 'secrule':
        if (a.length < 2) throw new Error('SecRule needs variables and an operator');
        return this.addRule(d, a[0]!, a[1]!, a[2] ?? '');
      case 'secaction':
        return this.addRule(d, undefined, '@unconditionalMatch', a[0] ?? '');
      case 'secmarker':
        return this.addMarker(d, a[0] ?? '');
      case 'secdefaultaction':
        return this.defaultAction(a[0] ?? '');
      case 'secruleengine':
        this.config.ruleEngine = enumArg(a[0], ['On', 'Off', 'DetectionOnly'], d.name);
        return;
      case 'secrequestbodyaccess':
        this.config.requestBodyAccess = onOff(a[0], d.name);
        return;
      case 'secresponsebodyaccess':
        this.config.responseBodyAccess = onOff(a[0], d.name);
        return;
      case 'secrequestbodylimit':
        this.config.requestBodyLimit = intArg(a[0], d.name);
        return;
      case 'secrequestbodynofileslimit':
        this.config.requestBodyNoFilesLimit = intArg(a[0], d.name);
        return;
      case 'secresponsebodylimit':
        this.config.responseBodyLimit = intArg(a[0], d.name);
        return;
      case 'secargumentslimit':
        this.config.argumentsLimit = intArg(a[0], d.name);
        return;
      case 'secrequestbodylimitaction':
        this.config.requestBodyLimitAction = enumArg(a[0], ['Reject', 'ProcessPartial'], d.name);
        return;
      case 'seccomponentsignature':
        this.config.componentSignatures.push(a[0] ?? '');
        return;
      case 'seccollectiontimeout':
        this.store.setTimeout(intArg(a[0], d.name));
        return;
      case 'secruleremovebyid':
        for (const [from, to] of parseIdRanges(a.join(' '))) this.removeRules((r) => r.id >= from && r.id <= to);
        return;
      case 'secruleremovebytag':
        for (const tag of a) this.removeRules((r) => r.tags.includes(tag));
        return;
      case 'secruleremovebymsg':
        for (const m of a) this.removeRules((r) => r.msg?.text === m);
        return;
      case 'secruleupdatetargetbyid':
        return this.updateTargets(this.rulesById(a[0] ?? ''), a[1] ?? '', a[2]);
      case 'secruleupdatetargetbytag':
        return this.updateTargets(this.allRules().filter((r) => r.tags.includes(a[0] ?? '')), a[1] ?? '', a[2]);
      case 'secruleupdatetargetbymsg':
        return this.updateTargets(this.allRules().filter((r) => r.msg?.text === a[0]), a[1] ?? '', a[2]);
      case 'secruleupdateactionbyid':
        return this.updateActions(a[0] ?? '', a[1] ?? '');
      default:
        if (ACCEPTED_NOOP.has(name)) return;
        if (name.startsWith('sec')) {
          this.warn(`${d.file}:${d.line}: directive ${d.name} is not supported; ignored`);
          return;
        }
        throw new Error(`unknown directive "${d.name}"`);
    }
  }

  private include(d: Directive, optional: boolean): void {
    const pattern = d.args[0];
    if (!pattern) throw new Error('Include needs a path');
    const base = dirname(d.file);
    const full = isAbsolute(pattern) ? pattern : resolve(base, pattern);
    const files = /[*?[]/.test(basename(full)) ? expandGlob(full) : existsSync(full) || !optional ? [full] : [];
    if (files.length === 0 && !optional) throw new Error(`Include: no file matches "${pattern}"`);
    for (const f of files) this.parseText(readFileSync(f, 'latin1'), f);
  }

  private defaultAction(text: string): void {
    const rule = blankRule('', 0);
    const tnames: string[] = [];
    const tfns: Transformation[] = [];
    this.applyActions(rule, text, tnames, tfns);
    if (!rule.explicitPhase) throw new Error('SecDefaultAction must name a phase');
    if (!rule.disruptive) throw new Error('SecDefaultAction must name a disruptive action');
    this.defaults.set(rule.phase, {
      transformations: { names: tnames, fns: tfns },
      log: rule.log,
      auditlog: rule.auditlog,
      disruptive: rule.disruptive,
      status: rule.status,
    });
    this.config.defaultDisruptive[rule.phase] = { disruptive: rule.disruptive, status: rule.status };
  }

  private addMarker(d: Directive, name: string): void {
    if (this.openChain) throw new Error('SecMarker inside a rule chain');
    const marker = blankRule(d.file, d.line);
    marker.marker = name;
    for (const p of [1, 2, 3, 4, 5] as Phase[]) this.phases[p].push(marker);
  }

  private addRule(d: Directive, variables: string | undefined, operatorText: string, actionText: string): void {
    const rule = blankRule(d.file, d.line);
    if (variables !== undefined) {
      const { targets, exclusions } = parseTargets(variables);
      rule.targets = targets;
      rule.readsMatchedVars = targets.some((t) => t.variable.startsWith('MATCHED_VAR'));
      rule.exclusions = exclusions;
    }
    rule.operator = this.operator(operatorText, d);
    const tnames: string[] = [];
    const tfns: Transformation[] = [];
    this.applyActions(rule, actionText, tnames, tfns);

    const starter = this.openChain ? (this.openChain.parent ?? this.openChain) : undefined;
    if (starter) {
      if (rule.id) throw new Error('a chained rule cannot have an id');
      rule.phase = starter.phase;
    } else if (variables !== undefined || rule.id) {
      if (!rule.id) throw new Error('rule has no id');
      if (this.byId.has(rule.id)) throw new Error(`duplicate rule id ${rule.id}`);
    }
    const defaults = this.defaults.get(rule.phase);
    this.setTransformations(rule, rule.resetTransformations ? [] : (defaults?.transformations.names ?? []), rule.resetTransformations ? [] : (defaults?.transformations.fns ?? []), tnames, tfns);
    if (!starter) {
      rule.log ??= defaults?.log;
      rule.auditlog ??= defaults?.auditlog;
    }

    if (starter) {
      rule.parent = starter;
      this.openChain!.chained = rule;
    } else {
      if (rule.id) this.byId.set(rule.id, rule);
      this.phases[rule.phase].push(rule);
    }
    this.openChain = rule.chainStarter ? rule : undefined;
    if (rule.chainStarter && starter) rule.parent = starter;
  }

  private applyActions(rule: Rule, text: string, tnames: string[], tfns: Transformation[]): void {
    for (const { name, value } of splitActions(text)) {
      if (name.toLowerCase() === 't') {
        if (value?.toLowerCase() === 'none') {
          rule.resetTransformations = true;
          tnames.length = 0;
          tfns.length = 0;
        } else {
          tnames.push((value ?? '').toLowerCase());
          tfns.push(transformation(value));
        }
        continue;
      }
      const handler = getAction(name);
      if (!handler) throw new Error(`unknown action "${name}"`);
      handler(rule, value);
    }
  }

  private setTransformations(rule: Rule, baseNames: string[], baseFns: Transformation[], names: string[], fns: Transformation[]): void {
    rule.transformationNames = [...baseNames, ...names];
    rule.transformations = [...baseFns, ...fns];
    // Number every prefix of the chain: rules sharing a prefix share its cached results.
    rule.transformationSteps = rule.transformationNames.map((_, i) => {
      const key = rule.transformationNames.slice(0, i + 1).join(',');
      let id = this.transformationChains.get(key);
      if (id === undefined) this.transformationChains.set(key, (id = this.transformationChains.size));
      return id;
    });
  }

  private operator(text: string, d: Directive): Rule['operator'] {
    let s = text;
    let negated = false;
    if (s.startsWith('!')) {
      negated = true;
      s = s.slice(1);
    }
    let name = 'rx';
    let argument = s;
    if (s.startsWith('@')) {
      const m = /^@([A-Za-z0-9]+)\s?([\s\S]*)$/.exec(s);
      if (!m) throw new Error(`invalid operator "${text}"`);
      name = m[1]!;
      argument = m[2]!;
    }
    const factory = getOperator(name);
    if (!factory) throw new Error(`unknown operator "@${name}"`);
    const dir = dirname(d.file);
    try {
      const run = factory(argument, {
        file: d.file,
        readDataFile: (p) => readFileSync(isAbsolute(p) ? p : resolve(dir, p), 'latin1'),
      });
      return { name: name.toLowerCase(), negated, argument, run };
    } catch (e) {
      throw new Error(`operator @${name}: ${(e as Error).message}`);
    }
  }

  private allRules(): Rule[] {
    return [...this.byId.values()];
  }

  private rulesById(text: string): Rule[] {
    const ranges = parseIdRanges(text);
    return this.allRules().filter((r) => ranges.some(([a, b]) => r.id >= a && r.id <= b));
  }

  private removeRules(predicate: (r: Rule) => boolean): void {
    for (const p of [1, 2, 3, 4, 5] as Phase[]) this.phases[p] = this.phases[p].filter((r) => r.marker !== undefined || !predicate(r));
    for (const [id, r] of this.byId) if (predicate(r)) this.byId.delete(id);
  }

  /** SecRuleUpdateTarget*: `!ARGS:x` adds an exclusion, `ARGS:x` a target (or replaces `replaced`). */
  private updateTargets(rules: Rule[], targetsText: string, replaced: string | undefined): void {
    const { targets, exclusions } = parseTargets(targetsText);
    for (const rule of rules) {
      rule.exclusions.push(...exclusions);
      if (replaced !== undefined) {
        const old = parseTargets(replaced).targets[0];
        rule.targets = rule.targets.filter((t) => !(old && t.variable === old.variable && t.key === old.key));
      }
      rule.targets.push(...targets);
      rule.readsMatchedVars = rule.targets.some((t) => t.variable.startsWith('MATCHED_VAR'));
    }
  }

  private updateActions(idText: string, actions: string): void {
    for (const rule of this.rulesById(idText)) {
      const tnames: string[] = [];
      const tfns: Transformation[] = [];
      const hadReset = rule.resetTransformations;
      // Runtime actions given here are added to the rule's; metadata and disruptive ones replace.
      this.applyActions(rule, actions, tnames, tfns);
      if (rule.resetTransformations && !hadReset) this.setTransformations(rule, [], [], tnames, tfns);
      else if (tnames.length) this.setTransformations(rule, rule.transformationNames, rule.transformations, tnames, tfns);
    }
  }
}

/** Every rule gets every field, in one order: one object shape keeps the engine's reads monomorphic. */
function blankRule(file: string, line: number): Rule {
  return {
    id: 0,
    phase: 2,
    file,
    line,
    marker: undefined,
    targets: [],
    readsMatchedVars: false,
    exclusions: [],
    operator: { name: 'unconditionalmatch', negated: false, argument: '', run: () => true },
    transformations: [],
    transformationNames: [],
    transformationSteps: [],
    actions: [],
    disruptive: undefined,
    status: undefined,
    redirect: undefined,
    msg: undefined,
    logdata: undefined,
    severity: undefined,
    tags: [],
    ver: undefined,
    rev: undefined,
    maturity: undefined,
    accuracy: undefined,
    log: undefined,
    auditlog: undefined,
    capture: false,
    multiMatch: false,
    chainStarter: false,
    chained: undefined,
    parent: undefined,
    skip: 0,
    skipAfter: undefined,
    resetTransformations: false,
    explicitPhase: false,
  };
}

function transformation(name: string | undefined): Transformation {
  const fn = getTransformation(name ?? '');
  if (!fn) throw new Error(`unknown transformation "t:${name ?? ''}"`);
  return fn;
}

function onOff(v: string | undefined, directive: string): boolean {
  return enumArg(v, ['On', 'Off'], directive) === 'On';
}

function enumArg<T extends string>(v: string | undefined, allowed: readonly T[], directive: string): T {
  const hit = allowed.find((x) => x.toLowerCase() === (v ?? '').toLowerCase());
  if (!hit) throw new Error(`${directive} expects one of ${allowed.join(', ')}, got "${v ?? ''}"`);
  return hit;
}

function intArg(v: string | undefined, directive: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${directive} expects a non-negative integer, got "${v ?? ''}"`);
  return n;
}

/** Expands a glob in the last path component (`rules/*.conf`), sorted like ModSecurity does. */
function expandGlob(pattern: string): string[] {
  const dir = dirname(pattern);
  if (!existsSync(dir)) return [];
  const re = new RegExp(
    '^' +
      basename(pattern)
        .replace(/[.+^${}()|\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.') +
      '$',
  );
  return readdirSync(dir)
    .filter((f) => re.test(f))
    .sort()
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile());
}
