import { expect } from 'chai';
import { recoverTypedDataAddress, type Address } from 'viem';
import { escrowDomain, receiptTypes, verifyShareProof, SharesMerkleTree } from '@audata/wire';
import { createEnclaveSigner } from '../signing/enclave-signer.ts';
import { epsilonUnits, resultHash, revenueShares, signJobReceipt, ZERO_ROOT } from './receipt.ts';

const alice: Address = '0x00000000000000000000000000000000000000A1';
const bob: Address = '0x00000000000000000000000000000000000000b2';

describe('job receipts', () => {
  it('splits the price by score over used files, summed per contributor, exactly', () => {
    const { shares, root } = revenueShares(1_000n, [
      { contributor: alice, score: 6_000 },
      { contributor: bob, score: 2_000 },
      { contributor: alice, score: 2_000 },
    ]);
    expect(shares.map((s) => s.amount)).to.deep.equal([800n, 200n]);
    expect(shares.reduce((t, s) => t + s.amount, 0n)).to.equal(1_000n);
    const tree = SharesMerkleTree.of(shares);
    expect(root).to.equal(tree.root);
    expect(verifyShareProof(root, shares[1]!, tree.proof(bob))).to.equal(true);
  });

  it('gives a zero root when no file was used', () => {
    expect(revenueShares(1_000n, [])).to.deep.equal({ shares: [], root: ZERO_ROOT });
  });

  it('rounds epsilon up to millionths and refuses a negative one', () => {
    expect(epsilonUnits(0)).to.equal(0n);
    expect(epsilonUnits(1.5)).to.equal(1_500_000n);
    expect(epsilonUnits(0.0000011)).to.equal(2n);
    expect(() => epsilonUnits(-1)).to.throw().with.property('code', 'JOB_INVALID_PARAMETER');
  });

  it('hashes releases in order', () => {
    const a = new Uint8Array([1]);
    const b = new Uint8Array([2]);
    expect(resultHash([a, b])).to.not.equal(resultHash([b, a]));
  });

  it('signs an EIP-712 receipt that recovers to the enclave signer', async () => {
    const signer = createEnclaveSigner();
    const target = { chainId: 31337, contract: '0x00000000000000000000000000000000000000e5' as Address };
    const signed = await signJobReceipt(signer, target, {
      jobId: `0x${'01'.repeat(32)}`,
      policyId: 3n,
      buyer: bob,
      modelHash: `0x${'ab'.repeat(32)}`,
      price: 10n,
      used: [{ contributor: alice, score: 9_000 }],
      epsilonSpent: 0.25,
      releases: [new Uint8Array([9])],
      deadline: 99n,
    });
    expect(signed.receipt.epsilonSpent).to.equal(250_000n);
    expect(signed.receipt.filesUsed).to.equal(1);
    const recovered = await recoverTypedDataAddress({ domain: escrowDomain(target.chainId, target.contract), types: receiptTypes, primaryType: 'JobReceipt', message: signed.receipt, signature: signed.signature });
    expect(recovered).to.equal(signer.address);
  });
});
