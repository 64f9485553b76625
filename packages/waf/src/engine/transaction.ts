import { Collection, newEntry, type Entry } from '../collections/collection';
import type { PersistentRecord } from '../collections/persistent';
import { toByteString } from '../bytes';
import { getVariable } from '../variables/registry';
import { processBody } from '../bodyprocessors/registry';
import type { Macro } from './macro';
import type { Disruptive, OperatorContext, Phase, Rule, TargetExclusion } from './rule';
import type { RuleEngineMode, RuleSet } from './ruleset';
import { parseCookies, parseUrlEncoded, uriDecode } from './request-line';

export interface TransactionOptions {
  id?: string;
  clientIp?: string;
  clientPort?: number;
  serverPort?: number;
}

/** A request the WAF stopped: the HTTP status to answer with and the rule that decided it. */
export interface Interruption {
  readonly status: number;
  readonly ruleId: number;
  readonly action: 'deny' | 'drop' | 'redirect';
  readonly url?: string;
  /** Why the engine itself stopped the request when no rule did (ruleId 0): a body limit. */
  readonly reason?: string;
}

export interface MatchedRule {
  readonly id: number;
  readonly phase: Phase;
  readonly msg: string;
  readonly data: string;
  readonly severity?: number;
  readonly tags: readonly string[];
  /** False for rules marked `nolog`: they matched but would not appear in the error log. */
  readonly logged: boolean;
  readonly matchedVar: string;
  readonly matchedVarName: string;
}

export type HeaderList = Iterable<readonly [string, string]> | Record<string, string | string[]>;

/**
 * Receives the values a rule's targets select; the name (`ARGS:id`) is built only on a match.
 * `memo` holds the value's cached transformations: on its entry, for the value or (`ofKey`) the key.
 */
interface ValueVisitor {
  visit(variable: string, key: string | undefined, value: string, memo: Entry | undefined, ofKey: boolean): void;
}

/** Values collected before a link that reads MATCHED_VARS is evaluated. */
class ValueSnapshot implements ValueVisitor {
  private readonly values: [string, string | undefined, string, Entry | undefined, boolean][] = [];
  visit(variable: string, key: string | undefined, value: string, memo: Entry | undefined, ofKey: boolean): void {
    this.values.push([variable, key, value, memo, ofKey]);
  }
  replay(to: ValueVisitor): void {
    for (const [variable, key, value, memo, ofKey] of this.values) to.visit(variable, key, value, memo, ofKey);
  }
}

let uniqueCounter = 0;

/** Evaluates one HTTP exchange against a RuleSet. All per-request state lives here. */
export class Transaction implements OperatorContext, ValueVisitor {
  readonly id: string;
  readonly matchedRules: MatchedRule[] = [];
  interruption: Interruption | null = null;

  ruleEngine: RuleEngineMode;
  requestBodyAccess: boolean;
  requestBodyLimit: number;
  requestBodyProcessor: string | undefined;

  /** Persistent collections opened by initcol, by name (IP, GLOBAL …). */
  readonly persistentRecords = new Map<string, PersistentRecord>();
  private readonly collections = new Map<string, Collection>();
  private readonly singles = new Map<string, Entry>();
  private readonly removedRanges: [number, number][] = [];
  private readonly removedTags = new Set<string>();
  private readonly removedMsgs: string[] = [];
  private readonly removedTargetsById = new Map<number, TargetExclusion[]>();
  private readonly removedTargetsByTag: { tag: string; exclusion: TargetExclusion }[] = [];
  private readonly removedTargetsByMsg: { msg: string; exclusion: TargetExclusion }[] = [];
  private readonly requestBody: Buffer[] = [];
  private readonly responseBody: Buffer[] = [];
  private requestBodyBytes = 0;
  private argumentsBudget: { left: number } | undefined;
  private lastPhase = 0;
  /** Set by `allow`: the last phase whose rules are skipped. */
  private allowedThrough = 0;

  // OperatorContext: the rule being evaluated.
  rule!: Rule;
  /** Whether the link being evaluated has matched a value yet. */
  private linkMatched = false;
  get tx(): Transaction {
    return this;
  }

  constructor(
    private readonly rules: RuleSet,
    options: TransactionOptions = {},
  ) {
    const cfg = rules.config;
    this.ruleEngine = cfg.ruleEngine;
    this.requestBodyAccess = cfg.requestBodyAccess;
    this.requestBodyLimit = cfg.requestBodyLimit;
    this.id = options.id ?? `${Date.now().toString(36)}${(uniqueCounter++).toString(36)}`;
    const now = new Date();
    this.setSingle('UNIQUE_ID', this.id);
    this.setSingle('REMOTE_ADDR', options.clientIp ?? '127.0.0.1');
    this.setSingle('REMOTE_PORT', String(options.clientPort ?? 0));
    this.setSingle('SERVER_PORT', String(options.serverPort ?? 80));
    this.setSingle('TIME_EPOCH', String(Math.floor(now.getTime() / 1000)));
    this.setSingle('DURATION', '0');
  }

  // ---- variable access ---------------------------------------------------------------

  collection(name: string): Collection {
    let c = this.collections.get(name);
    if (!c) this.collections.set(name, (c = this.newCollection(name)));
    return c;
  }

  /** Arguments past SecArgumentsLimit are dropped as libmodsecurity v3 drops them: from ARGS and its parts alike. */
  private newCollection(name: string): Collection {
    const limit = this.rules.config.argumentsLimit;
    if (limit === undefined || (name !== 'ARGS' && name !== 'ARGS_GET' && name !== 'ARGS_POST')) return new Collection();
    this.argumentsBudget ??= { left: limit };
    return new Collection(this.argumentsBudget, name === 'ARGS');
  }

  /** Binds a persistent collection (IP, GLOBAL …) opened by initcol. */
  bindCollection(name: string, data: Collection): void {
    this.collections.set(name, data);
  }

  single(name: string): string | undefined {
    return this.singles.get(name)?.value;
  }

  singleEntry(name: string): Entry | undefined {
    return this.singles.get(name);
  }

  /** An unchanged value keeps its entry, and with it the transformations cached on it. */
  setSingle(name: string, value: string): void {
    if (this.singles.get(name)?.value !== value) this.singles.set(name, newEntry(name, value));
  }

  get store() {
    return this.rules.store;
  }

  /** TX:anomaly_score as a number (CRS anomaly scoring). */
  get anomalyScore(): number {
    return Number(this.collection('TX').first('anomaly_score') ?? 0) || 0;
  }

  // ---- per-transaction rule changes (ctl) ----------------------------------------------

  removeRuleRange(from: number, to: number): void {
    this.removedRanges.push([from, to]);
  }
  removeRulesByTag(tag: string): void {
    this.removedTags.add(tag);
  }
  removeRulesByMsg(msg: string): void {
    this.removedMsgs.push(msg);
  }
  removeTargetById(id: number, exclusion: TargetExclusion): void {
    const list = this.removedTargetsById.get(id);
    if (list) list.push(exclusion);
    else this.removedTargetsById.set(id, [exclusion]);
  }
  removeTargetByTag(tag: string, exclusion: TargetExclusion): void {
    this.removedTargetsByTag.push({ tag, exclusion });
  }
  removeTargetByMsg(msg: string, exclusion: TargetExclusion): void {
    this.removedTargetsByMsg.push({ msg, exclusion });
  }

  private isRemoved(rule: Rule): boolean {
    for (const [from, to] of this.removedRanges) if (rule.id >= from && rule.id <= to) return true;
    if (this.removedTags.size && rule.tags.some((t) => this.removedTags.has(t))) return true;
    if (this.removedMsgs.length && rule.msg && this.removedMsgs.includes(rule.msg.text)) return true;
    return false;
  }

  // ---- request / response processing ---------------------------------------------------

  processConnection(clientIp: string, clientPort: number, serverIp: string, serverPort: number): void {
    this.setSingle('REMOTE_ADDR', clientIp);
    this.setSingle('REMOTE_PORT', String(clientPort));
    this.setSingle('SERVER_ADDR', serverIp);
    this.setSingle('SERVER_PORT', String(serverPort));
  }

  /** Phase 1. `uri` is the raw request target as sent; `httpVersion` is `1.1` or `HTTP/1.1`. */
  processRequestHeaders(method: string, uri: string, httpVersion: string, headers: HeaderList): Interruption | null {
    method = toByteString(method);
    uri = toByteString(uri);
    const protocol = httpVersion.startsWith('HTTP/') ? httpVersion : `HTTP/${httpVersion}`;
    this.setSingle('REQUEST_METHOD', method);
    this.setSingle('REQUEST_PROTOCOL', protocol);
    this.setSingle('REQUEST_LINE', `${method} ${uri} ${protocol}`);
    this.setSingle('REQUEST_URI_RAW', uri);
    const q = uri.indexOf('?');
    const rawPath = q < 0 ? uri : uri.slice(0, q);
    let decodedUri = uriDecode(uri);
    const scheme = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/]*/.exec(decodedUri);
    if (scheme) decodedUri = decodedUri.slice(scheme[0].length) || '/';
    this.setSingle('REQUEST_URI', decodedUri);
    let path = uriDecode(rawPath);
    const pathScheme = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/]*/.exec(path);
    if (pathScheme) path = path.slice(pathScheme[0].length);
    this.setSingle('REQUEST_FILENAME', path);
    const slash = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
    this.setSingle('REQUEST_BASENAME', slash >= 0 ? path.slice(slash + 1) : path);
    this.setSingle('PATH_INFO', path);
    if (q >= 0) {
      const query = uri.slice(q + 1);
      this.setSingle('QUERY_STRING', query);
      parseUrlEncoded(query, [this.collection('ARGS_GET'), this.collection('ARGS')]);
    } else this.setSingle('QUERY_STRING', '');

    const hdrs = this.collection('REQUEST_HEADERS');
    const cookies = this.collection('REQUEST_COOKIES');
    for (const [name, value] of headerEntries(headers)) {
      const n = toByteString(name);
      const v = toByteString(value);
      hdrs.add(n, v);
      if (n.toLowerCase() === 'cookie') parseCookies(v, cookies);
    }
    this.setSingle('SERVER_NAME', (hdrs.first('host') ?? '').replace(/:\d+$/, ''));
    this.updateArgsSize();
    return this.runPhase(1);
  }

  /**
   * Buffers body bytes up to SecRequestBodyLimit. Past it, INBOUND_DATA_ERROR is set and only
   * the first SecRequestBodyLimit bytes are kept; `Reject` with the engine On interrupts with
   * 413 (ModSecurity v2 and Coraza's status; v3 answers 403, less clear to a client).
   */
  appendRequestBody(chunk: string | Buffer | Uint8Array): Interruption | null {
    const buf = typeof chunk === 'string' ? Buffer.from(toByteString(chunk), 'latin1') : Buffer.from(chunk);
    const room = this.requestBodyLimit - this.requestBodyBytes;
    this.requestBodyBytes += buf.length;
    if (buf.length <= room) {
      this.requestBody.push(buf);
      return null;
    }
    if (room > 0) this.requestBody.push(buf.subarray(0, room));
    return this.bodyLimitExceeded(`SecRequestBodyLimit (${this.requestBodyLimit} bytes)`);
  }

  /** The body kept so far (at most SecRequestBodyLimit bytes), and whether more was sent. */
  requestBodySoFar(): { body: Buffer; truncated: boolean } {
    const body = Buffer.concat(this.requestBody);
    return { body, truncated: this.requestBodyBytes > body.length };
  }

  private bodyLimitExceeded(limit: string): Interruption | null {
    this.setSingle('INBOUND_DATA_ERROR', '1');
    if (this.interruption || this.rules.config.requestBodyLimitAction !== 'Reject' || this.ruleEngine !== 'On') return null;
    this.interruption = { status: 413, ruleId: 0, action: 'deny', reason: `request body exceeds ${limit}` };
    return this.interruption;
  }

  /** Phase 2: parses the body (urlencoded, multipart, JSON, XML) when body access is on. */
  processRequestBody(): Interruption | null {
    if (this.interruption) return this.interruption;
    if (this.requestBodyAccess) {
      let body = Buffer.concat(this.requestBody).toString('latin1');
      const contentType = this.collection('REQUEST_HEADERS').first('content-type') ?? '';
      const noFilesLimit = this.rules.config.requestBodyNoFilesLimit;
      const multipart = /^multipart\/form-data/i.test(contentType);
      // Outside multipart the whole body is "no files" data; ProcessPartial inspects its head.
      if (noFilesLimit !== undefined && !multipart && body.length > noFilesLimit) {
        if (this.bodyLimitExceeded(`SecRequestBodyNoFilesLimit (${noFilesLimit} bytes)`)) return this.interruption;
        body = body.slice(0, noFilesLimit);
      }
      this.setSingle('REQUEST_BODY_LENGTH', String(body.length));
      processBody(this, body, contentType);
      this.updateArgsSize();
      if (noFilesLimit !== undefined && multipart) {
        const fieldBytes = body.length - Number(this.single('FILES_COMBINED_SIZE') ?? 0);
        if (fieldBytes > noFilesLimit && this.bodyLimitExceeded(`SecRequestBodyNoFilesLimit (${noFilesLimit} bytes)`)) return this.interruption;
      }
    }
    return this.runPhase(2);
  }

  /** Phase 3. */
  processResponseHeaders(status: number, headers: HeaderList, protocol = 'HTTP/1.1'): Interruption | null {
    this.setSingle('RESPONSE_STATUS', String(status));
    this.setSingle('RESPONSE_PROTOCOL', protocol);
    this.setSingle('STATUS_LINE', `${protocol} ${status}`);
    const hdrs = this.collection('RESPONSE_HEADERS');
    for (const [name, value] of headerEntries(headers)) hdrs.add(toByteString(name), toByteString(value));
    const ct = hdrs.first('content-type');
    if (ct !== undefined) this.setSingle('RESPONSE_CONTENT_TYPE', ct);
    const cl = hdrs.first('content-length');
    if (cl !== undefined) this.setSingle('RESPONSE_CONTENT_LENGTH', cl);
    return this.runPhase(3);
  }

  appendResponseBody(chunk: string | Buffer | Uint8Array): void {
    this.responseBody.push(typeof chunk === 'string' ? Buffer.from(toByteString(chunk), 'latin1') : Buffer.from(chunk));
  }

  /** Phase 4. */
  processResponseBody(): Interruption | null {
    if (this.rules.config.responseBodyAccess) {
      const body = Buffer.concat(this.responseBody).toString('latin1').slice(0, this.rules.config.responseBodyLimit);
      this.setSingle('RESPONSE_BODY', body);
    }
    return this.runPhase(4);
  }

  /** Phase 5 (logging): never interrupts. */
  processLogging(): void {
    this.runPhase(5);
  }

  private updateArgsSize(): void {
    let size = 0;
    for (const e of this.collection('ARGS').all()) size += e.key.length + e.value.length;
    this.setSingle('ARGS_COMBINED_SIZE', String(size));
  }

  // ---- rule evaluation --------------------------------------------------------------------

  private runPhase(phase: Phase): Interruption | null {
    if (this.interruption) return this.interruption;
    if (this.ruleEngine === 'Off' || phase <= this.lastPhase) return null;
    this.lastPhase = phase;
    if (phase <= this.allowedThrough) return null;
    const rules = this.rules.phases[phase];
    let skipTo: string | undefined;
    let skip = 0;
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i]!;
      if (skipTo !== undefined) {
        if (rule.marker === skipTo) skipTo = undefined;
        continue;
      }
      if (rule.marker !== undefined) continue;
      if (skip > 0) {
        skip--;
        continue;
      }
      if (this.isRemoved(rule)) continue;
      if (!this.evaluateChain(rule)) continue;
      const outcome = this.onMatch(rule, phase);
      if (outcome === 'stop') return this.interruption;
      if (outcome === 'allow') return null;
      if (rule.skipAfter !== undefined) skipTo = rule.skipAfter;
      else if (rule.skip > 0) skip = rule.skip;
    }
    return null;
  }

  /** Evaluates a rule and its chained rules; true when every link matched. */
  private evaluateChain(rule: Rule): boolean {
    for (let link: Rule | undefined = rule; link; link = link.chained) {
      if (!this.evaluateLink(link, rule)) return false;
    }
    return true;
  }

  /**
   * Runs one link's operator over every value its targets select. Values are visited in place
   * (no per-value allocation); a link that itself reads MATCHED_VARS first takes a snapshot,
   * because evaluating it replaces them.
   */
  private evaluateLink(link: Rule, starter: Rule): boolean {
    this.rule = link;
    if (link.targets.length === 0) {
      // SecAction: unconditional, its actions run once.
      for (const action of link.actions) action(this, link);
      return true;
    }
    const extra = this.extraExclusions(starter);
    this.linkMatched = false;
    if (link.readsMatchedVars) {
      const snapshot = new ValueSnapshot();
      this.visitTargets(link, extra, snapshot);
      this.matchedVars().clear();
      snapshot.replay(this);
    } else {
      this.matchedVars().clear();
      this.visitTargets(link, extra, this);
    }
    return this.linkMatched;
  }

  private matchedVars(): Collection {
    return this.collection('MATCHED_VARS');
  }

  /** ValueVisitor: transforms one value and runs the current rule's operator on it. */
  visit(variable: string, key: string | undefined, raw: string, memo: Entry | undefined, ofKey: boolean): void {
    const link = this.rule;
    const op = link.operator;
    if (link.multiMatch) {
      for (const candidate of this.transformAll(link, raw, memo, ofKey)) {
        if (op.run(candidate, this) !== op.negated) {
          this.onValueMatch(link, variable, key, candidate);
          return;
        }
      }
      return;
    }
    const value = this.transform(link, raw, memo, ofKey);
    if (op.run(value, this) !== op.negated) this.onValueMatch(link, variable, key, value);
  }

  /**
   * Records a matched value and runs the link's actions (setvar …) for it, as libmodsecurity
   * does: once per matched value, with that value's captures, and before later links of the
   * chain are evaluated (CRS 920450 sets tx.header_name_<name> for every header name).
   */
  private onValueMatch(link: Rule, variable: string, key: string | undefined, value: string): void {
    const name = key === undefined ? variable : `${variable}:${key}`;
    this.setSingle('MATCHED_VAR', value);
    this.setSingle('MATCHED_VAR_NAME', name);
    this.matchedVars().add(name, value);
    this.linkMatched = true;
    for (const action of link.actions) action(this, link);
  }

  /**
   * Applies the rule's transformations, each chain prefix at most once per value: CRS applies a
   * few dozen chains, mostly sharing prefixes, to the same values. Results are cached on the
   * value's entry by prefix id, so a cached chain costs an array read, not a string-keyed look-up.
   */
  private transform(rule: Rule, value: string, memo: Entry | undefined, ofKey: boolean): string {
    const steps = rule.transformationSteps;
    const n = steps.length;
    if (n === 0) return value;
    const fns = rule.transformations;
    if (memo === undefined) {
      // Counts (`&ARGS`) have no entry; they are short numbers.
      let out = value;
      for (let i = 0; i < n; i++) out = fns[i]!(out);
      return out;
    }
    const cache = transformedCache(memo, ofKey);
    let done = n;
    let out: string | undefined;
    while (done > 0 && (out = cache[steps[done - 1]!]) === undefined) done--;
    if (out === undefined) out = value;
    for (let i = done; i < n; i++) cache[steps[i]!] = out = fns[i]!(out);
    return out;
  }

  /**
   * multiMatch: the value before and after every transformation that changed it. After
   * transform() the entry's cache holds every prefix of the chain, which are those values.
   */
  private transformAll(rule: Rule, value: string, memo: Entry | undefined, ofKey: boolean): string[] {
    const out = [value];
    let current = value;
    if (memo !== undefined) {
      this.transform(rule, value, memo, ofKey);
      const cache = transformedCache(memo, ofKey);
      for (const id of rule.transformationSteps) {
        const next = cache[id]!;
        if (next !== current) out.push(next);
        current = next;
      }
      return out;
    }
    for (const t of rule.transformations) {
      const next = t(current);
      if (next !== current) out.push(next);
      current = next;
    }
    return out;
  }

  /** Calls `visitor.visit` for every value the rule's targets select, exclusions applied. */
  private visitTargets(rule: Rule, extra: TargetExclusion[] | undefined, visitor: ValueVisitor): void {
    const own = rule.exclusions;
    const checkExclusions = own.length > 0 || extra !== undefined;
    for (const target of rule.targets) {
      const def = target.def;
      if (def.kind === 'single') {
        const entry = def.entry(this);
        if (target.count) visitor.visit(`&${target.variable}`, undefined, entry === undefined ? '0' : '1', undefined, false);
        else if (entry !== undefined && !(checkExclusions && isExcluded(own, extra, target.variable, ''))) {
          visitor.visit(target.variable, undefined, entry.value, entry, false);
        }
        continue;
      }
      const coll = def.get(this);
      const entries = coll.size === 0 ? coll.all() : target.keyLower !== undefined ? coll.getLower(target.keyLower) : coll.all();
      const keyRegex = target.keyRegex;
      if (target.count) {
        let n = 0;
        for (const e of entries) if (!keyRegex || keyRegex.test(e.key)) n++;
        visitor.visit(`&${target.variable}`, undefined, String(n), undefined, false);
        continue;
      }
      const names = def.kind === 'names';
      const excludes = checkExclusions && mayExclude(own, extra, target.variable);
      for (let i = 0; i < entries.length; i++) {
        const e = entries[i]!;
        if (keyRegex && !keyRegex.test(e.key)) continue;
        if (excludes && isExcluded(own, extra, target.variable, e.key)) continue;
        visitor.visit(target.variable, e.key, names ? e.key : e.value, e, names);
      }
    }
  }

  private extraExclusions(starter: Rule): TargetExclusion[] | undefined {
    if (this.removedTargetsById.size === 0 && this.removedTargetsByTag.length === 0 && this.removedTargetsByMsg.length === 0) return undefined;
    let out: TargetExclusion[] | undefined = this.removedTargetsById.get(starter.id);
    if (this.removedTargetsByTag.length) {
      for (const r of this.removedTargetsByTag) if (starter.tags.includes(r.tag)) (out = out ? [...out] : []).push(r.exclusion);
    }
    if (this.removedTargetsByMsg.length && starter.msg) {
      for (const r of this.removedTargetsByMsg) if (starter.msg.text === r.msg) (out = out ? [...out] : []).push(r.exclusion);
    }
    return out;
  }

  /** Logs a matched rule and applies its disruptive action. */
  private onMatch(rule: Rule, phase: Phase): 'continue' | 'stop' | 'allow' {
    this.rule = rule;
    const logged = rule.log ?? true;
    if (rule.id) {
      this.matchedRules.push({
        id: rule.id,
        phase,
        msg: rule.msg ? this.expand(rule.msg) : '',
        data: rule.logdata ? this.expand(rule.logdata) : '',
        severity: rule.severity,
        tags: rule.tags,
        logged,
        matchedVar: this.single('MATCHED_VAR') ?? '',
        matchedVarName: this.single('MATCHED_VAR_NAME') ?? '',
      });
      if (rule.severity !== undefined) {
        const highest = Number(this.single('HIGHEST_SEVERITY') ?? 255);
        if (rule.severity < highest) this.setSingle('HIGHEST_SEVERITY', String(rule.severity));
      }
    }
    const { disruptive, status } = this.resolveDisruptive(rule, phase);
    switch (disruptive.kind) {
      case 'deny':
      case 'drop':
      case 'redirect':
        if (this.ruleEngine !== 'On') return 'continue';
        this.interruption = {
          status: disruptive.kind === 'redirect' ? (status && status >= 300 && status < 400 ? status : 302) : (status ?? 403),
          ruleId: rule.id,
          action: disruptive.kind,
          ...(disruptive.kind === 'redirect' && rule.redirect ? { url: this.expand(rule.redirect) } : {}),
        };
        return 'stop';
      case 'allow':
        if (this.ruleEngine !== 'On') return 'continue';
        this.allowedThrough = disruptive.allowScope === 'phase' ? phase : disruptive.allowScope === 'request' ? 2 : 4;
        return 'allow';
      default:
        return 'continue';
    }
  }

  private resolveDisruptive(rule: Rule, phase: Phase): { disruptive: Disruptive; status?: number } {
    const fallback = this.rules.config.defaultDisruptive[phase];
    if (rule.disruptive && rule.disruptive.kind !== 'block') return { disruptive: rule.disruptive, status: rule.status ?? fallback?.status };
    if (fallback && fallback.disruptive.kind !== 'block') return { disruptive: fallback.disruptive, status: rule.status ?? fallback.status };
    return { disruptive: { kind: 'pass' } };
  }

  // ---- OperatorContext ---------------------------------------------------------------------

  expand(macro: Macro): string {
    if (macro.literal) return macro.text;
    let out = '';
    for (const part of macro.parts) out += typeof part === 'string' ? part : this.resolveReference(part.variable, part.key);
    return out;
  }

  capture(groups: readonly (string | undefined)[]): void {
    const tx = this.collection('TX');
    for (let i = 0; i < groups.length && i < 10; i++) tx.set(String(i), groups[i] ?? '');
  }

  /** Value of `%{VARIABLE}` / `%{COLLECTION.key}`; missing values expand to ''. */
  resolveReference(variable: string, key?: string): string {
    if (variable === 'RULE') return this.ruleField(key?.toLowerCase() ?? '');
    const def = getVariable(variable);
    if (!def) return '';
    if (def.kind === 'single') return def.get(this) ?? '';
    const coll = def.get(this);
    if (key === undefined) return '';
    return coll.first(key) ?? '';
  }

  private ruleField(field: string): string {
    const r = this.rule.parent ?? this.rule;
    switch (field) {
      case 'id':
        return String(r.id);
      case 'msg':
        return r.msg ? r.msg.text : '';
      case 'severity':
        return r.severity === undefined ? '' : String(r.severity);
      case 'logdata':
        return r.logdata ? this.expand(r.logdata) : '';
      case 'phase':
        return String(r.phase);
      case 'rev':
        return r.rev ?? '';
      case 'ver':
        return r.ver ?? '';
      case 'maturity':
        return r.maturity === undefined ? '' : String(r.maturity);
      case 'accuracy':
        return r.accuracy === undefined ? '' : String(r.accuracy);
      default:
        return '';
    }
  }
}

function isExcluded(own: readonly TargetExclusion[], extra: readonly TargetExclusion[] | undefined, variable: string, key: string): boolean {
  return matchesExclusion(own, variable, key) || (extra !== undefined && matchesExclusion(extra, variable, key));
}

function transformedCache(memo: Entry, ofKey: boolean): string[] {
  if (ofKey) return (memo.keyTransformed ??= []);
  return (memo.transformed ??= []);
}

/** Whether any exclusion names `variable`: most targets of a rule with exclusions have none. */
function mayExclude(own: readonly TargetExclusion[], extra: readonly TargetExclusion[] | undefined, variable: string): boolean {
  return names(own, variable) || (extra !== undefined && names(extra, variable));
}

function names(list: readonly TargetExclusion[], variable: string): boolean {
  for (let i = 0; i < list.length; i++) if (list[i]!.variable === variable) return true;
  return false;
}

function matchesExclusion(list: readonly TargetExclusion[], variable: string, key: string): boolean {
  for (const ex of list) {
    if (ex.variable !== variable) continue;
    if (ex.keyRegex) {
      if (ex.keyRegex.test(key)) return true;
    } else if (ex.key === undefined || (ex.key.length === key.length && ex.key.toLowerCase() === key.toLowerCase())) return true;
  }
  return false;
}

function* headerEntries(headers: HeaderList): Iterable<readonly [string, string]> {
  if (Symbol.iterator in headers) {
    yield* headers as Iterable<readonly [string, string]>;
    return;
  }
  for (const [name, value] of Object.entries(headers)) {
    if (Array.isArray(value)) for (const v of value) yield [name, v];
    else yield [name, value];
  }
}
