import { expect } from 'chai';
import { parseEventLogs, recoverTypedDataAddress, type Hex } from 'viem';
import { escrowDomain, receiptTypes, type JobReceipt } from '@audata/wire';
import { compileSources } from './build.ts';
import { JobStatus } from './constants.ts';
import { ROLES } from './deploy.ts';
import { accessPolicyRegistryAbi, enclaveRegistryAbi, iJobEscrowAbi, jobEscrowAbi } from './generated/abi.ts';
import { buildSharesTree, type Share } from './shares.ts';
import { bytes32, revertChecker, startAudata, testKey, type AudataFixture, type Wallet } from './testing/fixture.ts';

describe('JobEscrow', function () {
  this.timeout(60_000);
  let f: AudataFixture;
  let timelock: Wallet;
  let buyer: Wallet;
  let relayer: Wallet;
  let policyId: bigint;
  const PRICE = 10n ** 18n;
  const TIMEOUT = 7n * 86_400n;
  const jobId = bytes32('job 1');
  const { expectRevert, missing } = revertChecker(iJobEscrowAbi);

  const call = (wallet: Wallet, functionName: string, args: readonly unknown[], value?: bigint) =>
    f.send(wallet, { address: f.addresses.jobEscrow, abi: jobEscrowAbi, functionName, args, ...(value === undefined ? {} : { value }) });
  const pay = (id = jobId, value = PRICE, wallet = buyer, policy = policyId) => call(wallet, 'pay', [id, policy], value);
  const settle = (receipt: JobReceipt, signature: Hex) => call(relayer, 'settle', [receipt, signature]);
  const claim = (share: Share, proof: readonly Hex[], id = jobId) => call(relayer, 'claim', [id, share.account, share.amount, proof]);
  const eth = (address: `0x${string}`) => f.anvil.publicClient.getBalance({ address });
  const job = (id = jobId) => f.anvil.publicClient.readContract({ address: f.addresses.jobEscrow, abi: jobEscrowAbi, functionName: 'job', args: [id] });

  const shares = (): Share[] => [
    { account: f.users[0]!.address, amount: (PRICE * 6n) / 10n },
    { account: f.users[1]!.address, amount: (PRICE * 4n) / 10n },
  ];
  const receiptFor = async (overrides: Partial<JobReceipt> = {}): Promise<JobReceipt> => ({
    jobId,
    policyId,
    buyer: f.users[3]!.address,
    modelHash: bytes32('model a'),
    sharesRoot: buildSharesTree(shares()).root,
    filesUsed: 2,
    epsilonSpent: 1_000_000n,
    resultHash: bytes32('result'),
    deadline: (await f.now()) + 3_600n,
    ...overrides,
  });

  before(async () => {
    f = await startAudata();
    timelock = await f.timelock();
    buyer = f.wallet(f.users[3]!);
    relayer = f.wallet(f.users[6]!);
    policyId = await f.createPolicy(await f.policyTerms({ price: PRICE }));
    await f.snapshot();
  });
  beforeEach(async () => {
    await f.restore();
  });
  after(async () => {
    await f.stop();
  });

  it('a buyer pays, a receipt settles, two contributors claim exactly their shares', async () => {
    const paid = await pay();
    const [jobPaid] = parseEventLogs({ abi: jobEscrowAbi, logs: paid.logs, eventName: 'JobPaid' });
    expect(jobPaid?.args).to.deep.equal({ jobId, policyId, buyer: f.users[3]!.address, price: PRICE });
    expect(await eth(f.addresses.jobEscrow)).to.equal(PRICE);

    const receipt = await receiptFor();
    const settled = await settle(receipt, await f.signReceipt(receipt));
    const [event] = parseEventLogs({ abi: jobEscrowAbi, logs: settled.logs, eventName: 'JobSettled' });
    expect(event?.args).to.deep.include({ jobId, signer: f.enclave.address, sharesRoot: receipt.sharesRoot, filesUsed: 2, epsilonSpent: 1_000_000n });
    expect((await job()).status).to.equal(JobStatus.Settled);
    expect(await f.anvil.publicClient.readContract({ address: f.addresses.jobEscrow, abi: jobEscrowAbi, functionName: 'epsilonSpent', args: [policyId] })).to.equal(1_000_000n);

    const tree = buildSharesTree(shares());
    for (const [i, share] of shares().entries()) {
      const before = await eth(share.account);
      const claimed = await claim(share, tree.proofs[i]!);
      expect(parseEventLogs({ abi: jobEscrowAbi, logs: claimed.logs, eventName: 'ShareClaimed' })[0]?.args).to.deep.equal({ jobId, ...share });
      expect((await eth(share.account)) - before).to.equal(share.amount);
    }
    expect(await eth(f.addresses.jobEscrow)).to.equal(0n);
    expect((await job()).claimed).to.equal(PRICE);
    await expectRevert(claim(shares()[0]!, tree.proofs[0]!), 'JobEscrowAlreadyClaimed', [jobId, shares()[0]!.account, shares()[0]!.amount]);
  });

  it('every leaf of a larger share tree verifies on chain', async () => {
    const many: Share[] = Array.from({ length: 7 }, (_, i) => ({ account: testKey(`claimant ${i}`).address, amount: PRICE / 7n + BigInt(i) - 3n }));
    const tree = buildSharesTree(many);
    await pay();
    const receipt = await receiptFor({ sharesRoot: tree.root, filesUsed: 7 });
    await settle(receipt, await f.signReceipt(receipt));
    for (const [i, share] of many.entries()) {
      await claim(share, tree.proofs[i]!);
      expect(await eth(share.account)).to.equal(share.amount);
    }
  });

  it('refuses bad payments', async () => {
    await expectRevert(pay(jobId, PRICE - 1n), 'JobEscrowIncorrectPayment', [PRICE, PRICE - 1n]);
    await expectRevert(pay(jobId, PRICE, relayer), 'JobEscrowUnauthorizedBuyer', [policyId, f.users[6]!.address]);
    await expectRevert(pay(jobId, PRICE, buyer, 99n), 'JobEscrowInactivePolicy', [99n]);
    await pay();
    await expectRevert(pay(), 'JobEscrowJobExists', [jobId]);
    await f.send(timelock, { address: f.addresses.accessPolicyRegistry, abi: accessPolicyRegistryAbi, functionName: 'retirePolicy', args: [policyId] });
    await expectRevert(pay(bytes32('job 2')), 'JobEscrowInactivePolicy', [policyId]);
  });

  it('refuses receipts that do not match the job, the policy or an active enclave', async () => {
    await pay();
    const sign = async (overrides: Partial<JobReceipt>, signer = f.enclave) => {
      const receipt = await receiptFor(overrides);
      return settle(receipt, await f.signReceipt(receipt, { signer }));
    };
    const rogue = testKey('rogue enclave');
    await expectRevert(sign({}, rogue), 'JobEscrowInactiveSigner', [rogue.address]);
    await expectRevert(settle(await receiptFor(), '0x00'), 'JobEscrowInvalidSignature');
    const unknown = bytes32('unknown job');
    await expectRevert(sign({ jobId: unknown }), 'JobEscrowUnexpectedJobStatus', [unknown, JobStatus.None, JobStatus.Paid]);
    await expectRevert(sign({ policyId: policyId + 1n }), 'JobEscrowPolicyMismatch', [jobId, policyId, policyId + 1n]);
    await expectRevert(sign({ buyer: f.users[6]!.address }), 'JobEscrowBuyerMismatch', [jobId, f.users[3]!.address, f.users[6]!.address]);
    await expectRevert(sign({ modelHash: bytes32('model z') }), 'JobEscrowModelNotAllowed', [policyId, bytes32('model z')]);
    await expectRevert(sign({ epsilonSpent: 3_000_001n }), 'JobEscrowBudgetExceeded', [policyId, 3_000_000n, 3_000_001n]);
    const now = await f.now();
    await expectRevert(sign({ deadline: now - 1n }), 'JobEscrowExpiredReceipt', [now - 1n, now]);
    const receipt = await receiptFor();
    const signature = await f.signReceipt(receipt);
    await settle(receipt, signature);
    await expectRevert(settle(receipt, signature), 'JobEscrowUnexpectedJobStatus', [jobId, JobStatus.Settled, JobStatus.Paid]);
  });

  it('refuses receipts signed for another chain or contract, and by revoked signers', async () => {
    await pay();
    const receipt = await receiptFor();
    for (const options of [{ chainId: 1 }, { contract: f.addresses.contributionRegistry }]) {
      const signature = await f.signReceipt(receipt, options);
      const recovered = await recoverTypedDataAddress({
        domain: escrowDomain(f.anvil.chain.id, f.addresses.jobEscrow),
        types: receiptTypes,
        primaryType: 'JobReceipt',
        message: receipt,
        signature,
      });
      expect(recovered).to.not.equal(f.enclave.address);
      await expectRevert(settle(receipt, signature), 'JobEscrowInactiveSigner', [recovered]);
    }
    await f.send(timelock, { address: f.addresses.enclaveRegistry, abi: enclaveRegistryAbi, functionName: 'revokeSigner', args: [f.enclave.address] });
    await expectRevert(settle(receipt, await f.signReceipt(receipt)), 'JobEscrowInactiveSigner', [f.enclave.address]);
  });

  it('a policy privacy budget is spent across jobs', async () => {
    await pay();
    const first = await receiptFor({ epsilonSpent: 2_000_000n });
    await settle(first, await f.signReceipt(first));
    const second = bytes32('job 2');
    await pay(second);
    const receipt = await receiptFor({ jobId: second, epsilonSpent: 1_500_000n });
    await expectRevert(settle(receipt, await f.signReceipt(receipt)), 'JobEscrowBudgetExceeded', [policyId, 1_000_000n, 1_500_000n]);
  });

  it('refuses bad claims', async () => {
    await pay();
    const tree = buildSharesTree(shares());
    const [first] = shares() as [Share];
    await expectRevert(claim(first, tree.proofs[0]!), 'JobEscrowUnexpectedJobStatus', [jobId, JobStatus.Paid, JobStatus.Settled]);
    const receipt = await receiptFor();
    await settle(receipt, await f.signReceipt(receipt));
    await expectRevert(claim({ ...first, amount: first.amount + 1n }, tree.proofs[0]!), 'JobEscrowInvalidProof', [jobId, first.account, first.amount + 1n]);
  });

  it('never pays out more than the job holds, even if a receipt over-allocates', async () => {
    const greedy: Share[] = [
      { account: f.users[0]!.address, amount: PRICE },
      { account: f.users[1]!.address, amount: 1n },
    ];
    const tree = buildSharesTree(greedy);
    await pay();
    await pay(bytes32('job 2'));
    const receipt = await receiptFor({ sharesRoot: tree.root });
    await settle(receipt, await f.signReceipt(receipt));
    await claim(greedy[0]!, tree.proofs[0]!);
    await expectRevert(claim(greedy[1]!, tree.proofs[1]!), 'JobEscrowInsufficientFunds', [jobId, 0n, 1n]);
    expect(await eth(f.addresses.jobEscrow)).to.equal(PRICE);
  });

  it('refunds an unsettled job to its buyer after the timeout, once', async () => {
    await pay();
    const paidAt = (await job()).paidAt;
    await expectRevert(call(relayer, 'refund', [jobId]), 'JobEscrowRefundTooEarly', [jobId, BigInt(paidAt) + TIMEOUT]);
    await f.increaseTime(Number(TIMEOUT));
    const before = await eth(f.users[3]!.address);
    const receipt = await call(relayer, 'refund', [jobId]);
    expect(parseEventLogs({ abi: jobEscrowAbi, logs: receipt.logs, eventName: 'JobRefunded' })[0]?.args).to.deep.equal({ jobId, buyer: f.users[3]!.address, amount: PRICE });
    expect((await eth(f.users[3]!.address)) - before).to.equal(PRICE);
    await expectRevert(call(relayer, 'refund', [jobId]), 'JobEscrowUnexpectedJobStatus', [jobId, JobStatus.Refunded, JobStatus.Paid]);
    const late = await receiptFor();
    await expectRevert(settle(late, await f.signReceipt(late)), 'JobEscrowUnexpectedJobStatus', [jobId, JobStatus.Refunded, JobStatus.Paid]);
  });

  it('the guardian pauses payments and settlements but never claims or refunds; the timelock sets the timeout', async () => {
    const guardian = f.wallet(f.guardian);
    await pay();
    const receipt = await receiptFor();
    const signature = await f.signReceipt(receipt);
    await call(guardian, 'pause', []);
    await expectRevert(pay(bytes32('job 2')), 'EnforcedPause');
    await expectRevert(settle(receipt, signature), 'EnforcedPause');
    await call(guardian, 'unpause', []);
    await settle(receipt, signature);
    await call(guardian, 'pause', []);
    const tree = buildSharesTree(shares());
    await claim(shares()[0]!, tree.proofs[0]!);
    await expectRevert(call(guardian, 'setRefundTimeout', [1n]), 'AccessControlUnauthorizedAccount', [f.guardian.address, ROLES.DEFAULT_ADMIN]);
    const changed = await call(timelock, 'setRefundTimeout', [60n]);
    expect(parseEventLogs({ abi: jobEscrowAbi, logs: changed.logs, eventName: 'RefundTimeoutChanged' })[0]?.args).to.deep.equal({ oldTimeout: TIMEOUT, newTimeout: 60n });
  });

  it('a claimant that re-enters claim from its receive hook gets nothing twice', async () => {
    const source = `// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;
interface IEscrow { function claim(bytes32 jobId, address account, uint256 amount, bytes32[] calldata proof) external; }
contract ReenteringClaimant {
    IEscrow private immutable _escrow;
    bytes32 private _job;
    uint256 private _amount;
    bytes32[] private _proof;
    constructor(IEscrow escrow) { _escrow = escrow; }
    function arm(bytes32 job, uint256 amount, bytes32[] calldata proof) external { _job = job; _amount = amount; _proof = proof; }
    receive() external payable { _escrow.claim(_job, address(this), _amount, _proof); }
}`;
    const attacker = compileSources({ 'test/ReenteringClaimant.sol': source }).find((c) => c.name === 'ReenteringClaimant');
    const deployer = f.wallet(f.users[4]!);
    const hash = await deployer.deployContract({ abi: attacker!.abi as never, bytecode: attacker!.bytecode, args: [f.addresses.jobEscrow] });
    const address = (await f.anvil.publicClient.waitForTransactionReceipt({ hash })).contractAddress!;
    const loot: Share[] = [
      { account: address, amount: PRICE / 2n },
      { account: f.users[0]!.address, amount: PRICE / 2n },
    ];
    const tree = buildSharesTree(loot);
    await pay();
    await pay(bytes32('job 2'));
    const receipt = await receiptFor({ sharesRoot: tree.root });
    await settle(receipt, await f.signReceipt(receipt));
    await f.send(deployer, { address, abi: attacker!.abi as never, functionName: 'arm', args: [jobId, loot[0]!.amount, tree.proofs[0]!] });
    await expectRevert(claim(loot[0]!, tree.proofs[0]!), 'ReentrancyGuardReentrantCall');
    expect(await eth(address)).to.equal(0n);
    expect(await eth(f.addresses.jobEscrow)).to.equal(2n * PRICE);
  });

  it('every IJobEscrow error was asserted above', () => {
    expect(missing()).to.deep.equal([]);
  });
});
