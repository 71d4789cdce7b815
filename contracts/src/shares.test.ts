import { expect } from 'chai';
import { concat, encodeAbiParameters, keccak256, type Address } from 'viem';
import { ContractsError } from './errors.ts';
import { buildSharesTree, shareLeaf, splitRevenue } from './shares.ts';

const a = '0x00000000000000000000000000000000000000a1' as Address;
const b = '0x00000000000000000000000000000000000000b2' as Address;
const c = '0x00000000000000000000000000000000000000c3' as Address;

/** Recomputes a root from a leaf and its proof the way OpenZeppelin's MerkleProof does (sorted pairs). */
const processProof = (leaf: `0x${string}`, proof: readonly `0x${string}`[]) =>
  proof.reduce((hash, sibling) => keccak256(BigInt(hash) <= BigInt(sibling) ? concat([hash, sibling]) : concat([sibling, hash])), leaf);

describe('revenue shares', () => {
  it('leaves are double-hashed abi.encode(address, uint256)', () => {
    const inner = keccak256(encodeAbiParameters([{ type: 'address' }, { type: 'uint256' }], [a, 5n]));
    expect(shareLeaf({ account: a, amount: 5n })).to.equal(keccak256(inner));
  });

  it('every proof leads from its leaf to the root, for trees of 1 to 9 shares', () => {
    for (let n = 1; n <= 9; n++) {
      const shares = Array.from({ length: n }, (_, i) => ({ account: a, amount: BigInt(i + 1) }));
      const tree = buildSharesTree(shares);
      shares.forEach((share, i) => expect(processProof(shareLeaf(share), tree.proofs[i]!)).to.equal(tree.root));
      expect(processProof(shareLeaf({ account: b, amount: 1n }), tree.proofs[0]!)).to.not.equal(tree.root);
    }
    const single = buildSharesTree([{ account: a, amount: 1n }]);
    expect(single.root).to.equal(shareLeaf({ account: a, amount: 1n }));
    expect(single.proofs[0]).to.deep.equal([]);
  });

  it('an empty tree is refused (CONTRACTS_EMPTY_SHARES)', () => {
    expect(() => buildSharesTree([])).to.throw(ContractsError).with.property('code', 'CONTRACTS_EMPTY_SHARES');
  });

  it('splits revenue in proportion to weights, summing exactly to the total', () => {
    const shares = splitRevenue(1_000n, [
      { account: a, weight: 1n },
      { account: b, weight: 1n },
      { account: c, weight: 1n },
    ]);
    expect(shares.map((s) => s.amount)).to.deep.equal([334n, 333n, 333n]);
    const merged = splitRevenue(10n ** 18n, [
      { account: a, weight: 8_000n },
      { account: b, weight: 0n },
      { account: a, weight: 2_000n },
      { account: c, weight: 5_000n },
    ]);
    expect(merged).to.deep.equal([
      { account: '0x00000000000000000000000000000000000000A1', amount: (10n ** 18n * 2n) / 3n + 1n },
      { account: '0x00000000000000000000000000000000000000C3', amount: (10n ** 18n) / 3n },
    ]);
    expect(merged.reduce((sum, s) => sum + s.amount, 0n)).to.equal(10n ** 18n);
    expect(splitRevenue(5n, [{ account: a, weight: 0n }])).to.deep.equal([]);
  });

  it('a negative weight is refused (CONTRACTS_NEGATIVE_WEIGHT)', () => {
    expect(() => splitRevenue(1n, [{ account: a, weight: -1n }])).to.throw(ContractsError).with.property('code', 'CONTRACTS_NEGATIVE_WEIGHT');
  });
});
