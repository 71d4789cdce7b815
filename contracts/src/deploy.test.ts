import { expect } from 'chai';
import { zeroAddress } from 'viem';
import { deployAudata, ROLES } from './deploy.ts';
import { DeploymentError } from './errors.ts';
import {
  accessPolicyRegistryAbi,
  audataGovernorAbi,
  audataTimelockAbi,
  audataTokenAbi,
  contributionRegistryAbi,
  enclaveRegistryAbi,
  jobEscrowAbi,
} from './generated/abi.ts';
import { decodeRevert, startAudata, testGovernance, type AudataFixture } from './testing/fixture.ts';

describe('deployAudata', function () {
  this.timeout(60_000);
  let f: AudataFixture;

  before(async () => {
    f = await startAudata();
  });
  after(async () => {
    await f.stop();
  });

  it('wires the token, registries, escrow, governor and timelock to one another', async () => {
    const read = f.anvil.publicClient.readContract;
    const { addresses } = f;
    expect(await read({ address: addresses.token, abi: audataTokenAbi, functionName: 'minter' })).to.equal(addresses.contributionRegistry);
    expect(await read({ address: addresses.contributionRegistry, abi: contributionRegistryAbi, functionName: 'token' })).to.equal(addresses.token);
    expect(await read({ address: addresses.contributionRegistry, abi: contributionRegistryAbi, functionName: 'enclaveRegistry' })).to.equal(addresses.enclaveRegistry);
    expect(await read({ address: addresses.jobEscrow, abi: jobEscrowAbi, functionName: 'policyRegistry' })).to.equal(addresses.accessPolicyRegistry);
    expect(await read({ address: addresses.governor, abi: audataGovernorAbi, functionName: 'timelock' })).to.equal(addresses.timelock);
    expect(await read({ address: addresses.governor, abi: audataGovernorAbi, functionName: 'token' })).to.equal(addresses.token);
    expect(await read({ address: addresses.governor, abi: audataGovernorAbi, functionName: 'votingPeriod' })).to.equal(BigInt(testGovernance.votingPeriod));
    expect(await read({ address: addresses.token, abi: audataTokenAbi, functionName: 'CLOCK_MODE' })).to.equal('mode=timestamp');
    expect(await read({ address: addresses.governor, abi: audataGovernorAbi, functionName: 'CLOCK_MODE' })).to.equal('mode=timestamp');
  });

  it('leaves the timelock as the only admin and the deployer with no role', async () => {
    const read = f.anvil.publicClient.readContract;
    const { addresses, deployer, guardian, operator } = f;
    const holds = (address: `0x${string}`, abi: typeof enclaveRegistryAbi | typeof contributionRegistryAbi | typeof accessPolicyRegistryAbi | typeof jobEscrowAbi | typeof audataTimelockAbi, role: `0x${string}`, account: `0x${string}`) =>
      read({ address, abi, functionName: 'hasRole', args: [role, account] } as never) as Promise<boolean>;
    for (const [address, abi] of [
      [addresses.enclaveRegistry, enclaveRegistryAbi],
      [addresses.contributionRegistry, contributionRegistryAbi],
      [addresses.accessPolicyRegistry, accessPolicyRegistryAbi],
      [addresses.jobEscrow, jobEscrowAbi],
      [addresses.timelock, audataTimelockAbi],
    ] as const) {
      expect(await holds(address, abi, ROLES.DEFAULT_ADMIN, deployer.address), `deployer admin of ${address}`).to.equal(false);
    }
    for (const [address, abi] of [
      [addresses.enclaveRegistry, enclaveRegistryAbi],
      [addresses.contributionRegistry, contributionRegistryAbi],
      [addresses.accessPolicyRegistry, accessPolicyRegistryAbi],
      [addresses.jobEscrow, jobEscrowAbi],
    ] as const) {
      expect(await holds(address, abi, ROLES.DEFAULT_ADMIN, addresses.timelock), `timelock admin of ${address}`).to.equal(true);
      expect(await holds(address, abi, ROLES.DEFAULT_ADMIN, guardian.address)).to.equal(false);
    }
    expect(await holds(addresses.enclaveRegistry, enclaveRegistryAbi, ROLES.OPERATOR, operator.address)).to.equal(true);
    expect(await holds(addresses.contributionRegistry, contributionRegistryAbi, ROLES.GUARDIAN, guardian.address)).to.equal(true);
    expect(await holds(addresses.jobEscrow, jobEscrowAbi, ROLES.GUARDIAN, guardian.address)).to.equal(true);
    expect(await holds(addresses.timelock, audataTimelockAbi, ROLES.PROPOSER, addresses.governor)).to.equal(true);
    expect(await holds(addresses.timelock, audataTimelockAbi, ROLES.CANCELLER, addresses.governor)).to.equal(true);
    expect(await holds(addresses.timelock, audataTimelockAbi, ROLES.EXECUTOR, zeroAddress)).to.equal(true);
    expect(await holds(addresses.timelock, audataTimelockAbi, ROLES.PROPOSER, deployer.address)).to.equal(false);
  });

  it('approves the genesis measurement', async () => {
    const m = await f.anvil.publicClient.readContract({ address: f.addresses.enclaveRegistry, abi: enclaveRegistryAbi, functionName: 'measurement', args: [f.measurementId] });
    expect(m.status).to.equal(1);
    expect(m.pcr0).to.equal(f.measurement.pcr0);
    expect(m.pcr8).to.equal('0x');
  });

  it('names the failing step and keeps the revert as cause (CONTRACTS_DEPLOY_FAILED)', async () => {
    const [deployer] = f.anvil.accounts;
    let failure: unknown;
    try {
      await deployAudata(
        { publicClient: f.anvil.publicClient, walletClient: f.wallet(deployer!) },
        { guardian: f.guardian.address, operator: f.operator.address, governance: { votingPeriod: 0 } },
      );
    } catch (error) {
      failure = error;
    }
    expect(failure).to.be.instanceOf(DeploymentError);
    expect((failure as DeploymentError).code).to.equal('CONTRACTS_DEPLOY_FAILED');
    expect((failure as DeploymentError).details.step).to.equal('deploying AudataGovernor');
    expect(decodeRevert(failure)).to.deep.equal({ errorName: 'GovernorInvalidVotingPeriod', args: [0n] });
  });
});
