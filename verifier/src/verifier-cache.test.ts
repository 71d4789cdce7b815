import { expect } from 'chai';
import type { ParsedCertificate } from './parse-certificate.ts';
import { VerifierCache } from './verifier-cache.ts';

describe('VerifierCache', () => {
  it('keeps at most maxEntries of each kind, dropping the least recently used', () => {
    const cache = new VerifierCache({ maxEntries: 2 });
    const leaf = {} as ParsedCertificate;
    cache.setLeaf('a', leaf);
    cache.setLeaf('b', leaf);
    expect(cache.getLeaf('a')).to.equal(leaf); // a is now the most recent
    cache.setLeaf('c', leaf);
    expect(cache.getLeaf('b')).to.equal(undefined);
    expect(cache.getLeaf('a')).to.equal(leaf);
    expect(cache.getLeaf('c')).to.equal(leaf);
    expect(cache.sizes.leaves).to.equal(2);
  });
});
