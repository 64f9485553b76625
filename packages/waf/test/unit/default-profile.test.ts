import { TRELLIS_DEFAULT_PROFILE, Waf } from '../../src';

const waf = Waf.fromDirectives(TRELLIS_DEFAULT_PROFILE);

function run(method: string, uri: string, body = '', contentType = 'application/x-www-form-urlencoded') {
  const tx = waf.newTransaction({ id: 't' });
  const early = tx.processRequestHeaders(method, uri, 'HTTP/1.1', [['host', 'localhost'], ['content-type', contentType]]);
  if (early) return early.ruleId;
  if (body) tx.appendRequestBody(Buffer.from(body));
  return tx.processRequestBody()?.ruleId ?? null;
}

describe('the built-in default profile', () => {
  test.each([
    ['SQLi in a query arg', 'GET', "/items?id=1' OR '1'='1", '', 1000100],
    ['SQLi in a form body', 'POST', '/login', "user=admin'--&pass=x", 1000100],
    ['SQLi in JSON', 'POST', '/api', '{"q":"1 UNION SELECT password FROM users"}', 1000100],
    ['XSS in a query arg', 'GET', '/search?q=<script>alert(1)</script>', '', 1000200],
    ['path traversal', 'GET', '/files?name=../../etc/passwd', '', 1000300],
    ['command injection', 'GET', '/ping?host=127.0.0.1;cat%20/etc/passwd', '', 1000400],
    ['odd method', 'TRACK', '/', '', 1000010],
  ])('blocks %s', (_what, method, uri, body, rule) => {
    expect(run(method, uri, body, uri === '/api' ? 'application/json' : undefined)).toBe(rule);
  });

  test.each([
    ['a plain GET', 'GET', '/reviews/1?sort=desc&page=2', ''],
    ['a form with apostrophes', 'POST', '/comments', "name=O'Reilly&text=It's+a+great+book"],
    ['JSON with prices and emails', 'POST', '/api', '{"email":"a@b.example","price":"12.50","note":"select your size"}'],
    ['a path with dots', 'GET', '/static/app.v1.2.js', ''],
  ])('lets %s through', (_what, method, uri, body) => {
    expect(run(method, uri, body, uri === '/api' ? 'application/json' : undefined)).toBeNull();
  });
});
