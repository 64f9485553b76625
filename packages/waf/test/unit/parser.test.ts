import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SecLangError, Waf } from '../../src';
import { lex } from '../../src/seclang/lexer';
import { parseTargets } from '../../src/seclang/targets';
import { splitActions } from '../../src/seclang/action-list';
import { matchedIds, request, wafOf } from './helpers';

describe('lexer', () => {
  it('joins continuation lines, skips comments, unquotes arguments', () => {
    const text = ['# comment', 'SecRule ARGS "@rx a\\"b" \\', '    "id:1,\\', '    phase:2"', '', '  # indented comment', 'SecMarker END'].join('\n');
    const d = lex(text, 'x.conf');
    expect(d).toHaveLength(2);
    expect(d[0]).toMatchObject({ name: 'SecRule', args: ['ARGS', '@rx a"b', 'id:1,    phase:2'], line: 2 });
    expect(d[1]).toMatchObject({ name: 'SecMarker', args: ['END'], line: 7 });
  });

  it('unescapes a doubled backslash and an escaped quote as Apache does, keeping other backslashes', () => {
    const d = lex(String.raw`SecRule ARGS "@rx (?:^|[^\\])\\[a-z]\d+\." "msg:'say \"hi\"'" bare\\x`, 'x')[0]!;
    expect(d.args[1]).toBe('@rx (?:^|[^\\])\\[a-z]\\d+\\.');
    expect(d.args[2]).toBe(`msg:'say "hi"'`);
    expect(d.args[3]).toBe('bare\\x');
  });

  it('reports an unterminated quote with file and line', () => {
    expect(() => lex('\nSecRule ARGS "@rx a', 'f.conf')).toThrow('f.conf:2: unterminated " quote');
  });
});

describe('targets and actions', () => {
  it('parses selectors, regex selectors with |, exclusions and counts', () => {
    const { targets, exclusions } = parseTargets("ARGS:id|REQUEST_COOKIES:/^(a|b)$/|!ARGS:'/^x/'|&TX:score|XML:/*");
    expect(targets.map((t) => [t.variable, t.key, t.keyRegex?.source, t.count])).toEqual([
      ['ARGS', 'id', undefined, false],
      ['REQUEST_COOKIES', undefined, '^(a|b)$', false],
      ['TX', 'score', undefined, true],
      ['XML', '/*', undefined, false],
    ]);
    expect(exclusions.map((e) => [e.variable, e.keyRegex?.source])).toEqual([['ARGS', '^x']]);
  });

  it('splits actions on commas outside quotes', () => {
    expect(splitActions("id:1, msg:'a, b',t:none,  nolog ,setvar:'tx.x=+1'")).toEqual([
      { name: 'id', value: '1' },
      { name: 'msg', value: 'a, b' },
      { name: 't', value: 'none' },
      { name: 'nolog', value: undefined },
      { name: 'setvar', value: 'tx.x=+1' },
    ]);
  });
});

describe('directives', () => {
  // wafOf() puts two engine directives first, so the text under test starts on line 3.
  const bad: [string, RegExp][] = [
    ['SecRule ARGS "@nosuchop x" "id:1"', /<directives>:3: unknown operator "@nosuchop"/],
    ['SecRule NOSUCHVAR "@rx x" "id:1"', /:3: unknown variable "NOSUCHVAR"/],
    ['SecRule ARGS "@rx x" "id:1,nosuchaction"', /:3: unknown action "nosuchaction"/],
    ['SecRule ARGS "@rx x" "id:1,t:rot13"', /:3: unknown transformation "t:rot13"/],
    ['SecRule ARGS "@rx (" "id:1"', /:3: operator @rx/],
    ['SecRule ARGS "@rx x" "phase:2"', /:3: rule has no id/],
    ['SecRule ARGS "@rx x" "id:1"\nSecRule ARGS "@rx y" "id:1"', /:4: duplicate rule id 1/],
    ['SecRule ARGS "@rx x" "id:1,chain"', /:3: rule chain is not completed/],
    ['SecRule ARGS "@rx x" "id:1,phase:9"', /:3: invalid phase "9"/],
    ['SecRuleEngine Maybe', /:3: SecRuleEngine expects one of On, Off, DetectionOnly/],
    ['NotADirective foo', /:3: unknown directive "NotADirective"/],
    ['SecRule ARGS "@rx x" "id:1,ctl:noSuchCtl=1"', /:3: unknown ctl "noSuchCtl"/],
  ];
  it.each(bad)('%j fails with %s', (text, error) => {
    expect(() => wafOf(text)).toThrow(error);
    expect(() => wafOf(text)).toThrow(SecLangError);
  });

  it('warns about and ignores unknown Sec* directives', () => {
    const warnings: string[] = [];
    Waf.fromDirectives('SecNoSuchThing On\nSecAuditEngine RelevantOnly\n', { onWarning: (w) => warnings.push(w) });
    expect(warnings).toEqual([expect.stringMatching(/:1: directive SecNoSuchThing is not supported; ignored/)]);
  });

  it('Include resolves relative paths and globs against the including file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'waf-inc-'));
    mkdirSync(join(dir, 'rules'));
    writeFileSync(join(dir, 'main.conf'), 'SecRuleEngine On\nInclude rules/*.conf\nIncludeOptional missing/*.conf\n');
    writeFileSync(join(dir, 'rules', 'b.conf'), 'SecRule ARGS "@pmFromFile words.data" "id:2,phase:1,deny"\n');
    writeFileSync(join(dir, 'rules', 'a.conf'), 'SecRule ARGS "@streq x" "id:1,phase:1,deny,status:418"\n');
    writeFileSync(join(dir, 'rules', 'words.data'), 'evil\n');
    const waf = Waf.fromFiles([join(dir, 'main.conf')]);
    expect(waf.ruleCount).toBe(2);
    expect(request(waf, '/?a=x').interruption).toMatchObject({ status: 418, ruleId: 1 });
    expect(request(waf, '/?a=so-evil').interruption).toMatchObject({ status: 403, ruleId: 2 });
    writeFileSync(join(dir, 'broken.conf'), 'Include nothing-here.conf\n');
    expect(() => Waf.fromFiles([join(dir, 'broken.conf')])).toThrow(/broken\.conf:1:/);
  });

  it('SecRuleRemoveById/ByTag and SecRuleUpdateTargetById change earlier rules', () => {
    const waf = wafOf(`
      SecRule ARGS "@contains a" "id:1,phase:1,pass,tag:'t1'"
      SecRule ARGS "@contains a" "id:2,phase:1,pass"
      SecRule ARGS "@contains a" "id:3,phase:1,pass"
      SecRule ARGS "@contains a" "id:4,phase:1,pass"
      SecRuleRemoveById 2
      SecRuleRemoveByTag t1
      SecRuleUpdateTargetById 3 "!ARGS:skip"
      SecRuleUpdateActionById 4 "msg:'updated'"
    `);
    const tx = request(waf, '/?skip=a&other=b');
    expect(matchedIds(tx)).toEqual([4]);
    expect(tx.matchedRules[0]!.msg).toBe('updated');
    expect(matchedIds(request(waf, '/?x=a'))).toEqual([3, 4]);
  });

  it('SecDefaultAction gives transformations, logging and the block action to later rules', () => {
    const waf = wafOf(`
      SecDefaultAction "phase:2,log,deny,status:406,t:lowercase"
      SecRule ARGS "@streq abc" "id:1,phase:2,block"
      SecRule ARGS "@streq XYZ" "id:2,phase:2,pass,t:none,nolog"
    `);
    expect(request(waf, '/?q=ABC').interruption).toMatchObject({ status: 406, ruleId: 1 });
    const tx = request(waf, '/?q=XYZ');
    expect(tx.interruption).toBeNull();
    expect(tx.matchedRules).toEqual([expect.objectContaining({ id: 2, logged: false })]);
  });
});
