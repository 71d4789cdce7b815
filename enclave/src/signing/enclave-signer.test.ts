import { expect } from 'chai';
import { recoverTypedDataAddress, toHex, zeroAddress, type Hex } from 'viem';
import { anchorDomain, escrowDomain, proofTypes, receiptTypes, registryDomain, stateAnchorTypes, type ContributionProof, type JobReceipt, type StateAnchorMessage } from '@audata/wire';
import { createEnclaveSigner } from './enclave-signer.ts';

const b32 = (n: number): Hex => toHex(n, { size: 32 });
const target = { chainId: 31337, contract: '0x5FbDB2315678afecb367f032d93F642f64180aa3' } as const;
const proof: ContributionProof = {
  fileId: b32(1), contributor: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8', manifestHash: b32(2), valid: true,
  score: 8123, authenticity: 9000, ownership: 10_000, quality: 7000, uniqueness: 9500, pipelineVersion: b32(3), detailsHash: b32(4), deadline: 1_800_000_000n,
};
const receipt: JobReceipt = {
  jobId: b32(9), policyId: 4n, buyer: zeroAddress, modelHash: b32(5), sharesRoot: b32(6), filesUsed: 12, epsilonSpent: 250_000n, resultHash: b32(7), deadline: 1_800_000_000n,
};

describe('enclave signer', () => {
  it('signs proofs that recover to its address under the registry domain', async () => {
    const signer = createEnclaveSigner();
    const signature = await signer.signProof(target, proof);
    const recovered = await recoverTypedDataAddress({ domain: registryDomain(target.chainId, target.contract), types: proofTypes, primaryType: 'ContributionProof', message: proof, signature });
    expect(recovered).to.equal(signer.address);
    const elsewhere = await recoverTypedDataAddress({ domain: registryDomain(1, target.contract), types: proofTypes, primaryType: 'ContributionProof', message: proof, signature });
    expect(elsewhere).to.not.equal(signer.address);
  });

  it('signs receipts that recover to its address under the escrow domain', async () => {
    const signer = createEnclaveSigner();
    const signature = await signer.signReceipt(target, receipt);
    const recovered = await recoverTypedDataAddress({ domain: escrowDomain(target.chainId, target.contract), types: receiptTypes, primaryType: 'JobReceipt', message: receipt, signature });
    expect(recovered).to.equal(signer.address);
  });

  it('signs state anchors that recover to its address under the anchor domain, and only there', async () => {
    const signer = createEnclaveSigner();
    const anchor: StateAnchorMessage = { datasetKey: b32(11), stateCounter: 7n, stateSha256: b32(12), auditEntries: 30n, auditHead: b32(13) };
    const signature = await signer.signStateAnchor(target, anchor);
    const recover = (domain: ReturnType<typeof anchorDomain>, message = anchor) =>
      recoverTypedDataAddress({ domain, types: stateAnchorTypes, primaryType: 'StateAnchor', message, signature });
    expect(await recover(anchorDomain(target.chainId, target.contract))).to.equal(signer.address);
    expect(await recover(anchorDomain(1, target.contract))).to.not.equal(signer.address);
    expect(await recover(anchorDomain(target.chainId, target.contract), { ...anchor, stateCounter: 6n })).to.not.equal(signer.address);
  });

  it('draws a fresh key per boot from the randomness it is given', () => {
    expect(createEnclaveSigner().address).to.not.equal(createEnclaveSigner().address);
    const fixed = () => new Uint8Array(32).fill(7);
    expect(createEnclaveSigner(fixed).address).to.equal(createEnclaveSigner(fixed).address);
  });

  it('redraws an out-of-range scalar and refuses a broken source', () => {
    let calls = 0;
    const firstZero = () => (calls++ === 0 ? new Uint8Array(32) : new Uint8Array(32).fill(1));
    createEnclaveSigner(firstZero);
    expect(calls).to.equal(2);
    expect(() => createEnclaveSigner(() => new Uint8Array(16))).to.throw().with.property('code', 'ENCLAVE_SIGNING_KEY_INVALID');
    expect(() => createEnclaveSigner(() => new Uint8Array(32))).to.throw().with.property('code', 'ENCLAVE_SIGNING_KEY_INVALID');
  });
});
