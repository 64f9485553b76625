import type { Waf } from '../waf';
import type { Interruption, MatchedRule } from '../engine/transaction';

/** A whole request, as a worker thread receives it: everything a Transaction reads. */
export interface BufferedRequest {
  id: string;
  clientIp: string;
  serverPort: number;
  method: string;
  /** The raw request target. */
  uri: string;
  httpVersion: string;
  headers: [string, string][];
  /** The body as buffered so far (already cut at SecRequestBodyLimit by the caller's Transaction). */
  body: Uint8Array;
  /** The caller saw more body than it kept: the worker's Transaction records INBOUND_DATA_ERROR. */
  bodyTruncated: boolean;
}

/** The outcome of phases 1 and 2; a Transaction has the same shape. */
export interface Verdict {
  readonly interruption: Interruption | null;
  readonly anomalyScore: number;
  readonly matchedRules: readonly MatchedRule[];
}

/** Runs phases 1 and 2 over a buffered request in a fresh Transaction. */
export function evaluateBuffered(waf: Waf, request: BufferedRequest): Verdict {
  const tx = waf.newTransaction({ id: request.id, clientIp: request.clientIp, serverPort: request.serverPort });
  if (request.bodyTruncated) tx.setSingle('INBOUND_DATA_ERROR', '1');
  const interruption =
    tx.processRequestHeaders(request.method, request.uri, request.httpVersion, request.headers) ??
    (request.body.length > 0 ? tx.appendRequestBody(request.body) : null) ??
    tx.processRequestBody();
  return { interruption, anomalyScore: tx.anomalyScore, matchedRules: tx.matchedRules };
}
