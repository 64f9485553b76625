import type { FilterResult, HttpFilter, HttpFilterContext, HttpFilterFactory } from '@trellis/proxy';
import { counterFamily } from './counters';
import { crsDirectives, TRELLIS_DEFAULT_PROFILE, Waf, WafWorkerPool, type Interruption, type Transaction, type Verdict } from '@trellis/waf';

export const WAF_TYPE_URL = 'type.googleapis.com/trellis.waf.v1.Waf';
/** Per-request metadata key where the WAF leaves its audit event for the access log. */
export const WAF_METADATA_KEY = 'waf';
/** Names the rule that blocked a request. */
export const WAF_BLOCKED_BY_HEADER = 'x-trellis-waf-rule';
/** Says why the WAF could not judge a request it therefore refused (block mode only). */
export const WAF_ERROR_HEADER = 'x-trellis-waf-error';
/**
 * Requests with more inspectable bytes than this (request target + body) are judged on a worker
 * thread. Measured with CRS 3.3.4 PL1 (test/bench/waf-pathological.bench.js): a benign 1 KB form
 * costs ~1 ms inline, about the worker hop; past 4 KB a hostile body costs tens of ms, a
 * stall every other request on the event loop would wait out.
 */
const DEFAULT_OFFLOAD_THRESHOLD = 4 * 1024;
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
  /** Requests with more bytes to inspect are judged on a worker thread (default 4 KiB; -1: never). */
  offload_threshold_bytes?: number;
  /** Worker threads per rule set (default 1). */
  offload_workers?: number;
  /** CPU ms a worker evaluation may use before it is abandoned and the request refused in BLOCK mode (default 2000). */
  offload_timeout_ms?: number;
}

export interface WafAuditEvent {
  policy: string;
  mode: 'DETECT' | 'BLOCK';
  blocked: boolean;
  /** The rule whose disruptive action decided (CRS: 949110, the anomaly score check). */
  ruleId?: number;
  anomalyScore: number;
  matched: { id: number; msg: string; data: string }[];
  /** Set when the request could not be judged (worker died, overran or was busy). */
  error?: string;
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
 * so each distinct rule set is compiled once per process (and once per worker) and shared.
 */
const compiled = new Map<string, Waf>();
const pools = new Map<string, WafWorkerPool>();

function wafFor(directives: string): Waf {
  let waf = compiled.get(directives);
  if (!waf) {
    waf = Waf.fromDirectives(directives);
    compiled.set(directives, waf);
  }
  return waf;
}

function poolFor(directives: string, config: WafFilterConfig): WafWorkerPool {
  const options = { workers: config.offload_workers || 1, timeoutMs: config.offload_timeout_ms || 2000 };
  const key = `${options.workers} ${options.timeoutMs}\n${directives}`;
  let pool = pools.get(key);
  if (!pool) pools.set(key, (pool = new WafWorkerPool(directives, options)));
  return pool;
}

function headerList(ctx: HttpFilterContext): [string, string][] {
  const list: [string, string][] = [];
  ctx.headers.forEach((name, value) => list.push([name, value]));
  if (!ctx.headers.has('host')) list.push(['host', ctx.authority]);
  return list;
}

const httpVersion = (ctx: HttpFilterContext) => (ctx.protocol === 'h2' ? 'HTTP/2.0' : 'HTTP/1.1');

/** One request's WAF state, from its headers hook to the end of its body. */
interface RequestState {
  tx: Transaction;
  /** Body bytes received, for the offload decision (the Transaction keeps at most its limit). */
  bodyBytes: number;
}

/**
 * The WAF as an HTTP filter: request headers (phase 1) and the buffered body
 * (phase 2) go through the rules; in BLOCK mode a disruptive decision becomes a
 * 403 naming the rule, in DETECT mode it is only reported. Every request with a
 * match leaves an audit event (rule ids, matched data cut short, anomaly score).
 *
 * Phase 2 of a request with more than `offload_threshold_bytes` to inspect runs on a
 * worker thread, so a huge or hostile body cannot stall the proxy's other requests: the
 * body hook answers the end of the body with a promise, over HTTP/1.1 and HTTP/2 alike (a
 * bodiless request is judged by the headers hook, as no body hook follows). The
 * headers hook never waits for the body, so the proxy can answer `Expect: 100-continue`
 * before the client sends it. If the worker cannot answer (died, overran, busy) the request
 * fails closed in BLOCK mode (503 saying why: the operator asked for enforcement, and an
 * unjudged request may be the attack that killed the worker) and open in DETECT mode
 * (which promises never to change traffic).
 */
export const wafFilterFactory: HttpFilterFactory = {
  create(typedConfig: unknown, env): HttpFilter {
    const config = (typedConfig ?? {}) as WafFilterConfig;
    const mode = config.mode === 'BLOCK' ? 'BLOCK' : 'DETECT';
    const directives = directivesFor(config);
    const waf = wafFor(directives);
    const threshold = config.offload_threshold_bytes ?? DEFAULT_OFFLOAD_THRESHOLD;
    const states = new WeakMap<HttpFilterContext, RequestState>();
    const countVerdict = counterFamily(env, 'waf_verdicts_total', ['policy', 'verdict']);
    const countRuleMatch = counterFamily(env, 'waf_rule_matches_total', ['policy', 'rule']);

    const decide = (ctx: HttpFilterContext, verdict: Verdict, interruption: Interruption | null): FilterResult => {
      const event: WafAuditEvent = {
        policy: config.policy ?? '',
        mode,
        blocked: !!interruption && mode === 'BLOCK',
        ...(interruption ? { ruleId: interruption.ruleId } : {}),
        anomalyScore: verdict.anomalyScore,
        matched: verdict.matchedRules.filter((r) => r.logged).map((r) => ({ id: r.id, msg: r.msg, data: r.data.slice(0, MATCHED_DATA_LIMIT) })),
      };
      if (event.matched.length > 0 || interruption) {
        ctx.metadata.set(WAF_METADATA_KEY, event);
        countVerdict(event.policy, event.blocked ? 'blocked' : 'detected');
        for (const m of event.matched) countRuleMatch(event.policy, String(m.id));
      }
      if (!interruption || mode !== 'BLOCK') return 'continue';
      const why = interruption.reason ?? `rule ${interruption.ruleId}`;
      return {
        localReply: {
          status: interruption.status,
          headers: { [WAF_BLOCKED_BY_HEADER]: String(interruption.ruleId), 'content-type': 'text/plain' },
          body: `Request blocked by the WAF (${why}, request id ${ctx.requestId})\n`,
        },
      };
    };

    const unjudged = (ctx: HttpFilterContext, error: Error): FilterResult => {
      ctx.metadata.set(WAF_METADATA_KEY, { policy: config.policy ?? '', mode, blocked: mode === 'BLOCK', anomalyScore: 0, matched: [], error: error.message } satisfies WafAuditEvent);
      countVerdict(config.policy ?? '', 'unjudged');
      if (mode !== 'BLOCK') return 'continue';
      return {
        localReply: {
          status: 503,
          headers: { [WAF_ERROR_HEADER]: error.message, 'content-type': 'text/plain' },
          body: `Request refused: the WAF could not judge it (${error.message}, request id ${ctx.requestId})\n`,
        },
      };
    };

    /** Phase 2, inline for the common small request, on a worker past the threshold. */
    const judge = (ctx: HttpFilterContext, state: RequestState, tx: Transaction): FilterResult | Promise<FilterResult> => {
      const inline = threshold < 0 || ctx.path.length + state.bodyBytes <= threshold;
      if (inline) return decide(ctx, tx, tx.processRequestBody());
      const { body, truncated } = tx.requestBodySoFar();
      const request = {
        id: ctx.requestId, clientIp: ctx.peer.address, serverPort: ctx.local.port, method: ctx.method, uri: ctx.path,
        httpVersion: httpVersion(ctx), headers: headerList(ctx), body, bodyTruncated: truncated,
      };
      return poolFor(directives, config).evaluate(request).then(
        (verdict) => decide(ctx, verdict, verdict.interruption),
        (e: Error) => unjudged(ctx, e),
      );
    };

    return {
      onRequestHeaders(ctx) {
        const tx = waf.newTransaction({ id: ctx.requestId, clientIp: ctx.peer.address, serverPort: ctx.local.port });
        const early = tx.processRequestHeaders(ctx.method, ctx.path, httpVersion(ctx), headerList(ctx));
        if (early) return decide(ctx, tx, early);
        const state = { tx, bodyBytes: 0 };
        if (!ctx.hasBody) return judge(ctx, state, tx);
        states.set(ctx, state);
        return 'continue';
      },
      onRequestBody(ctx, chunk, endOfStream) {
        const state = states.get(ctx);
        if (!state) return 'continue'; // already decided by the headers hook
        const { tx } = state;
        state.bodyBytes += chunk.length;
        const stopped = chunk.length > 0 ? tx.appendRequestBody(chunk) : null;
        if (stopped || endOfStream) states.delete(ctx);
        if (stopped) return decide(ctx, tx, stopped);
        return endOfStream ? judge(ctx, state, tx) : 'continue';
      },
    };
  },
};
