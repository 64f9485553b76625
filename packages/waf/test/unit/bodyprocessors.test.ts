import { request, wafOf } from './helpers';

const waf = wafOf(`
  SecRule REQUEST_HEADERS:Content-Type "(?:application(?:/soap\\+|/)|text/)xml" "id:1,phase:1,t:lowercase,pass,nolog,ctl:requestBodyProcessor=XML"
  SecRule REQUEST_HEADERS:Content-Type "application/json" "id:2,phase:1,t:lowercase,pass,nolog,ctl:requestBodyProcessor=JSON"
`);

function post(contentType: string, body: string) {
  return request(waf, '/', { method: 'POST', headers: [['Content-Type', contentType]], body });
}

const pairs = (tx: ReturnType<typeof post>, name: string) => tx.collection(name).all().map((e) => [e.key, e.value]);

describe('body processors', () => {
  it('urlencoded: ARGS_POST, REQUEST_BODY and its length', () => {
    const tx = post('application/x-www-form-urlencoded', 'a=1&b=%3Cx%3E+y&c');
    expect(pairs(tx, 'ARGS_POST')).toEqual([['a', '1'], ['b', '<x> y'], ['c', '']]);
    expect(tx.single('REQUEST_BODY')).toBe('a=1&b=%3Cx%3E+y&c');
    expect(tx.single('REQUEST_BODY_LENGTH')).toBe('17');
    expect(tx.single('REQBODY_PROCESSOR')).toBe('URLENCODED');
  });

  it('JSON: flattened as json.a.b and json.list.array_N', () => {
    const tx = post('application/json', '{"a":{"b":"x"},"list":[1,true,null],"s":"caf\u00e9"}');
    expect(pairs(tx, 'ARGS')).toEqual([
      ['json.a.b', 'x'],
      ['json.list.array_0', '1'],
      ['json.list.array_1', 'true'],
      ['json.list.array_2', ''],
      ['json.s', 'caf\xc3\xa9'],
    ]);
    expect(post('application/json', '{"a":').single('REQBODY_ERROR')).toBe('1');
  });

  it('XML: XML:/* is all text, XML://@* every attribute value', () => {
    const tx = post('text/xml', '<?xml version="1.0"?><r a="1"><x b=\'2\'>hi &amp; </x><![CDATA[<raw>]]></r>');
    expect(tx.collection('XML').get('/*').map((e) => e.value)).toEqual(['hi & <raw>']);
    expect(tx.collection('XML').get('//@*').map((e) => e.value)).toEqual(['1', '2']);
    expect(post('text/xml', '<r><x></r>').single('REQBODY_ERROR')).toBe('1');
  });

  it('multipart: fields, files, part headers and strictness flags', () => {
    const body = [
      '--XyZ',
      'Content-Disposition: form-data; name="title"',
      '',
      'hello',
      '--XyZ',
      'Content-Disposition: form-data; name="upload"; filename="a.php"',
      'Content-Type: application/octet-stream',
      '',
      '<?php echo 1; ?>',
      '--XyZ--',
      '',
    ].join('\r\n');
    const tx = post('multipart/form-data; boundary=XyZ', body);
    expect(pairs(tx, 'ARGS_POST')).toEqual([['title', 'hello']]);
    expect(pairs(tx, 'FILES')).toEqual([['upload', 'a.php']]);
    expect(pairs(tx, 'FILES_SIZES')).toEqual([['upload', '16']]);
    expect(tx.collection('MULTIPART_PART_HEADERS').get('upload').map((e) => e.value)).toEqual([
      'Content-Disposition: form-data; name="upload"; filename="a.php"',
      'Content-Type: application/octet-stream',
    ]);
    expect(tx.single('MULTIPART_STRICT_ERROR')).toBe('0');
    const broken = post('multipart/form-data; boundary="XyZ"', '--XyZ\r\nContent-Disposition: form-data; name="a"\r\n\r\nx\r\n');
    expect(broken.single('MULTIPART_UNMATCHED_BOUNDARY')).toBe('1');
    expect(broken.single('MULTIPART_BOUNDARY_QUOTED')).toBe('1');
    expect(broken.single('MULTIPART_STRICT_ERROR')).toBe('1');
  });

  it('a body over SecRequestBodyLimit is rejected with 413', () => {
    const limited = wafOf('SecRequestBodyLimit 10');
    const tx = limited.newTransaction();
    tx.processRequestHeaders('POST', '/', '1.1', [['Content-Type', 'text/plain']]);
    expect(tx.appendRequestBody('x'.repeat(11))).toMatchObject({ status: 413 });
  });
});
