import { CompiledMatch, selectChain } from '../src/filter-chain-match';
import type { FilterChainMatch } from '../src/config/model';
import type { Detected } from '../src/inbound/detect';

const chain = (name: string, match: FilterChainMatch) => ({ name, compiled: new CompiledMatch(match) });
const plain: Detected = { transport: 'raw_buffer', applicationProtocols: [] };
const pick = (chains: ReturnType<typeof chain>[], address: string, port: number, d = plain) => selectChain(chains, { address, port }, d)?.name;

describe('filter chain selection on the destination', () => {
  const chains = [
    chain('service-vip', { destinationPort: 80, prefixRanges: [{ addressPrefix: '10.96.0.10', prefixLen: 32 }] }),
    chain('pod-subnet', { destinationPort: 80, prefixRanges: [{ addressPrefix: '10.231.0.0', prefixLen: 24 }, { addressPrefix: '10.0.0.0', prefixLen: 8 }] }),
    chain('any-80', { destinationPort: 80 }),
    chain('pod-9000', { destinationPort: 9000, prefixRanges: [{ addressPrefix: '10.231.0.12', prefixLen: 32 }] }),
    chain('v6', { prefixRanges: [{ addressPrefix: 'fd00::', prefixLen: 8 }] }),
  ];

  it('takes the longest prefix that holds the address, among the chains of the port', () => {
    expect(pick(chains, '10.96.0.10', 80)).toBe('service-vip');
    expect(pick(chains, '10.231.0.7', 80)).toBe('pod-subnet');
    expect(pick(chains, '10.1.2.3', 80)).toBe('pod-subnet');
    // An IPv4 address seen on a dual-stack socket matches IPv4 ranges.
    expect(pick(chains, '::ffff:10.96.0.10', 80)).toBe('service-vip');
  });

  it('falls back to the chains without prefix ranges, and matches nothing else', () => {
    expect(pick(chains, '192.168.1.1', 80)).toBe('any-80');
    expect(pick(chains, '10.231.0.12', 9000)).toBe('pod-9000');
    expect(pick(chains, '10.231.0.13', 9000)).toBeUndefined();
    expect(pick(chains, 'fd00:0:0:0:0:0:0:1', 443)).toBe('v6');
  });

  it('narrows by port first, then address, then transport', () => {
    const byTransport = [
      chain('tls-8080', { destinationPort: 8080, transportProtocol: 'tls' }),
      chain('plain-8080', { destinationPort: 8080, transportProtocol: 'raw_buffer' }),
    ];
    expect(pick(byTransport, '10.0.0.1', 8080, { transport: 'tls', applicationProtocols: ['h2'] })).toBe('tls-8080');
    expect(pick(byTransport, '10.0.0.1', 8080)).toBe('plain-8080');
    expect(pick(byTransport, '10.0.0.1', 8081)).toBeUndefined();
  });
});
