// Request limits with ModSecurity's semantics: SecRequestBodyLimit (Reject / ProcessPartial),
// SecRequestBodyNoFilesLimit (only when configured) and SecArgumentsLimit; the bounded
// store behind persistent collections.
import { Waf } from '../../src';
import { PersistentStore } from '../../src/collections/persistent';

const FORM: [string, string][] = [['host', 'shop'], ['content-type', 'application/x-www-form-urlencoded']];

function post(directives: string[], body: string) {
  const waf = Waf.fromDirectives(['SecRuleEngine On', 'SecRequestBodyAccess On', ...directives, 'SecRule ARGS "@contains attack" "id:10,phase:2,deny,status:403"']);
  const tx = waf.newTransaction();
  const interruption = tx.processRequestHeaders('POST', '/', '1.1', FORM) ?? tx.appendRequestBody(body) ?? tx.processRequestBody();
  return { tx, interruption };
}

describe('request limits', () => {
  test('SecRequestBodyLimit with Reject interrupts with 413 and says which limit', () => {
    const { interruption } = post(['SecRequestBodyLimit 10'], 'a=0123456789');
    expect(interruption).toMatchObject({ status: 413, ruleId: 0, reason: 'request body exceeds SecRequestBodyLimit (10 bytes)' });
  });

  test('ProcessPartial inspects only the first bytes and flags INBOUND_DATA_ERROR', () => {
    expect(post(['SecRequestBodyLimit 10', 'SecRequestBodyLimitAction ProcessPartial'], 'a=attack&b=0123456789').interruption).toMatchObject({ ruleId: 10 });
    const { tx, interruption } = post(['SecRequestBodyLimit 10', 'SecRequestBodyLimitAction ProcessPartial'], 'b=0123456789&a=attack');
    expect(interruption).toBeNull();
    expect(tx.single('INBOUND_DATA_ERROR')).toBe('1');
  });

  test('DetectionOnly never rejects over the limit', () => {
    const { interruption } = post(['SecRuleEngine DetectionOnly', 'SecRequestBodyLimit 10'], 'a=0123456789');
    expect(interruption).toBeNull();
  });

  test('SecRequestBodyNoFilesLimit applies only when configured', () => {
    expect(post([], `a=${'x'.repeat(200_000)}`).interruption).toBeNull();
    expect(post(['SecRequestBodyNoFilesLimit 100'], `a=${'x'.repeat(200)}`).interruption).toMatchObject({ status: 413, reason: expect.stringContaining('SecRequestBodyNoFilesLimit (100 bytes)') });
  });

  test('SecArgumentsLimit keeps the first N arguments, in ARGS and ARGS_POST alike', () => {
    const body = Array.from({ length: 50 }, (_, i) => `a${i}=v`).join('&') + '&late=attack';
    const { tx, interruption } = post(['SecArgumentsLimit 20'], body);
    expect(interruption).toBeNull();
    expect(tx.collection('ARGS').size).toBe(20);
    expect(tx.collection('ARGS_POST').size).toBe(20);
  });
});

describe('persistent collections', () => {
  test('the store keeps at most maxRecords, dropping the least recently opened', () => {
    const store = new PersistentStore(3600, 2);
    store.open('IP', 'a').data.add('seen', '1');
    store.open('IP', 'b');
    store.open('IP', 'a');
    store.open('IP', 'c');
    expect(store.open('IP', 'a').data.get('seen')).toHaveLength(1);
    expect(store.open('IP', 'b').data.size).toBe(0);
  });
});
