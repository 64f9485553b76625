// WafWorkerPool over the built worker (packages/waf/dist: run `npx tsc -b` first): verdicts
// match inline evaluation, a crashing worker fails only its own request and is replaced,
// a full queue refuses at once, a request waiting too long for a worker fails unjudged, and
// close() fails what waits.
import { evaluateBuffered, TRELLIS_DEFAULT_PROFILE, Waf, WafWorkerPool, WorkerPoolError, type BufferedRequest } from '../../src';

const request = (body: string): BufferedRequest => ({
  id: 'req-1', clientIp: '10.0.0.1', serverPort: 80, method: 'POST', uri: '/comments', httpVersion: 'HTTP/1.1',
  headers: [['host', 'shop'], ['content-type', 'application/x-www-form-urlencoded'], ['content-length', String(body.length)]],
  body: Buffer.from(body), bodyTruncated: false,
});

describe('WafWorkerPool', () => {
  const pool = new WafWorkerPool(TRELLIS_DEFAULT_PROFILE, { maxQueued: 2 });
  afterAll(() => pool.close());

  test('a worker reaches the verdict inline evaluation reaches', async () => {
    const waf = Waf.fromDirectives(TRELLIS_DEFAULT_PROFILE);
    for (const body of ['text=<script>alert(1)</script>', 'text=hello']) {
      const inline = evaluateBuffered(waf, request(body));
      const remote = await pool.evaluate(request(body));
      expect(remote.interruption).toEqual(inline.interruption);
      expect(remote.matchedRules.map((r) => r.id)).toEqual(inline.matchedRules.map((r) => r.id));
    }
  });

  test('a worker that crashes fails its request only, and is replaced', async () => {
    const poison = { ...request('a=b'), headers: null } as unknown as BufferedRequest;
    await expect(pool.evaluate(poison)).rejects.toThrow(/WAF worker exited \(code 1\)/);
    expect((await pool.evaluate(request('text=hello'))).interruption).toBeNull();
  });

  test('a full queue refuses at once', async () => {
    const all = Array.from({ length: 4 }, () => pool.evaluate(request('text=hello')).then(() => 'judged', (e: Error) => e));
    const outcomes = await Promise.all(all);
    expect(outcomes.filter((o) => o instanceof WorkerPoolError && /busy/.test(o.message))).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'judged')).toHaveLength(3);
  });

  test('an idle worker exits and the next request starts another', async () => {
    const idle = new WafWorkerPool(TRELLIS_DEFAULT_PROFILE, { idleMs: 10 });
    expect((await idle.evaluate(request('text=hello'))).interruption).toBeNull();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await idle.evaluate(request('text=<script>alert(1)</script>'))).interruption).toMatchObject({ ruleId: 1000200 });
    await idle.close();
  });

  test('close() fails what waits', async () => {
    const other = new WafWorkerPool(TRELLIS_DEFAULT_PROFILE);
    const failed = expect(other.evaluate(request('text=hello'))).rejects.toThrow(/closed/);
    await other.close();
    await failed;
  });
});

describe('WafWorkerPool queue deadline', () => {
  // 200 distinct regexes, each scanning a 4 MB argument to the 'z' at its end (so no literal
  // prefilter can skip them): seconds of CPU, the worker's for that long.
  const SLOW_RULES = Array.from({ length: 200 }, (_, i) => `SecRule ARGS "@rx [xy]{${i + 1},}z" "id:${100 + i},phase:2,t:none,pass,nolog"`);
  const directives = ['SecRuleEngine On', 'SecRequestBodyAccess On', ...SLOW_RULES].join('\n') + '\n';

  test('a request still waiting for a worker at its deadline fails, and leaves the queue', async () => {
    const pool = new WafWorkerPool(directives, { workers: 1, timeoutMs: 30_000, queueWaitMs: 100, maxQueued: 1 });
    try {
      await pool.evaluate(request('text=warm')); // the worker is up: the slow request occupies it at once, the next one waits
      const slow = pool.evaluate(request(`text=${'x'.repeat(4 << 20)}z`)).then(() => 'judged', (e: Error) => e.message);
      await expect(pool.evaluate(request('text=hello'))).rejects.toThrow('WAF request waited more than 100 ms for a free worker');
      // Its place is free again: with room for one waiting request, another is queued rather than refused as busy.
      const next = pool.evaluate(request('text=again')).then(() => 'judged', (e: Error) => e.message);
      await pool.close();
      expect(await next).toBe('WAF worker pool is closed');
      expect(await slow).toMatch(/closed|judged/);
    } finally {
      await pool.close();
    }
  });
});
