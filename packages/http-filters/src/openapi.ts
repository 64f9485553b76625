import type { FilterResult, HttpFilter, HttpFilterContext, HttpFilterFactory } from '@trellis/proxy';
import { compileOpenApi, type OpenApiChecker, type PendingBody, type Rejection } from '@trellis/openapi';
import { counterFamily } from './counters';

export const OPENAPI_TYPE_URL = 'type.googleapis.com/trellis.openapi.v1.OpenApi';
/** Per-request metadata key where the filter leaves its audit event for the access log. */
export const OPENAPI_METADATA_KEY = 'openapi';
/** Carries the reason a request does not match the document. */
export const OPENAPI_REASON_HEADER = 'x-trellis-openapi';
/** A reason echoes request text (the path, a property name): kept short and printable in a header. */
const HEADER_REASON_LIMIT = 200;

/** trellis.openapi.v1.OpenApi as decoded from xDS (proto field names, enums as names). */
export interface OpenApiFilterConfig {
  document?: string;
  mode?: 'DETECT' | 'BLOCK';
  policy?: string;
}

export interface OpenApiAuditEvent {
  policy: string;
  mode: 'DETECT' | 'BLOCK';
  blocked: boolean;
  status: number;
  reason: string;
}

/** Listeners are rebuilt on every config change: each distinct document is compiled once per process. */
const compiled = new Map<string, OpenApiChecker>();

function checkerFor(document: string): OpenApiChecker {
  let checker = compiled.get(document);
  if (!checker) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(document);
    } catch (error) {
      throw new Error(`document is not JSON: ${(error as Error).message}`);
    }
    checker = compileOpenApi(parsed);
    compiled.set(document, checker);
  }
  return checker;
}

/**
 * A request whose operation describes a body, from the headers hook until the body's verdict.
 * The proxy feeds body chunks only once every header filter has continued.
 */
interface BodyState {
  body: PendingBody;
  chunks: Buffer[];
  bytes: number;
  ended: boolean;
}

const headerSafe = (reason: string) => reason.replace(/[^\x20-\x7e]/g, '?').slice(0, HEADER_REASON_LIMIT);

/**
 * OpenAPI enforcement: each request is checked against the workload's document
 * (path, method, parameters, then the buffered body when the operation describes
 * one). In BLOCK mode a mismatch is answered by the proxy with the checker's status,
 * the reason in `x-trellis-openapi` and as JSON; in DETECT mode it passes. Either way
 * a mismatch leaves an audit event.
 */
export const openApiFilterFactory: HttpFilterFactory = {
  create(typedConfig: unknown, env): HttpFilter {
    const config = (typedConfig ?? {}) as OpenApiFilterConfig;
    if (!config.document) throw new Error('document is required');
    const checker = checkerFor(config.document);
    const mode = config.mode === 'BLOCK' ? 'BLOCK' : 'DETECT';
    const states = new WeakMap<HttpFilterContext, BodyState>();
    const countMismatch = counterFamily(env, 'openapi_mismatches_total', ['policy', 'status', 'action']);

    const decide = (ctx: HttpFilterContext, rejection: Rejection): FilterResult => {
      const blocked = mode === 'BLOCK';
      const event: OpenApiAuditEvent = { policy: config.policy ?? '', mode, blocked, status: rejection.status, reason: rejection.reason };
      ctx.metadata.set(OPENAPI_METADATA_KEY, event);
      countMismatch(event.policy, String(rejection.status), blocked ? 'blocked' : 'detected');
      if (!blocked) return 'continue';
      return {
        localReply: {
          status: rejection.status,
          headers: {
            [OPENAPI_REASON_HEADER]: headerSafe(rejection.reason),
            'content-type': 'application/json',
            ...(rejection.allow ? { allow: rejection.allow.join(', ') } : {}),
          },
          body: `${JSON.stringify({ error: 'request does not match the OpenAPI document', reason: rejection.reason, policy: event.policy, requestId: ctx.requestId })}\n`,
        },
      };
    };

    /** Once the head is checked and the body has ended (or grown too long): the body's verdict. */
    const judgeBody = (ctx: HttpFilterContext, state: BodyState): FilterResult => {
      const { body } = state;
      if (state.bytes > body.maxBytes) return decide(ctx, { ok: false, status: 413, reason: `${body.operation}: body is over the ${body.maxBytes}-byte limit` });
      if (!state.ended) return 'continue';
      const result = body.check(Buffer.concat(state.chunks));
      return result.ok ? 'continue' : decide(ctx, result);
    };

    return {
      onRequestHeaders(ctx) {
        const head = checker.checkHead({ method: ctx.method, target: ctx.path, header: (name) => ctx.headers.get(name) });
        if (!head.ok) return decide(ctx, head);
        if (!head.body) return 'continue';
        if (!ctx.hasBody) {
          const result = head.body.check(undefined);
          return result.ok ? 'continue' : decide(ctx, result);
        }
        states.set(ctx, { body: head.body, chunks: [], bytes: 0, ended: false });
        return 'continue';
      },
      onRequestBody(ctx, chunk, endOfStream) {
        const state = states.get(ctx);
        if (!state) return 'continue';
        state.bytes += chunk.length;
        state.ended = endOfStream;
        if (chunk.length > 0 && state.bytes <= state.body.maxBytes) state.chunks.push(chunk);
        const verdict = judgeBody(ctx, state);
        if (state.ended || verdict !== 'continue') states.delete(ctx);
        return verdict;
      },
    };
  },
};
