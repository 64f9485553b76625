/**
 * A guard against catastrophic backtracking: 64 KB hostile inputs through the whole CRS (at
 * paranoia level 4, every rule active) must finish in bounded time. The bound is generous on
 * purpose; on a quiet machine each request takes well under a second.
 */
import { existsSync } from 'node:fs';
import { DEBIAN_CRS, Waf, crsDirectives } from '../src';

const available = existsSync(DEBIAN_CRS.loadFile);
const BOUND_MS = 20_000;

const HOSTILE: [string, string][] = [
  ['64,000 × "a"', 'a'.repeat(64_000)],
  ['repeated SQL/XSS fragments', "' or 1=1 -- <script>alert(1)</script> ".repeat(1_700).slice(0, 64_000)],
  ['nested brackets and quotes', '(['.repeat(16_000) + '"\''.repeat(16_000)],
  ['long run of spaces then a quote', ' '.repeat(63_999) + "'"],
  ['spaces then a near-tautology (942130 backtracks)', ' '.repeat(63_990) + "a = b'"],
];

(available ? describe : describe.skip)('64 KB hostile input against CRS 3.3.4 (PL4)', () => {
  let waf: Waf;
  beforeAll(() => {
    waf = Waf.fromDirectives(crsDirectives({ paranoiaLevel: 4 }));
  });

  it.each(HOSTILE)('%s finishes in bounded time', (_name, payload) => {
    const started = Date.now();
    const tx = waf.newTransaction();
    const body = `q=${encodeURIComponent(payload)}`;
    tx.processRequestHeaders('POST', `/?p=${encodeURIComponent(payload.slice(0, 4000))}`, '1.1', [
      ['Host', 'localhost'],
      ['User-Agent', payload.slice(0, 8000)],
      ['Content-Type', 'application/x-www-form-urlencoded'],
    ]);
    tx.appendRequestBody(body);
    tx.processRequestBody();
    const elapsed = Date.now() - started;
    console.log(`${_name}: ${elapsed} ms, ${tx.matchedRules.length} rules matched`);
    expect(elapsed).toBeLessThan(BOUND_MS);
  });
});
