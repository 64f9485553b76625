import { getTransformation } from '../../src/transformations/registry';

function t(name: string, input: string): string {
  const fn = getTransformation(name);
  if (!fn) throw new Error(`no transformation ${name}`);
  return fn(input);
}

describe('transformations', () => {
  it.each([
    ['lowercase', 'HeLLo ÀB', 'hello Àb'],
    ['urlDecode', 'a%20b+c%zz%4', 'a b c%zz%4'],
    ['urlDecodeUni', '%u0041%uff1c%41+x', 'A<A x'],
    ['htmlEntityDecode', '&lt;a&gt; &#65;&#x42 &quot;&amp;&nbsp;&bogus;', '<a> AB "&\xa0&bogus;'],
    ['jsDecode', '\\x41\\u0042\\n\\101\\q', 'AB\nAq'],
    ['cssDecode', 'j\\61 vascript \\000041\\\nb', 'javascript Ab'],
    ['cmdLine', "C^:\\\\Wind'ows\" ,; /c   DIR (x)", 'c:windows/c dir(x)'],
    // values the rewrite leaves alone: only lowercased
    ['cmdLine', 'Value Number 12', 'value number 12'],
    ['cmdLine', 'a  b', 'a b'],
    ['cmdLine', 'ls (x', 'ls(x'],
    ['compressWhitespace', 'a \t\n b\xa0\xa0c', 'a b c'],
    ['removeWhitespace', ' a b\tc\n', 'abc'],
    ['removeNulls', 'a\0b\0', 'ab'],
    ['replaceNulls', 'a\0b', 'a b'],
    ['removeComments', 'select/* x */1 <!-- y -->2 -- rest', 'select1 2 '],
    ['replaceComments', 'a/*x*/b/*unterminated', 'a b '],
    ['normalizePath', '/a/./b/../../c//d/', '/c/d/'],
    ['normalisePath', 'a/../../b', '../b'],
    // already normal: returned as given
    ['normalizePath', '/products/list', '/products/list'],
    ['normalizePath', '.hidden/...', '.hidden/...'],
    ['normalizePath', 'a/b/', 'a/b/'],
    ['normalizePath', '', ''],
    ['normalizePath', 'a/..', ''],
    ['normalizePath', '/x/.', '/x/'],
    ['normalizePathWin', '\\a\\..\\b\\.\\c', '/b/c'],
    ['base64Decode', 'aGVsbG8=', 'hello'],
    ['hexDecode', '414243', 'ABC'],
    ['hexEncode', 'AB', '4142'],
    ['sqlHexDecode', 'x 0x414243 y', 'x ABC y'],
    ['length', 'abcd', '4'],
    ['trim', ' \t a b \n', 'a b'],
    ['trimLeft', '  a ', 'a '],
    ['trimRight', ' a  ', ' a'],
    ['utf8toUnicode', 'a\xc3\xa9\xe2\x82\xac', 'a%u00e9%u20ac'],
    ['escapeSeqDecode', '\\x41\\102\\n\\q', 'AB\n\\q'],
  ])('%s(%j) = %j', (name, input, expected) => {
    expect(t(name, input)).toBe(expected);
  });

  it('sha1 and md5 give raw digests (20 and 16 bytes)', () => {
    expect(Buffer.from(t('sha1', 'abc'), 'latin1').toString('hex')).toBe('a9993e364706816aba3e25717850c26c9cd0d89d');
    expect(Buffer.from(t('md5', 'abc'), 'latin1').toString('hex')).toBe('900150983cd24fb0d6963f7d28e17f72');
  });

  it('names are case-insensitive and unknown ones are undefined', () => {
    expect(getTransformation('URLDECODEUNI')).toBe(getTransformation('urlDecodeUni'));
    expect(getTransformation('rot13')).toBeUndefined();
  });
});
