import type { FilterResult, HttpFilter, HttpFilterContext, HttpFilterFactory } from '@trellis/proxy';
import { crsDirectives, TRELLIS_DEFAULT_PROFILE, Waf, type Interruption, type Transaction } from '@trellis/waf';

export const WAF_TYPE_URL = 'type.googleapis.com/trellis.waf.v1.Waf';
/** Per-request metadata key where the WAF leaves its audit event for the access log. */
export const WAF_METADATA_KEY = 'waf';
/** Names the rule that blocked a request. */
export const WAF_BLOCKED_BY_HEADER = 'x-trellis-waf-rule';
/** Matched data is cut to this length in audit events: enough to recognise, too short to leak a secret. */
const MATCHED_DATA_LIMIT = 64;

/** trellis.waf.v1.Waf as decoded from xDS (proto field names, enums as names). */
export interface WafFilterConfig {
  mode?: 'DETECT' | 'BLOCK';
  rule_set?: 'TRELLIS_DEFAULT' | 'OWASP_CRS';
  exclude_paths?: string[];
  exclude_parameters?: string[];
  paranoia_level?: number;
  anomaly_threshold?: number;
  directives?: string[];
  exclude_rule_ids?: number[];
  exclude_tags?: string[];
  policy?: string;
  crs_load_file?: string;
}

export interface WafAuditEvent {
  policy: string;
  mode: 'DETECT' | 'BLOCK';
  blocked: boolean;
  /** The rule whose disruptive action decided (CRS: 949110, the anomaly score check). */
  ruleId?: number;
  anomalyScore: number;
  matched: { id: number; msg: string; data: string }[];
}

/** The attack tags of the built-in profile's rules that read parameters. */
const DEFAULT_PROFILE_TAGS = ['attack-sqli', 'attack-xss', 'attack-lfi', 'attack-rce'];

const quote = (value: string) => `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/** Paths the WAF skips: a phase-1 rule ahead of every other turns the engine off for the request. */
function pathExclusions(paths: string[]): string[] {
  return paths.map((p, i) => {
    const operator = p.endsWith('*') ? `@beginsWith ${p.slice(0, -1)}` : `@streq ${p}`;
    return `SecRule REQUEST_FILENAME ${quote(operator)} "id:${1090000 + i},phase:1,t:none,pass,nolog,ctl:ruleEngine=Off"`;
  });
}

function directivesFor(config: WafFilterConfig): string {
  const engine = config.mode === 'BLOCK' ? 'SecRuleEngine On' : 'SecRuleEngine DetectionOnly';
  const crs = config.rule_set === 'OWASP_CRS';
  const tuning = [
    ...(config.exclude_rule_ids?.length ? [`SecRuleRemoveById ${config.exclude_rule_ids.join(' ')}`] : []),
    ...(config.exclude_tags ?? []).map((tag) => `SecRuleRemoveByTag ${quote(tag)}`),
    // Parameters no rule should read: every rule of the profile loses them as targets.
    ...(config.exclude_parameters ?? []).flatMap((name) =>
      (crs ? ['OWASP_CRS'] : DEFAULT_PROFILE_TAGS).map((tag) => `SecRuleUpdateTargetByTag ${quote(tag)} ${quote(`!ARGS:${name}`)}`)),
    ...(config.directives ?? []),
  ].join('\n');
  const before = pathExclusions(config.exclude_paths ?? []);
  if (!crs) {
    const profile = TRELLIS_DEFAULT_PROFILE.replace(/^SecRuleEngine On$/m, engine).split('\n');
    // Exclusions go right after the engine settings, ahead of the profile's rules.
    return [...profile.slice(0, 2), ...before, ...profile.slice(2), tuning].join('\n');
  }
  // CRS allows only GET HEAD POST OPTIONS by default; mesh traffic is mostly APIs.
  before.push(`SecAction "id:900200,phase:1,nolog,pass,t:none,setvar:'tx.allowed_methods=GET HEAD POST OPTIONS PUT PATCH DELETE'"`);
  if (config.anomaly_threshold) {
    before.push(`SecAction "id:900110,phase:1,nolog,pass,t:none,setvar:tx.inbound_anomaly_score_threshold=${config.anomaly_threshold}"`);
  }
  return crsDirectives({
    paranoiaLevel: config.paranoia_level || 1,
    ...(config.crs_load_file ? { loadFile: config.crs_load_file } : {}),
    ...(before.length ? { before: before.join('\n') } : {}),
    after: tuning,
  }).replace(/^SecRuleEngine On$/m, engine);
}

/**
 * Compiling the CRS takes a while; listeners are rebuilt on every config change,
 * so each distinct rule set is compiled once per process and shared.
 */
const compiled = new Map<string, Waf>();

function wafFor(directives: string): Waf {
  let waf = compiled.get(directives);
  if (!waf) {
    waf = Waf.fromDirectives(directives);
    compiled.set(directives, waf);
  }
  return waf;
}

function headerList(ctx: HttpFilterContext): [string, string][] {
  const list: [string, string][] = [];
  ctx.headers.forEach((name, value) => list.push([name, value]));
  if (!ctx.headers.has('host')) list.push(['host', ctx.authority]);
  return list;
}

/**
 * The WAF as an HTTP filter: request headers (phase 1) and the buffered body
 * (phase 2) go through the rules; in BLOCK mode a disruptive decision becomes a
 * 403 naming the rule, in DETECT mode it is only reported. Every request with a
 * match leaves an audit event (rule ids, matched data cut short, anomaly score).
 */
export const wafFilterFactory: HttpFilterFactory = {
  create(typedConfig: unknown): HttpFilter {
    const config = (typedConfig ?? {}) as WafFilterConfig;
    const mode = config.mode === 'BLOCK' ? 'BLOCK' : 'DETECT';
    const waf = wafFor(directivesFor(config));
    const transactions = new WeakMap<HttpFilterContext, Transaction>();

    const decide = (ctx: HttpFilterContext, tx: Transaction, interruption: Interruption | null, final: boolean): FilterResult => {
      if (!interruption && !final) return 'continue';
      const event: WafAuditEvent = {
        policy: config.policy ?? '',
        mode,
        blocked: !!interruption && mode === 'BLOCK',
        ...(interruption ? { ruleId: interruption.ruleId } : {}),
        anomalyScore: tx.anomalyScore,
        matched: tx.matchedRules.filter((r) => r.logged).map((r) => ({ id: r.id, msg: r.msg, data: r.data.slice(0, MATCHED_DATA_LIMIT) })),
      };
      if (event.matched.length > 0 || interruption) ctx.metadata.set(WAF_METADATA_KEY, event);
      if (!interruption || mode !== 'BLOCK') return 'continue';
      return {
        localReply: {
          status: 403,
          headers: { [WAF_BLOCKED_BY_HEADER]: String(interruption.ruleId), 'content-type': 'text/plain' },
          body: `Request blocked by the WAF (rule ${interruption.ruleId}, request id ${ctx.requestId})\n`,
        },
      };
    };

    return {
      onRequestHeaders(ctx) {
        const tx = waf.newTransaction({ id: ctx.requestId, clientIp: ctx.peer.address, serverPort: ctx.local.port });
        const version = ctx.protocol === 'h2' ? 'HTTP/2.0' : 'HTTP/1.1';
        const early = tx.processRequestHeaders(ctx.method, ctx.path, version, headerList(ctx));
        // An HTTP/1.1 request without Content-Length or Transfer-Encoding has no body: no body
        // callback will come, so phase 2 (where most rules read the arguments) runs now.
        if (!early && ctx.protocol !== 'h2' && !ctx.headers.has('content-length') && !ctx.headers.has('transfer-encoding')) {
          return decide(ctx, tx, tx.processRequestBody(), true);
        }
        transactions.set(ctx, tx);
        return decide(ctx, tx, early, false);
      },
      onRequestBody(ctx, chunk, endOfStream) {
        const tx = transactions.get(ctx);
        if (!tx) return 'continue';
        const early = tx.appendRequestBody(chunk);
        if (early) return decide(ctx, tx, early, true);
        return endOfStream ? decide(ctx, tx, tx.processRequestBody(), true) : 'continue';
      },
    };
  },
};
