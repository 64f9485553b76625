import { CHAINS, DEFAULT_CAPTURE, captureRules, cleanupRules } from '@trellis/capture';

const rulesOf = (text: string) => text.split('\n').filter((l) => l.startsWith('-'));

describe('captureRules', () => {
  it('redirects inbound TCP to the inbound port and outbound TCP to the outbound port, in our own chains', () => {
    const text = captureRules(DEFAULT_CAPTURE);
    expect(text.startsWith('*nat\n')).toBe(true);
    expect(text.endsWith('COMMIT\n')).toBe(true);
    for (const chain of Object.values(CHAINS)) expect(text).toContain(`:${chain} - [0:0]\n`);
    const rules = rulesOf(text);
    expect(rules).toContain('-A PREROUTING -p tcp -j TRELLIS_INBOUND');
    expect(rules).toContain('-A OUTPUT -p tcp -j TRELLIS_OUTPUT');
    expect(rules).toContain('-A TRELLIS_IN_REDIRECT -p tcp -j REDIRECT --to-ports 15006');
    expect(rules).toContain('-A TRELLIS_REDIRECT -p tcp -j REDIRECT --to-ports 15001');
    // Nothing else touches a built-in chain: the rest of the nat table stays as it was.
    expect(rules.filter((r) => !r.startsWith('-A TRELLIS_'))).toHaveLength(2);
  });

  it('never captures the proxy itself (UID and GID) nor loopback, and the last outbound rule redirects the rest', () => {
    const rules = rulesOf(captureRules({ ...DEFAULT_CAPTURE, proxyUid: 2000, proxyGid: 3000 })).filter((r) => r.startsWith('-A TRELLIS_OUTPUT'));
    expect(rules).toContain('-A TRELLIS_OUTPUT -m owner --uid-owner 2000 -j RETURN');
    expect(rules).toContain('-A TRELLIS_OUTPUT -m owner --gid-owner 3000 -j RETURN');
    expect(rules).toContain('-A TRELLIS_OUTPUT -d 127.0.0.1/32 -j RETURN');
    // The proxy calling its own pod IP goes through its inbound side; an app doing so is left alone.
    expect(rules).toContain('-A TRELLIS_OUTPUT -o lo ! -d 127.0.0.1/32 -p tcp -m owner --uid-owner 2000 -j TRELLIS_IN_REDIRECT');
    expect(rules).toContain('-A TRELLIS_OUTPUT -o lo -m owner ! --uid-owner 2000 -j RETURN');
    const inRedirect = rules.findIndex((r) => r.includes('--uid-owner 2000 -j TRELLIS_IN_REDIRECT'));
    expect(inRedirect).toBeLessThan(rules.indexOf('-A TRELLIS_OUTPUT -m owner --uid-owner 2000 -j RETURN'));
    expect(rules.at(-1)).toBe('-A TRELLIS_OUTPUT -j TRELLIS_REDIRECT');
  });

  it('leaves excluded ports and CIDRs alone, and captures only included CIDRs when some are given', () => {
    const options = {
      ...DEFAULT_CAPTURE,
      excludeInboundPorts: [15020, 22], excludeOutboundPorts: [5432],
      excludeOutboundCidrs: ['10.96.0.10/32', 'fd00::/8'], includeOutboundCidrs: ['10.0.0.0/8', 'fd00::/8'],
    };
    const rules = rulesOf(captureRules(options));
    expect(rules.filter((r) => r.startsWith('-A TRELLIS_INBOUND'))).toEqual([
      '-A TRELLIS_INBOUND -p tcp --dport 15020 -j RETURN',
      '-A TRELLIS_INBOUND -p tcp --dport 22 -j RETURN',
      '-A TRELLIS_INBOUND -p tcp -j TRELLIS_IN_REDIRECT',
    ]);
    expect(rules).toContain('-A TRELLIS_OUTPUT -p tcp --dport 5432 -j RETURN');
    expect(rules).toContain('-A TRELLIS_OUTPUT -d 10.96.0.10/32 -j RETURN');
    expect(rules.at(-1)).toBe('-A TRELLIS_OUTPUT -d 10.0.0.0/8 -j TRELLIS_REDIRECT');
    expect(rules).not.toContain('-A TRELLIS_OUTPUT -j TRELLIS_REDIRECT');
    // IPv6 CIDRs belong to the IPv6 rule set only, with the IPv6 loopback.
    expect(rules.join('\n')).not.toContain('fd00::/8');
    const v6 = rulesOf(captureRules(options, 6));
    expect(v6).toContain('-A TRELLIS_OUTPUT -d ::1/128 -j RETURN');
    expect(v6).toContain('-A TRELLIS_OUTPUT -d fd00::/8 -j RETURN');
    expect(v6.at(-1)).toBe('-A TRELLIS_OUTPUT -d fd00::/8 -j TRELLIS_REDIRECT');
  });

  it('deletes the jumps of an earlier run first, so applying twice leaves one copy', () => {
    const saved = [
      '*nat', ':PREROUTING ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':TRELLIS_INBOUND - [0:0]', ':TRELLIS_OUTPUT - [0:0]',
      '-A PREROUTING -p tcp -j TRELLIS_INBOUND', '-A PREROUTING -p tcp -j DOCKER', '-A OUTPUT -p tcp -j TRELLIS_OUTPUT', 'COMMIT',
    ].join('\n');
    const rules = rulesOf(captureRules(DEFAULT_CAPTURE, 4, saved));
    expect(rules.slice(0, 2)).toEqual(['-D PREROUTING -p tcp -j TRELLIS_INBOUND', '-D OUTPUT -p tcp -j TRELLIS_OUTPUT']);
    expect(rules.join('\n')).not.toContain('DOCKER');
  });
});

describe('cleanupRules', () => {
  it('removes the jumps, then flushes and deletes the chains that exist', () => {
    const saved = rulesOf(captureRules(DEFAULT_CAPTURE)).join('\n') + '\n' + Object.values(CHAINS).map((c) => `:${c} - [0:0]`).join('\n');
    expect(cleanupRules(saved)).toBe([
      '*nat',
      '-D PREROUTING -p tcp -j TRELLIS_INBOUND', '-D OUTPUT -p tcp -j TRELLIS_OUTPUT',
      ...Object.values(CHAINS).map((c) => `-F ${c}`), ...Object.values(CHAINS).map((c) => `-X ${c}`),
      'COMMIT', '',
    ].join('\n'));
  });

  it('has nothing to do on a table without our rules', () => {
    expect(cleanupRules('*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -j DOCKER\nCOMMIT\n')).toBeUndefined();
  });
});
