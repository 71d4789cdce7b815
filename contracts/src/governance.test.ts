// The whole life of the DAO on a real chain: contributors earn votes by proofs, govern a policy
// through governor and timelock, a buyer pays, an enclave receipt settles, contributors claim,
// and a revoked file's owner gets nothing from later jobs.
import { expect } from 'chai';
import { encodeFunctionData, hexToBigInt, keccak256, pad, toHex, zeroHash, type Address, type Hex, type PublicClient } from 'viem';
import type { ContributionProof, JobReceipt } from '@audata/wire';
import { ROLES, type AudataAddresses } from './deploy.ts';
import {
  accessPolicyRegistryAbi,
  audataGovernorAbi,
  audataTimelockAbi,
  audataTokenAbi,
  contributionRegistryAbi,
  jobEscrowAbi,
} from './generated/abi.ts';
import { buildSharesTree, splitRevenue, type Share } from './shares.ts';
import { bytes32, revertChecker, startAudata, testGovernance, type AudataFixture, type Wallet } from './testing/fixture.ts';
import { iJobEscrowAbi } from './generated/abi.ts';

/** Governor ProposalState values (OpenZeppelin IGovernor). */
const State = { Pending: 0, Active: 1, Succeeded: 4, Queued: 5, Executed: 7 } as const;

/**
 * The enclave-side selection rule the chain supports: a file enters a job only if its proof was
 * recorded valid, it is not revoked (`isRevoked`), and it meets the policy's minimum score.
 * (Language and consent terms are checked against the signed manifests inside the enclave.)
 * Revenue is then split among the selected files' contributors in proportion to their scores.
 */
async function selectShares(client: PublicClient, addresses: AudataAddresses, policyId: bigint, price: bigint, candidates: readonly Hex[]): Promise<Share[]> {
  const policy = await client.readContract({ address: addresses.accessPolicyRegistry, abi: accessPolicyRegistryAbi, functionName: 'policy', args: [policyId] });
  const weights: { account: Address; weight: bigint }[] = [];
  for (const fileId of candidates) {
    const revoked = await client.readContract({ address: addresses.contributionRegistry, abi: contributionRegistryAbi, functionName: 'isRevoked', args: [fileId] });
    if (revoked) continue;
    const record = await client.readContract({ address: addresses.contributionRegistry, abi: contributionRegistryAbi, functionName: 'fileRecord', args: [fileId] });
    if (record.recordedAt === 0n || !record.valid || record.score < policy.terms.minScore) continue;
    weights.push({ account: record.contributor, weight: BigInt(record.score) });
  }
  return splitRevenue(price, weights);
}

describe('governance life', function () {
  this.timeout(120_000);
  let f: AudataFixture;
  after(async () => {
    await f?.stop();
  });

  it('earn votes, delegate, propose, vote, queue, execute; pay, settle, claim; revoke', async () => {
    f = await startAudata();
    const { addresses, anvil } = f;
    const client = anvil.publicClient;
    const [alice, bob, carol, buyerAccount] = f.users as [typeof f.users[0], typeof f.users[0], typeof f.users[0], typeof f.users[0]];
    const host = f.wallet(f.users[5]!);
    const { expectRevert } = revertChecker(iJobEscrowAbi);
    const bitmap = (state: number): Hex => pad(toHex(1n << BigInt(state)), { size: 32 });

    // 1. Contributors earn tokens, which are their votes, through enclave-signed proofs.
    const files: { fileId: Hex; contributor: Address; score: number; valid: boolean }[] = [
      { fileId: bytes32('alice file'), contributor: alice!.address, score: 8_000, valid: true },
      { fileId: bytes32('bob file'), contributor: bob!.address, score: 6_000, valid: true },
      { fileId: bytes32('carol file'), contributor: carol!.address, score: 9_000, valid: true },
      { fileId: bytes32('alice silence'), contributor: alice!.address, score: 9_500, valid: false },
      { fileId: bytes32('bob low quality'), contributor: bob!.address, score: 1_000, valid: true },
    ];
    for (const file of files) {
      const proof: ContributionProof = await f.proof({ ...file, manifestHash: keccak256(file.fileId) });
      await f.send(host, { address: addresses.contributionRegistry, abi: contributionRegistryAbi, functionName: 'submitProof', args: [proof, await f.signProof(proof)] });
    }
    const balance = (account: Address) => client.readContract({ address: addresses.token, abi: audataTokenAbi, functionName: 'balanceOf', args: [account] });
    expect(await balance(alice!.address)).to.equal(10n ** 14n * 8_000n);
    expect(await balance(bob!.address)).to.equal(10n ** 14n * 7_000n);

    // 2. Tokens vote only once delegated.
    for (const account of [alice!, bob!, carol!]) {
      await f.send(f.wallet(account), { address: addresses.token, abi: audataTokenAbi, functionName: 'delegate', args: [account.address] });
    }
    expect(await client.readContract({ address: addresses.token, abi: audataTokenAbi, functionName: 'getVotes', args: [alice!.address] })).to.equal(10n ** 14n * 8_000n);
    await f.increaseTime(1);

    // 3. Alice proposes a policy for the buyer.
    const PRICE = 3n * 10n ** 18n;
    const terms = await f.policyTerms({ buyer: buyerAccount!.address, price: PRICE, expiry: (await f.now()) + 30n * 86_400n });
    const targets = [addresses.accessPolicyRegistry];
    const values = [0n];
    const calldatas = [encodeFunctionData({ abi: accessPolicyRegistryAbi, functionName: 'createPolicy', args: [terms] })];
    const description = 'Policy #1: features and DP gradients for buyer, models a and b';
    const descriptionHash = keccak256(toHex(description));
    const governor = { address: addresses.governor, abi: audataGovernorAbi } as const;
    const send = (wallet: Wallet, functionName: string, args: readonly unknown[]) => f.send(wallet, { ...governor, functionName, args });
    await send(f.wallet(alice!), 'propose', [targets, values, calldatas, description]);
    const proposalId = await client.readContract({ ...governor, functionName: 'hashProposal', args: [targets, values, calldatas, descriptionHash] });
    const state = () => client.readContract({ ...governor, functionName: 'state', args: [proposalId] });
    expect(await state()).to.equal(State.Pending);

    // 4. Vote, after the voting delay.
    await f.increaseTime(testGovernance.votingDelay + 1);
    expect(await state()).to.equal(State.Active);
    await send(f.wallet(alice!), 'castVote', [proposalId, 1]);
    await send(f.wallet(bob!), 'castVote', [proposalId, 1]);
    await send(f.wallet(carol!), 'castVote', [proposalId, 0]);
    const [against, forVotes] = await client.readContract({ ...governor, functionName: 'proposalVotes', args: [proposalId] });
    expect(forVotes).to.equal(10n ** 14n * 15_000n);
    expect(against).to.equal(10n ** 14n * 9_000n);

    // Nothing can be queued while the vote is open, and no one but governance changes its settings.
    await expectRevert(send(host, 'queue', [targets, values, calldatas, descriptionHash]), 'GovernorUnexpectedProposalState', [proposalId, State.Active, bitmap(State.Succeeded)]);
    await expectRevert(send(f.wallet(alice!), 'setVotingPeriod', [1]), 'GovernorOnlyExecutor', [alice!.address]);

    // 5. Queue in the timelock once the vote closes, execute after its delay.
    await f.increaseTime(testGovernance.votingPeriod + 1);
    expect(await state()).to.equal(State.Succeeded);
    await send(host, 'queue', [targets, values, calldatas, descriptionHash]);
    expect(await state()).to.equal(State.Queued);
    const salt = toHex(hexToBigInt(pad(addresses.governor, { dir: 'right', size: 32 })) ^ hexToBigInt(descriptionHash), { size: 32 });
    const timelock = { address: addresses.timelock, abi: audataTimelockAbi } as const;
    const operationId = await client.readContract({ ...timelock, functionName: 'hashOperationBatch', args: [targets, values, calldatas, zeroHash, salt] });
    await expectRevert(send(host, 'execute', [targets, values, calldatas, descriptionHash]), 'TimelockUnexpectedOperationState', [operationId, bitmap(2)]);
    await expectRevert(
      f.send(f.wallet(f.guardian), { ...timelock, functionName: 'scheduleBatch', args: [targets, values, calldatas, zeroHash, salt, testGovernance.timelockDelay] }),
      'AccessControlUnauthorizedAccount',
      [f.guardian.address, ROLES.PROPOSER],
    );
    await f.increaseTime(Number(testGovernance.timelockDelay) + 1);
    await send(host, 'execute', [targets, values, calldatas, descriptionHash]);
    expect(await state()).to.equal(State.Executed);
    const policyId = await client.readContract({ address: addresses.accessPolicyRegistry, abi: accessPolicyRegistryAbi, functionName: 'policyCount' });
    expect(policyId).to.equal(1n);
    const policy = await client.readContract({ address: addresses.accessPolicyRegistry, abi: accessPolicyRegistryAbi, functionName: 'policy', args: [policyId] });
    expect(policy.terms).to.deep.equal(terms);

    // 6. The buyer pays; the enclave selects files, runs the job and signs a receipt; anyone relays it.
    const buyer = f.wallet(buyerAccount!);
    const escrow = { address: addresses.jobEscrow, abi: jobEscrowAbi } as const;
    const candidates = files.map((file) => file.fileId);
    const runJob = async (jobId: Hex) => {
      await f.send(buyer, { ...escrow, functionName: 'pay', args: [jobId, policyId], value: PRICE });
      const shares = await selectShares(client, addresses, policyId, PRICE, candidates);
      const tree = buildSharesTree(shares);
      const receipt: JobReceipt = {
        jobId,
        policyId,
        buyer: buyerAccount!.address,
        modelHash: terms.modelHashes[0]!,
        sharesRoot: tree.root,
        filesUsed: shares.length,
        epsilonSpent: 1_000_000n,
        resultHash: bytes32(`result of ${jobId}`),
        deadline: (await f.now()) + 600n,
      };
      await f.send(host, { ...escrow, functionName: 'settle', args: [receipt, await f.signReceipt(receipt)] });
      return { shares, tree };
    };
    const claimAll = async (jobId: Hex, shares: Share[], proofs: Hex[][]) => {
      for (const [i, share] of shares.entries()) {
        const before = await client.getBalance({ address: share.account });
        await f.send(host, { ...escrow, functionName: 'claim', args: [jobId, share.account, share.amount, proofs[i]!] });
        expect((await client.getBalance({ address: share.account })) - before).to.equal(share.amount);
      }
    };

    const job1 = bytes32('job 1');
    const first = await runJob(job1);
    // Alice 8000, Bob 6000, Carol 9000: the invalid and the below-minimum files earn nothing.
    expect(first.shares.map((s) => s.amount)).to.deep.equal(splitRevenue(PRICE, [
      { account: alice!.address, weight: 8_000n },
      { account: bob!.address, weight: 6_000n },
      { account: carol!.address, weight: 9_000n },
    ]).map((s) => s.amount));
    await claimAll(job1, first.shares, first.tree.proofs);
    expect(await client.getBalance({ address: addresses.jobEscrow })).to.equal(0n);

    // 7. Carol revokes her file; the next job's selection leaves it out and she gets nothing.
    const carolFile = files[2]!.fileId;
    await f.send(f.wallet(carol!), { address: addresses.contributionRegistry, abi: contributionRegistryAbi, functionName: 'revokeFile', args: [carolFile] });
    const job2 = bytes32('job 2');
    const second = await runJob(job2);
    expect(second.shares.map((s) => s.account)).to.not.include(carol!.address);
    expect(second.shares.map((s) => s.amount)).to.deep.equal(splitRevenue(PRICE, [
      { account: alice!.address, weight: 8_000n },
      { account: bob!.address, weight: 6_000n },
    ]).map((s) => s.amount));
    const carolShare = first.shares.find((s) => s.account === carol!.address)!;
    const carolProof = first.tree.proofs[first.shares.indexOf(carolShare)]!;
    await expectRevert(
      f.send(host, { ...escrow, functionName: 'claim', args: [job2, carol!.address, carolShare.amount, carolProof] }),
      'JobEscrowInvalidProof',
      [job2, carol!.address, carolShare.amount],
    );
    await claimAll(job2, second.shares, second.tree.proofs);
    expect(await client.getBalance({ address: addresses.jobEscrow })).to.equal(0n);
    expect(await client.readContract({ ...escrow, functionName: 'epsilonSpent', args: [policyId] })).to.equal(2_000_000n);
  });
});
