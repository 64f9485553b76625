import { Waf, type Transaction } from '../../src';

/** A Waf from directives, with the engine on and bodies read. */
export function wafOf(directives: string): Waf {
  return Waf.fromDirectives(`SecRuleEngine On\nSecRequestBodyAccess On\n${directives}`);
}

/** Runs a GET (or a request with a body) through phases 1 and 2. */
export function request(
  waf: Waf,
  uri = '/',
  options: { method?: string; headers?: [string, string][]; body?: string } = {},
): Transaction {
  const tx = waf.newTransaction({ clientIp: '10.0.0.1' });
  const headers = options.headers ?? [['Host', 'localhost']];
  if (!tx.processRequestHeaders(options.method ?? 'GET', uri, '1.1', headers)) {
    if (options.body !== undefined) tx.appendRequestBody(options.body);
    tx.processRequestBody();
  }
  return tx;
}

export function matchedIds(tx: Transaction): number[] {
  return tx.matchedRules.map((r) => r.id);
}
