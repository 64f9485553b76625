import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getOperator } from '../../src/operators/registry';
import type { OperatorContext, Rule } from '../../src/engine/rule';
import { parseMacro } from '../../src/engine/macro';

const dataDir = mkdtempSync(join(tmpdir(), 'waf-op-'));
writeFileSync(join(dataDir, 'words.data'), '# comment\nfoo\n\nBar Baz\n');
writeFileSync(join(dataDir, 'nets.data'), '10.0.0.0/8\n# c\n2001:db8::/32\n');

const captured: (string | undefined)[][] = [];
function ctx(capture = false, vars: Record<string, string> = {}): OperatorContext {
  return {
    tx: undefined as never,
    rule: { capture } as Rule,
    expand: (m) => m.parts.map((p) => (typeof p === 'string' ? p : (vars[`${p.variable}.${p.key}`.toLowerCase()] ?? ''))).join(''),
    capture: (g) => captured.push([...g]),
  };
}

function op(name: string, argument: string) {
  const factory = getOperator(name);
  if (!factory) throw new Error(`no operator ${name}`);
  return factory(argument, { file: join(dataDir, 'rules.conf'), readDataFile: (p) => readFileSync(join(dataDir, p), 'latin1') });
}

describe('operators', () => {
  it.each([
    ['rx', '(?i)^sel\\w+$', 'SELECT', true],
    ['rx', 'a\\Z', 'xa\n', true],
    ['rx', '^b', 'a\nb', true],
    ['rx', 'a.b', 'a\nb', true],
    ['pm', 'foo bar', 'xxBARxx', true],
    ['pm', 'foo bar', 'baz', false],
    ['pmFromFile', 'words.data', 'a bar baz b', true],
    ['pmf', 'words.data', 'nothing', false],
    ['streq', 'abc', 'abc', true],
    ['streq', 'abc', 'abcd', false],
    ['contains', 'bc', 'abcd', true],
    ['containsWord', 'bc', 'a bc;d', true],
    ['containsWord', 'bc', 'abcd', false],
    ['beginsWith', 'ab', 'abc', true],
    ['endsWith', 'bc', 'abc', true],
    ['within', 'GET HEAD POST', 'HEAD', true],
    ['within', 'GET HEAD POST', 'PUT', false],
    ['strmatch', 'b', 'abc', true],
    ['eq', '5', '5', true],
    ['eq', '5', '05x', true],
    ['ge', '5', '5', true],
    ['gt', '5', '5', false],
    ['le', '5', '4', true],
    ['lt', '5', 'abc', true],
    ['ipMatch', '192.168.0.0/16,10.1.2.3', '192.168.4.5', true],
    ['ipMatch', '192.168.0.0/16,10.1.2.3', '10.1.2.4', false],
    ['ipMatch', '::1,2001:db8::/32', '2001:db8:0:1::5', true],
    ['ipMatchFromFile', 'nets.data', '10.200.0.1', true],
    ['ipMatchFromFile', 'nets.data', '11.0.0.1', false],
    ['validateByteRange', '32-126', 'plain text', false],
    ['validateByteRange', '32-126', 'tab\there', true],
    ['validateByteRange', '9,10,13,32-126', 'tab\there', false],
    ['validateUrlEncoding', '', 'a%20b', false],
    ['validateUrlEncoding', '', 'a%2xb', true],
    ['validateUrlEncoding', '', 'a%2', true],
    ['validateUtf8Encoding', '', 'caf\xc3\xa9', false],
    ['validateUtf8Encoding', '', 'caf\xc3', true],
    ['validateUtf8Encoding', '', '\xc0\xaf', true],
    ['unconditionalMatch', '', 'x', true],
    ['noMatch', '', 'x', false],
    ['rbl', 'dnsbl.example', '1.2.3.4', false],
    ['detectSQLi', '', "1' OR '1'='1", true],
    ['detectSQLi', '', 'hello world', false],
    ['detectXSS', '', '<script>alert(1)</script>', true],
    ['detectXSS', '', 'hello world', false],
  ])('@%s %j on %j → %s', (name, argument, input, expected) => {
    expect(op(name, argument)(input, ctx())).toBe(expected);
  });

  it('rx captures groups into TX:0..9 when the rule captures', () => {
    captured.length = 0;
    expect(op('rx', '(\\d+)-(\\d+)')('a 12-34 b', ctx(true))).toBe(true);
    expect(captured[0]).toEqual(['12-34', '12', '34']);
  });

  it('expands macros in arguments at match time', () => {
    expect(op('within', '%{tx.allowed}')('PUT', ctx(false, { 'tx.allowed': 'GET PUT' }))).toBe(true);
    expect(op('ge', '%{tx.limit}')('7', ctx(false, { 'tx.limit': '8' }))).toBe(false);
    expect(op('rx', '^%{tx.charset}$')('utf-8', ctx(false, { 'tx.charset': 'utf-8|latin1' }))).toBe(true);
  });

  it('rejects invalid arguments at load time', () => {
    expect(() => op('validateByteRange', '1-300')).toThrow(/byte range/);
    expect(() => op('ipMatch', 'not-an-ip')).toThrow(/IP address/);
    expect(() => op('rx', '(unclosed')).toThrow();
  });

  it('macro parsing splits references once', () => {
    expect(parseMacro('a %{TX.x} b %{MATCHED_VAR}').parts).toEqual(['a ', { variable: 'TX', key: 'x' }, ' b ', { variable: 'MATCHED_VAR' }]);
  });
});
