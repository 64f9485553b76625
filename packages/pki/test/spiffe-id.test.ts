import { formatWorkloadId, parseSpiffeId, parseWorkloadId, SpiffeIdError } from '../src';

describe('SPIFFE IDs', () => {
  it('round-trips a workload identity', () => {
    const id = { trustDomain: 'cluster.local', namespace: 'shop', serviceAccount: 'web-v1' };
    const uri = formatWorkloadId(id);
    expect(uri).toBe('spiffe://cluster.local/ns/shop/sa/web-v1');
    expect(parseWorkloadId(uri)).toEqual(id);
  });

  it('parses trust-domain-only and multi-segment IDs', () => {
    expect(parseSpiffeId('spiffe://example.org')).toEqual({ trustDomain: 'example.org', segments: [] });
    expect(parseSpiffeId('spiffe://example.org/a/B_c/d.e-f').segments).toEqual(['a', 'B_c', 'd.e-f']);
  });

  it.each([
    ['https://example.org/x', /must start with "spiffe:\/\/"/],
    ['SPIFFE://example.org/x', /must start with/],
    ['spiffe://Example.org/x', /lowercase/],
    ['spiffe:///x', /trust domain is empty/],
    ['spiffe://example.org:8080/x', /port/],
    ['spiffe://user@example.org/x', /user info/],
    ['spiffe://example.org/a//b', /segment is empty/],
    ['spiffe://example.org/a/', /segment is empty/],
    ['spiffe://example.org/a/./b', /"\." is not allowed/],
    ['spiffe://example.org/a/../b', /"\.\." is not allowed/],
    ['spiffe://example.org/a?x=1', /query or fragment/],
    ['spiffe://example.org/a#frag', /query or fragment/],
    ['spiffe://example.org/a%20b', /may only contain/],
    [`spiffe://example.org/${'a'.repeat(2048)}`, /longer than 2048 bytes/],
    [`spiffe://${'a'.repeat(256)}/x`, /longer than 255/],
  ])('rejects %s', (uri, message) => {
    expect(() => parseSpiffeId(uri)).toThrow(SpiffeIdError);
    expect(() => parseSpiffeId(uri)).toThrow(message);
  });

  it('rejects IDs that are not ns/<ns>/sa/<sa> as workload IDs', () => {
    expect(() => parseWorkloadId('spiffe://cluster.local/ns/a/foo/b')).toThrow(/not of the form/);
    expect(() => parseWorkloadId('spiffe://cluster.local/ns/a')).toThrow(/not of the form/);
  });

  it('refuses to format an identity with an empty or invalid field', () => {
    expect(() => formatWorkloadId({ trustDomain: 'cluster.local', namespace: '', serviceAccount: 'x' })).toThrow(/segment is empty/);
    expect(() => formatWorkloadId({ trustDomain: 'Cluster', namespace: 'a', serviceAccount: 'x' })).toThrow(/lowercase/);
    expect(() => formatWorkloadId({ trustDomain: 'cluster.local', namespace: 'a/b', serviceAccount: 'x' })).toThrow(/may only contain/);
  });
});
