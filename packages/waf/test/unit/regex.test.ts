import { pcreToRe2, UnsupportedPcreError } from '../../src/regex/pcre-to-re2';
import { compilePcre, compilePlain } from '../../src/regex/compile';
import { requiredLiterals } from '../../src/regex/prefilter';
import { literalSet } from '../../src/regex/literal-set';

describe('PCRE → RE2 translation', () => {
  it.each([
    ['a++b*+c?+d{2}+', 'a+b*c?d{2}'],
    ['(?>ab|a)c', '(?:ab|a)c'],
    ['end\\Z', 'end(?:\\n?\\z)'],
    ['\\x{41}\\x41\\x4', '\\x{41}\\x{41}\\x{4}'],
    ['\\e\\cA\\012', '\\x{1b}\\x{1}\\x{a}'],
    ['a\\hb', 'a[\\t \\x{a0}]b'],
    ['[\\w-.]', '[\\w\\-.]'],
    ['[a-\\d]', '[a\\-\\d]'],
    ['[[x]', '[\\[x]'],
    ['[\\b]', '[\\x{8}]'],
    ['x{,3}', 'x\\{,3}'],
    ['(?<year>\\d+)', '(?P<year>\\d+)'],
    ['a(?#comment)b', 'ab'],
    ['(?i:ab)(?i)c', '(?i:ab)(?i)c'],
    ['a+?b*?', 'a+?b*?'],
  ])('%j → %j', (pcre, re2) => {
    expect(pcreToRe2(pcre)).toBe(re2);
  });

  it.each(['(?=a)', '(?!a)', '(?<=a)', '(?<!a)', '(a)\\1', '\\G', 'a\\K'])('%j has no RE2 form', (pcre) => {
    expect(() => pcreToRe2(pcre)).toThrow(UnsupportedPcreError);
  });

  it('compiles with ModSecurity flags: dot matches newline, ^/$ at line breaks', () => {
    expect(compilePcre('a.b').test('a\nb')).toBe(true);
    expect(compilePcre('^b$').test('a\nb\nc')).toBe(true);
    expect(compilePcre('x\\Z').test('x\n')).toBe(true);
    expect(compilePcre('x\\Z').test('x\ny')).toBe(false);
  });

  it('answers trivial patterns with string operations, with the same results', () => {
    expect(compilePcre('^.*$').exec('a\nb')).toEqual(['a\nb']);
    expect(compilePcre('^.*$').test('')).toBe(true);
    for (const input of ['', 'a', '\na', 'a\n', 'a\n\nb', 'a\nb']) {
      expect([input, compilePcre('^$').test(input)]).toEqual([input, compilePcre('(?:^$)').test(input)]);
    }
    expect(compilePcre('^abc').test('x\nabc')).toBe(true);
    expect(compilePcre('^abc').test('xabc')).toBe(false);
    expect(compilePcre('abc').test('ABC')).toBe(false);
    expect(compilePlain('^header_name_', true).test('HEADER_NAME_x')).toBe(true);
  });

  it('runs lookaround patterns on the backtracking engine, others on RE2', () => {
    expect(compilePcre('<\\?(?!xml)').engine).toBe('backtracking');
    expect(compilePcre('<\\?(?!xml)').test('<?php')).toBe(true);
    expect(compilePcre('<\\?(?!xml)').test('<?xml')).toBe(false);
    expect(compilePcre('(?i:(\\w+)=\\1)').test('ABC=abc')).toBe(true);
    expect(compilePcre('ab').engine).toBe('re2');
  });

  it('bounds the backtracking fallback on long inputs (RE2 pre-check, windowed search)', () => {
    const tautology = compilePcre("(?i:[\\s'\"`()]*?\\b([\\d\\w]+)\\b[\\s'\"`()]*?=[\\s'\"`()]*?\\b\\1\\b)");
    expect(tautology.engine).toBe('backtracking');
    expect(tautology.test('x 1=1')).toBe(true);
    expect(tautology.test('a=b')).toBe(false);
    const started = Date.now();
    expect(tautology.test(' '.repeat(64_000) + 'a = b')).toBe(false);
    expect(tautology.test(' '.repeat(64_000) + 'a = a')).toBe(true);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('matches in linear time where backtracking explodes', () => {
    const started = Date.now();
    expect(compilePcre('^(a+)+$').test('a'.repeat(5000) + '!')).toBe(false);
    expect(compilePcre('(?:a|aa)*c').test('a'.repeat(20000))).toBe(false);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('required-literal prefilter', () => {
  it.each([
    ['(?i)union.*?select', ['select']],
    ['(?:foo|bar)baz', ['foobaz', 'barbaz']],
    ['a+bc', ['bc']],
    ['x?', null],
    ['\\d+', null],
    ['["\']', ['"', "'"]],
    ['(?:ab|.)c', ['c']],
  ])('%j needs one of %j', (pattern, literals) => {
    const got = requiredLiterals(pcreToRe2(pattern));
    expect(got === null ? null : [...got].sort()).toEqual(literals === null ? null : [...literals].sort());
  });

  it('never rejects an input the pattern matches', () => {
    const cases: [string, string[]][] = [
      ['(?i)<script[^>]*>', ['<SCRIPT src=x>', '<script>']],
      ['(?:/doku.php|/lib/exe/ajax.php)$', ['/dokuXphp', '/lib/exe/ajax.php']],
      ['(?i:(?:[\\"\'`](?:;?\\s*?(?:having|select|union)\\b\\s*?[^\\s]|\\s*?!\\s*?[\\"\'`\\w])))', ["' UNION x", '"!a']],
      ['\\xbc[^\\xbe>]*[\\xbe>]', ['\xbcx>']],
      ['(?i)caf\\xe9', ['CAF\xc9', 'caf\xe9']],
    ];
    for (const [pattern, inputs] of cases) {
      const re = compilePcre(pattern);
      for (const input of inputs) expect([pattern, input, re.test(input)]).toEqual([pattern, input, true]);
    }
  });

  it('literal sets search case-insensitively, flat or trie-shaped', () => {
    const small = literalSet(['abc', 'x.y']);
    expect(small.test('--ABC--')).toBe(true);
    expect(small.test('xzy')).toBe(false);
    const words = Array.from({ length: 300 }, (_, i) => `word${i}x`);
    const big = literalSet(words);
    expect(big.test('a WORD299X b')).toBe(true);
    expect(big.test('word300x')).toBe(false);
  });
});
