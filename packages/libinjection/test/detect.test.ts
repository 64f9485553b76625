import { detectSQLi, detectXSS, foldSql, tokenizeHtml5, tokenizeSql } from '../src';

describe('detectSQLi', () => {
  it.each([
    ["1' or '1'='1", 's&sos'],
    ["' OR 1=1 --", 's&1c'],
    ["admin'--", 'sc'],
    ['1 UNION SELECT username, password FROM users--', '1UEnk'],
    ['1; DROP TABLE users', '1;Tnn'],
    ['1 AND 1=1', '1&1'],
    ['1) or sleep(5)#', '1)&f('],
    ["1' AND extractvalue(1,concat(0x7e,version()))--", 's&f(1'],
    ['1 /*!50000UNION*/ SELECT 1', 'X'],
  ])('flags %j with fingerprint %j', (input, fingerprint) => {
    expect(detectSQLi(input)).toEqual({ isSqli: true, fingerprint });
  });

  it.each([
    'hello world',
    'plain words in a sentence',
    '{"a":1,"b":[true,null],"c":"x"}',
    'john.doe@example.com',
    '$19.99',
    '€19,99',
    "O'Reilly",
    "It's a nice day, isn't it?",
    'select a pizza from the menu',
    '1-800-555-0199',
    '2024-01-15T10:00:00Z',
    'The price is 10 - 20% off',
    '',
  ])('does not flag %j', (input) => {
    expect(detectSQLi(input)).toEqual({ isSqli: false, fingerprint: '' });
  });

  it('reads a Buffer as raw bytes, and the same bytes as a latin1 string', () => {
    const attack = "1' or '1'='1";
    expect(detectSQLi(Buffer.from(attack, 'latin1'))).toEqual(detectSQLi(attack));
    // a latin1 NBSP (0xA0) is SQL white space to libinjection
    expect(detectSQLi(Buffer.from([0x31, 0xa0, 0x4f, 0x52, 0xa0, 0x31, 0x3d, 0x31])).isSqli).toBe(true);
  });

  it('encodes strings with characters above U+00FF as UTF-8 bytes', () => {
    // U+2019 becomes three bytes >= 0x80: part of a bare word, never a quote
    expect(tokenizeSql('it\u2019s')).toEqual(['n it\xe2\x80\x99s']);
  });
});

describe('detectXSS', () => {
  it.each([
    '<script>alert(1)</script>',
    '<img src=x onerror=alert(1)>',
    '<svg/onload=alert(1)>',
    '<iframe src=//evil.example>',
    '<a href="javascript:alert(1)">x</a>',
    '<a href=" \tjavascript:alert(1)">x</a>', // leading white space is skipped
    '<a href="&#x6A;avascript:alert(1)">x</a>', // entity-encoded scheme
    '<a href="&#106;avascript:alert(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '" onmouseover="alert(1)', // breaking out of a double-quoted attribute
    "' onfocus='alert(1)' autofocus='", // ... of a single-quoted one
    'x onclick=alert(1)', // ... of an unquoted one
    'href=javascript:alert(1)', // an attribute in an unquoted-value context
    '<div style="background:url(javascript:alert(1))">',
    '<!DOCTYPE html>',
    '<!--[if IE]><script>alert(1)</script><![endif]-->',
  ])('flags %j', (input) => {
    expect(detectXSS(input)).toBe(true);
  });

  it.each([
    'plain words',
    '<b>bold</b> and <i>italic</i>',
    '<p class="note">hi</p>',
    '<a href="https://example.com/path?q=1">link</a>',
    'a < b and c > d',
    '{"html":"no tags here"}',
    'john.doe@example.com',
    '$19.99',
    // libinjection needs an HTML context: a bare URL is not XSS to it (CRS catches those
    // with its own regex rules), nor is one whose scheme is split by a tab in the middle.
    'javascript:alert(1)',
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
  ])('does not flag %j', (input) => {
    expect(detectXSS(input)).toBe(false);
  });

  it('keeps libinjection\'s signed-char quirk: byte 0xFF where an attribute value starts reads as end of input', () => {
    expect(detectXSS(Buffer.from('xmlns=x', 'latin1'))).toBe(true);
    expect(detectXSS(Buffer.from('xmlns=\xff', 'latin1'))).toBe(false);
  });
});

describe('tokenizers (exported for tests)', () => {
  it('tokenizes and folds SQL as libinjection prints it', () => {
    expect(tokenizeSql("SELECT @@version, 'a''b' -- x")).toEqual(['E SELECT', 'v @@version', ', ,', "s 'a''b'", 'c -- x']);
    expect(foldSql('SELECT 1 + 2 UNION ALL SELECT')).toEqual(['E SELECT', '1 1', 'U UNION ALL', 'E SELECT']);
  });

  it('tokenizes HTML5 as libinjection prints it', () => {
    expect(tokenizeHtml5('<a href=x>t</a>')).toEqual([
      'TAG_NAME_OPEN,1,a',
      'ATTR_NAME,4,href',
      'ATTR_VALUE,1,x',
      'TAG_NAME_CLOSE,1,>',
      'DATA_TEXT,1,t',
      'TAG_CLOSE,1,a',
    ]);
  });
});
