import { expect } from 'chai';
import { encodePacked, keccak256, type Address, type Hex } from 'viem';
import {
  MerkleAccountNotFoundError,
  MerkleDuplicateAccountError,
  MerkleEmptyError,
  MerkleInvalidShareError,
  SharesMerkleTree,
  shareLeafHash,
  splitRevenue,
  verifyShareProof,
} from './merkle.ts';

// Trees dumped by @openzeppelin/merkle-tree's StandardMerkleTree (format "standard-v1",
// leafEncoding ["address", "uint256"]) as published in two public repositories' docs and tests.
const ozTwoLeaves = {
  root: '0xb75b97152d464c0fcf2b97add2814aa07d7f38f863be7268140d5369f8144bc8',
  tree: [
    '0xb75b97152d464c0fcf2b97add2814aa07d7f38f863be7268140d5369f8144bc8',
    '0x8c83934830c0e36e3a81b817f73aa8251333af8cd9955e6f274d838d8d67d12a',
    '0x6c877f3788a93cc7b599ceff4ae6285c7a4967eafcaa0e7b55f1f05d9de0b8ed',
  ],
  values: [
    { value: ['0x016C8780e5ccB32E5CAA342a926794cE64d9C364', '10000000000000000000'], treeIndex: 2 },
    { value: ['0x2e234DAe75C793f67A35089C9d99245E1C58470b', '100000000000000000000'], treeIndex: 1 },
  ],
};
const ozTenLeaves = {
  tree: [
    '0xfa77c123512b8d1a96eb642e97ba5813924c91d903a8b414ba6c273e9cb186a8',
    '0xe9f01c18b7f5594df77d8a85ea6706c36a7af4f20953baf052c26f24649b0d69',
    '0xf600243d7915a98569d643bceb700ab77996b47441375bd56f5ce1852cf3c78e',
    '0x0317388807289770a9258380c114bc8a07a3423f3c1a2929ea7b9f0b1ea75aa3',
    '0x2be8798f98a4f9eaefcc7eb6094523156b56740dcfcd8662b0242a732c5cc4b7',
    '0x6dcfd0cd698b26806648d326861f6f4044bec8f997c51ea069a74c69b50e6897',
    '0xf7c9ada898b95afe693e14db0888bbd9b37a7c191131b7915fbe35bf50e5f01b',
    '0x273993308c3abf250ff7f8868fafb5dba6a2270f716b8932e0eef1cb1cd3c63f',
    '0xb3a597c09e74c10ca3924eea38f1fb3cea68e9be17fdb873aebef1caf9f56440',
    '0xe29ad263494c105af7b72500475d522912864c25e72f4f2e787e5890cb7d7d62',
    '0xdc245c15a3d55d2822dd6d6157295473ebb9270d916bd5a6769fab50e83b4162',
    '0x9c8bf0a7ef5fab223b5795c0cc5d16bdb82556697f706801cbb6e3537559b4df',
    '0x99bebfa12784556b0a6c2c37bf8c7c682c25c9f9ef88bf350594a52fbbc61ab5',
    '0x8b4d6b3712a65c7551f9446b578818a788f1bad79bd6144414d07580175f49fb',
    '0x66daba46f046f96491fd8c3baaff0de0d78c0c7859d53412e548985210e8fd7d',
    '0x41c8154967bf86572d17afe74cf6a9794d9ae8aa4406921329f4613f874258ef',
    '0x2c09da6d2ec20ced7b3e302064e79a4701aea0be6ba9a23afff12f29036acaf3',
    '0x21c498f30f63a10cebf1158441879ff7af0b4a4214453a91b74f631fac3f5b3b',
    '0x10a9ae8051d64c7879d3373f417b6d0f543d2a6ea8136fa8a3d427ae14dd67d2',
  ],
  values: [
    ['0xFf000000000000000000000000000000000013DC', 15],
    ['0xFF000000000000000000000000000000000013dd', 18],
    ['0xFf000000000000000000000000000000000013dF', 12],
    ['0xFf00000000000000000000000000000000001876', 13],
    ['0xfF0000000000000000000000000000000000E879', 10],
    ['0xFf0000000000000000000000000000000000e6f6', 17],
    ['0xFF00000000000000000000000000000000017F7E', 11],
    ['0xfF000000000000000000000000000000000017B3', 9],
    ['0xFf000000000000000000000000000000000017b4', 16],
    ['0xff000000000000000000000000000000000017B5', 14],
  ].map(([account, treeIndex]) => ({ value: [account as string, '1000000000000000000'], treeIndex: treeIndex as number })),
};

const shareOf = (value: string[]) => ({ account: value[0] as Address, amount: BigInt(value[1]!) });

/** Independent recomputation: hash each level pairwise, bottom-up, as MerkleProof.processProof folds. */
function foldProof(leaf: Hex, proof: Hex[]): Hex {
  return proof.reduce((node, sib) => (BigInt(node) < BigInt(sib) ? keccak256(encodePacked(['bytes32', 'bytes32'], [node, sib])) : keccak256(encodePacked(['bytes32', 'bytes32'], [sib, node]))), leaf);
}

describe('wire/merkle', () => {
  it('reproduces OpenZeppelin StandardMerkleTree dumps: root, node array and tree indices', () => {
    for (const vector of [ozTwoLeaves, ozTenLeaves]) {
      const tree = SharesMerkleTree.of(vector.values.map((v) => shareOf(v.value)));
      expect(tree.tree).to.deep.equal(vector.tree);
      for (const { value, treeIndex } of vector.values) {
        expect(tree.treeIndex(value[0]!)).to.equal(treeIndex);
        const proof = tree.proof(value[0]!);
        expect(verifyShareProof(tree.root, shareOf(value), proof)).to.equal(true);
        expect(foldProof(shareLeafHash(shareOf(value)), proof)).to.equal(tree.root);
      }
    }
    expect(SharesMerkleTree.of(ozTwoLeaves.values.map((v) => shareOf(v.value))).root).to.equal(ozTwoLeaves.root);
  });

  it('is independent of input order and handles a single leaf', () => {
    const shares = ozTenLeaves.values.map((v) => shareOf(v.value));
    expect(SharesMerkleTree.of([...shares].reverse()).root).to.equal(SharesMerkleTree.of(shares).root);
    const one = SharesMerkleTree.of([shares[0]!]);
    expect(one.root).to.equal(shareLeafHash(shares[0]!));
    expect(one.proof(shares[0]!.account)).to.deep.equal([]);
    expect(one.share(shares[0]!.account.toLowerCase())).to.deep.equal(shares[0]);
  });

  it('rejects wrong amounts, accounts, roots and tampered proofs', () => {
    const shares = ozTenLeaves.values.map((v) => shareOf(v.value));
    const tree = SharesMerkleTree.of(shares);
    const proof = tree.proof(shares[3]!.account);
    expect(verifyShareProof(tree.root, { ...shares[3]!, amount: shares[3]!.amount + 1n }, proof)).to.equal(false);
    expect(verifyShareProof(tree.root, { ...shares[3]!, account: shares[4]!.account }, proof)).to.equal(false);
    expect(verifyShareProof(tree.root, shares[3]!, proof.slice(1))).to.equal(false);
    expect(verifyShareProof(tree.root, shares[3]!, [...proof.slice(0, -1), tree.root])).to.equal(false);
    expect(verifyShareProof('0x12' as Hex, shares[3]!, proof)).to.equal(false);
    expect(verifyShareProof(tree.root, { account: '0x1' as Address, amount: 1n }, proof)).to.equal(false);
  });

  it('refuses empty trees, duplicate accounts, bad shares and unknown accounts with typed errors', () => {
    expect(() => SharesMerkleTree.of([])).to.throw(MerkleEmptyError).with.property('code', 'MERKLE_EMPTY');
    const a = '0x016C8780e5ccB32E5CAA342a926794cE64d9C364' as Address;
    expect(() => SharesMerkleTree.of([{ account: a, amount: 1n }, { account: a.toLowerCase() as Address, amount: 2n }]))
      .to.throw(MerkleDuplicateAccountError).with.property('code', 'MERKLE_DUPLICATE_ACCOUNT');
    expect(() => SharesMerkleTree.of([{ account: a, amount: -1n }])).to.throw(MerkleInvalidShareError).with.property('code', 'MERKLE_INVALID_SHARE');
    expect(() => SharesMerkleTree.of([{ account: '0xzz' as Address, amount: 1n }])).to.throw(MerkleInvalidShareError);
    expect(() => SharesMerkleTree.of([{ account: a, amount: 1n }]).proof('0x2e234DAe75C793f67A35089C9d99245E1C58470b'))
      .to.throw(MerkleAccountNotFoundError).with.property('code', 'MERKLE_ACCOUNT_NOT_FOUND');
  });

  describe('splitRevenue', () => {
    const A = '0x1111111111111111111111111111111111111111' as Address;
    const B = '0x2222222222222222222222222222222222222222' as Address;
    const C = '0x3333333333333333333333333333333333333333' as Address;

    it('splits exactly, with the leftover to the largest remainders', () => {
      // 100 over weights 1:1:1 -> 33.33 each; one leftover unit goes to the lowest address on a tie.
      expect(splitRevenue(100n, [{ account: C, weight: 1 }, { account: A, weight: 1 }, { account: B, weight: 1 }])).to.deep.equal([
        { account: A, amount: 34n },
        { account: B, amount: 33n },
        { account: C, amount: 33n },
      ]);
      // 10 over 5000:3000:2000 plus A's second file of 2000 -> A 7000/12000 = 5.833, B 2.5, C 1.667.
      // Floors 5, 2, 1 leave 2 units: remainders .833 (A) and .667 (C) win over .5 (B).
      expect(splitRevenue(10n, [{ account: A, weight: 5000 }, { account: B, weight: 3000n }, { account: C, weight: 2000 }, { account: A, weight: 2000 }])).to.deep.equal([
        { account: A, amount: 6n },
        { account: B, amount: 2n },
        { account: C, amount: 2n },
      ]);
    });

    it('sums to the total for random inputs and matches the exact proportion to within one unit', () => {
      let seed = 12345;
      const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed);
      for (let trial = 0; trial < 200; trial++) {
        const n = 1 + (rand() % 12);
        const weights = Array.from({ length: n }, (_, i) => ({ account: `0x${(i + 1).toString(16).padStart(40, '0')}` as Address, weight: rand() % 10_001 }));
        const total = BigInt(rand()) * BigInt(rand() % 1000);
        const sumW = weights.reduce((s, w) => s + w.weight, 0);
        if (sumW === 0) continue;
        const parts = splitRevenue(total, weights);
        expect(parts.reduce((s, p) => s + p.amount, 0n)).to.equal(total);
        for (const p of parts) {
          const w = BigInt(weights.find((x) => x.account === p.account)!.weight);
          const exactFloor = (total * w) / BigInt(sumW);
          expect(p.amount - exactFloor).to.be.oneOf([0n, 1n]);
        }
        const tree = SharesMerkleTree.of(parts.length > 0 ? parts : [{ account: A, amount: 0n }]);
        for (const p of parts) expect(verifyShareProof(tree.root, p, tree.proof(p.account))).to.equal(true);
      }
    });

    it('drops zero parts and refuses invalid weights', () => {
      expect(splitRevenue(5n, [{ account: A, weight: 0 }, { account: B, weight: 1 }])).to.deep.equal([{ account: B, amount: 5n }]);
      expect(splitRevenue(0n, [{ account: A, weight: 0 }])).to.deep.equal([]);
      expect(() => splitRevenue(5n, [{ account: A, weight: 0 }])).to.throw(MerkleInvalidShareError);
      expect(() => splitRevenue(5n, [{ account: A, weight: -1 }])).to.throw(MerkleInvalidShareError);
      expect(() => splitRevenue(5n, [{ account: A, weight: 0.5 }])).to.throw(MerkleInvalidShareError);
      expect(() => splitRevenue(-5n, [{ account: A, weight: 1 }])).to.throw(MerkleInvalidShareError);
    });
  });
});
