import { cidrContains, parseCidr, parseIp } from '@trellis/rbac';

describe('IP and CIDR parsing', () => {
  test.each(['0.0.0.0', '255.255.255.255', '10.1.2.3', '::', '::1', 'fd00::1', '2001:db8::8a2e:370:7334', '::ffff:10.0.0.1', '1:2:3:4:5:6:7:8'])('parses %s', (ip) => {
    expect(parseIp(ip)).toBeDefined();
  });

  test.each(['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1.2.3.-1', ':::', '1::2::3', '1:2:3:4:5:6:7:8:9', 'fd00::g', 'localhost'])('rejects %j', (ip) => {
    expect(parseIp(ip)).toBeUndefined();
  });

  test.each(['10.0.0.0/33', '10.0.0.0/', '10.0.0.0/a', '::/129', 'x/8'])('rejects CIDR %j', (cidr) => {
    expect(parseCidr(cidr)).toBeUndefined();
  });

  test.each<[string, string, boolean]>([
    ['10.0.0.0/8', '10.255.1.2', true],
    ['10.0.0.0/8', '11.0.0.1', false],
    ['10.1.2.3', '10.1.2.3', true],
    ['10.1.2.3', '10.1.2.4', false],
    ['0.0.0.0/0', '203.0.113.9', true],
    ['10.1.2.3/24', '10.1.2.200', true],
    ['10.0.0.0/8', '::ffff:10.0.0.1', false],
    ['fd00::/8', 'fdff:1::1', true],
    ['fd00::/8', 'fe00::1', false],
    ['2001:db8::/33', '2001:db8:7fff::1', true],
    ['2001:db8::/33', '2001:db8:8000::1', false],
    ['::/0', '::1', true],
    ['::/0', '1.2.3.4', false],
    ['2001:db8::1/128', '2001:db8::1', true],
  ])('%s contains %s: %s', (cidr, ip, expected) => {
    expect(cidrContains(parseCidr(cidr)!, parseIp(ip)!)).toBe(expected);
  });
});
