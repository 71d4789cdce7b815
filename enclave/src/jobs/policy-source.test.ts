import { expect } from 'chai';
import { sha256, type Hex } from 'viem';
import { jobEscrowAbi, contributionRegistryAbi } from '../../../contracts/src/generated/abi.ts';
import { startAudata, bytes32, type AudataFixture } from '../../../contracts/src/testing/fixture.ts';
import { ChainPolicySource } from './policy-source.ts';
import { authorizeJob } from './policy.ts';

describe('ChainPolicySource against anvil (deployAudata)', function () {
  this.timeout(120_000);
  let f: AudataFixture;
  let source: ChainPolicySource;
  const modelHash: Hex = sha256(new Uint8Array([1, 2, 3]));

  before(async () => {
    f = await startAudata();
    source = new ChainPolicySource(f.anvil.publicClient as never, f.addresses);
  });
  after(async () => f?.stop());
  beforeEach(() => f.snapshot());
  afterEach(() => f.restore());

  async function refusal(action: () => Promise<void>): Promise<string> {
    try {
      await action();
    } catch (error) {
      return (error as { code: string }).code;
    }
    return 'ACCEPTED';
  }

  it('reads a policy as the timelock created it and authorizes a paid job; refuses unpaid, paused, expired, retired', async () => {
    const terms = await f.policyTerms({ modelHashes: [modelHash] });
    const policyId = await f.createPolicy(terms);
    const policy = await source.policy(policyId);
    expect(policy).to.include({ id: policyId, buyer: terms.buyer, jobKinds: 3, minScore: 5_000, epsilon: 3_000_000n, retired: false });
    expect(policy.languages).to.deep.equal(['en', 'pt-BR']);
    const jobId = bytes32('job 1');
    const job = { jobId, policyId, buyer: terms.buyer, kind: 'gradients' as const, modelHash };
    const check = async () => authorizeJob(job, await source.policy(policyId), await source.escrow(jobId, policyId), await f.now(), 0);

    expect(await refusal(check)).to.equal('JOB_UNPAID');
    const buyer = f.wallet(terms.buyer);
    await f.send(buyer, { address: f.addresses.jobEscrow, abi: jobEscrowAbi, functionName: 'pay', args: [jobId, policyId], value: terms.price });
    expect(await refusal(check)).to.equal('ACCEPTED');

    await f.send(f.wallet(f.guardian), { address: f.addresses.jobEscrow, abi: jobEscrowAbi, functionName: 'pause' });
    expect(await refusal(check)).to.equal('JOB_PAUSED');
    await f.send(f.wallet(f.guardian), { address: f.addresses.jobEscrow, abi: jobEscrowAbi, functionName: 'unpause' });

    expect(await refusal(async () => authorizeJob({ ...job, kind: 'aggregates' }, await source.policy(policyId), await source.escrow(jobId, policyId), await f.now(), 0))).to.equal('JOB_KIND_NOT_ALLOWED');

    await f.increaseTime(86_401);
    expect(await refusal(check)).to.equal('JOB_POLICY_EXPIRED');
  });

  it('sees a retired policy and refuses an unknown one', async () => {
    const policyId = await f.createPolicy(await f.policyTerms({ modelHashes: [modelHash] }));
    const timelock = await f.timelock();
    const { accessPolicyRegistryAbi } = await import('../../../contracts/src/generated/abi.ts');
    await f.send(timelock, { address: f.addresses.accessPolicyRegistry, abi: accessPolicyRegistryAbi, functionName: 'retirePolicy', args: [policyId] });
    expect((await source.policy(policyId)).retired).to.equal(true);
    expect(await refusal(async () => void (await source.policy(999n)))).to.equal('JOB_POLICY_UNKNOWN');
  });

  it('reports revoked files, and a dead RPC as JOB_CHAIN_READ_FAILED', async () => {
    const [contributor] = f.users;
    const proof = await f.proof({ fileId: bytes32('file r'), contributor: contributor!.address });
    // Fixed gas: the mint's checkpoint may cost a fresh slot if the block's second differs from the estimate's.
    const hash = await f.wallet(f.deployer).writeContract({ address: f.addresses.contributionRegistry, abi: contributionRegistryAbi, functionName: 'submitProof', args: [proof, await f.signProof(proof)], gas: 600_000n });
    expect((await f.anvil.publicClient.waitForTransactionReceipt({ hash, pollingInterval: 10 })).status).to.equal('success');
    const other = bytes32('file kept');
    expect([...(await source.revoked([proof.fileId, other]))]).to.deep.equal([]);
    await f.send(f.wallet(contributor!), { address: f.addresses.contributionRegistry, abi: contributionRegistryAbi, functionName: 'revokeFile', args: [proof.fileId] });
    expect([...(await source.revoked([proof.fileId, other]))]).to.deep.equal([proof.fileId]);
    const dead = ChainPolicySource.fromRpc('http://127.0.0.1:9', f.addresses);
    expect(await refusal(async () => void (await dead.policy(1n)))).to.equal('JOB_CHAIN_READ_FAILED');
  });
});
