import { expect } from 'chai';
import { parseEventLogs, zeroAddress } from 'viem';
import { ROLES } from './deploy.ts';
import { accessPolicyRegistryAbi, iAccessPolicyRegistryAbi } from './generated/abi.ts';
import { bytes32, revertChecker, startAudata, type AudataFixture, type PolicyTerms, type Wallet } from './testing/fixture.ts';

describe('AccessPolicyRegistry', function () {
  this.timeout(60_000);
  let f: AudataFixture;
  let timelock: Wallet;
  const { expectRevert, missing } = revertChecker(iAccessPolicyRegistryAbi);
  const call = (wallet: Wallet, functionName: string, args: readonly unknown[]) =>
    f.send(wallet, { address: f.addresses.accessPolicyRegistry, abi: accessPolicyRegistryAbi, functionName, args });
  const read = <N extends 'policy' | 'isActive' | 'isModelAllowed' | 'policyCount'>(functionName: N, args: readonly unknown[]) =>
    f.anvil.publicClient.readContract({ address: f.addresses.accessPolicyRegistry, abi: accessPolicyRegistryAbi, functionName, args } as never);

  before(async () => {
    f = await startAudata();
    timelock = await f.timelock();
    await f.snapshot();
  });
  beforeEach(async () => {
    await f.restore();
  });
  after(async () => {
    await f.stop();
  });

  it('the timelock creates a policy, readable whole in one call', async () => {
    const terms = await f.policyTerms();
    const receipt = await call(timelock, 'createPolicy', [terms]);
    const [event] = parseEventLogs({ abi: accessPolicyRegistryAbi, logs: receipt.logs, eventName: 'PolicyCreated' });
    expect(event?.args.policyId).to.equal(1n);
    expect(event?.args.buyer).to.equal(terms.buyer);
    const policy = (await read('policy', [1n])) as { terms: PolicyTerms; retired: boolean; createdAt: bigint };
    expect(policy.terms).to.deep.equal(terms);
    expect(policy.retired).to.equal(false);
    expect(await read('isActive', [1n])).to.equal(true);
    expect(await read('isModelAllowed', [1n, bytes32('model b')])).to.equal(true);
    expect(await read('isModelAllowed', [1n, bytes32('model c')])).to.equal(false);
    expect(await read('policyCount', [])).to.equal(1n);
  });

  it('a policy expires and can be retired once', async () => {
    const terms = await f.policyTerms();
    const id = await f.createPolicy(terms);
    const receipt = await call(timelock, 'retirePolicy', [id]);
    expect(parseEventLogs({ abi: accessPolicyRegistryAbi, logs: receipt.logs, eventName: 'PolicyRetired' })).to.have.length(1);
    expect(await read('isActive', [id])).to.equal(false);
    await expectRevert(call(timelock, 'retirePolicy', [id]), 'AccessPolicyRegistryPolicyRetired', [id]);
    const next = await f.createPolicy(await f.policyTerms({ expiry: (await f.now()) + 100n }));
    expect(await read('isActive', [next])).to.equal(true);
    await f.increaseTime(200);
    expect(await read('isActive', [next])).to.equal(false);
  });

  it('refuses unknown policies', async () => {
    await expectRevert(call(timelock, 'retirePolicy', [7n]), 'AccessPolicyRegistryUnknownPolicy', [7n]);
    await expectRevert(read('policy', [7n]), 'AccessPolicyRegistryUnknownPolicy', [7n]);
  });

  it('refuses malformed terms', async () => {
    const bad = async (overrides: Partial<PolicyTerms>) => call(timelock, 'createPolicy', [await f.policyTerms(overrides)]);
    await expectRevert(bad({ buyer: zeroAddress }), 'AccessPolicyRegistryInvalidBuyer', [zeroAddress]);
    await expectRevert(bad({ jobKinds: 0 }), 'AccessPolicyRegistryInvalidJobKinds', [0]);
    await expectRevert(bad({ jobKinds: 8 | 1 }), 'AccessPolicyRegistryInvalidJobKinds', [9]);
    await expectRevert(bad({ minScore: 10_001 }), 'AccessPolicyRegistryInvalidMinScore', [10_001]);
    await expectRevert(bad({ termsHash: `0x${'00'.repeat(32)}` }), 'AccessPolicyRegistryInvalidTerms');
    await expectRevert(bad({ epsilon: 0n }), 'AccessPolicyRegistryInvalidBudget', [0n, 10n ** 13n]);
    await expectRevert(bad({ delta: 10n ** 18n }), 'AccessPolicyRegistryInvalidBudget', [3_000_000n, 10n ** 18n]);
    const now = await f.now();
    await expectRevert(bad({ expiry: now }), 'AccessPolicyRegistryInvalidExpiry', [now, now]);
  });

  it('only the timelock creates and retires; the guardian cannot', async () => {
    const guardian = f.wallet(f.guardian);
    await expectRevert(call(guardian, 'createPolicy', [await f.policyTerms()]), 'AccessControlUnauthorizedAccount', [f.guardian.address, ROLES.DEFAULT_ADMIN]);
    const id = await f.createPolicy(await f.policyTerms());
    await expectRevert(call(guardian, 'retirePolicy', [id]), 'AccessControlUnauthorizedAccount', [f.guardian.address, ROLES.DEFAULT_ADMIN]);
  });

  it('every IAccessPolicyRegistry error was asserted above', () => {
    expect(missing()).to.deep.equal([]);
  });
});
