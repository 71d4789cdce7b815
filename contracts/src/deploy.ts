// Deploys and wires the Audata contracts in one call, leaving the timelock as the only holder
// of governed settings and the deployer with no role at all.
import {
  getAddress,
  getContractAddress,
  keccak256,
  toHex,
  zeroAddress,
  type Abi,
  type Account,
  type Address,
  type Chain,
  type Hash,
  type Hex,
  type PublicClient,
  type Transport,
  type WalletClient,
} from 'viem';
import {
  accessPolicyRegistryAbi,
  accessPolicyRegistryBytecode,
  audataGovernorAbi,
  audataGovernorBytecode,
  audataTimelockAbi,
  audataTimelockBytecode,
  audataTokenAbi,
  audataTokenBytecode,
  auditAnchorAbi,
  auditAnchorBytecode,
  contributionRegistryAbi,
  contributionRegistryBytecode,
  enclaveRegistryAbi,
  enclaveRegistryBytecode,
  jobEscrowAbi,
  jobEscrowBytecode,
} from './generated/abi.ts';
import { DeploymentError } from './errors.ts';

export interface AudataClients {
  publicClient: PublicClient<Transport, Chain>;
  /** The deployer; it holds temporary admin roles during the deployment and renounces them all. */
  walletClient: WalletClient<Transport, Chain, Account>;
}

/** PCR values (48 bytes each, hex) of an enclave build; PCR1/2/8 are optional. */
export interface MeasurementInput {
  pcr0: Hex;
  pcr1?: Hex;
  pcr2?: Hex;
  pcr8?: Hex;
}

export interface GovernanceParams {
  /** Seconds between a proposal and the start of its vote. */
  votingDelay: number;
  /** Seconds the vote stays open. */
  votingPeriod: number;
  /** Votes needed to propose, in token units (18 decimals). */
  proposalThreshold: bigint;
  /** Quorum as a percentage of the total supply at the proposal's snapshot. */
  quorumPercent: bigint;
  /** Seconds a passed proposal waits in the timelock. */
  timelockDelay: bigint;
}

export interface AudataDeployParams {
  /** Council that may pause contributions and jobs; it can never move funds or change policies. */
  guardian: Address;
  /** May register enclave signers for approved measurements. */
  operator: Address;
  /** A measurement to approve at genesis, before governance takes over. */
  measurement?: MeasurementInput;
  governance?: Partial<GovernanceParams>;
  /** Token units minted per basis point of score (default 1e14: a perfect score earns 1 token). */
  rewardFactor?: bigint;
  /** Seconds before an unsettled job can be refunded (default 7 days). */
  refundTimeout?: bigint;
  tokenName?: string;
  tokenSymbol?: string;
}

export const defaultGovernance: GovernanceParams = {
  votingDelay: 86_400,
  votingPeriod: 7 * 86_400,
  // One token (a perfect-score contribution at the default reward): proposing takes a stake.
  proposalThreshold: 10n ** 18n,
  quorumPercent: 4n,
  timelockDelay: 2n * 86_400n,
};

export interface AudataAddresses {
  token: Address;
  timelock: Address;
  governor: Address;
  enclaveRegistry: Address;
  contributionRegistry: Address;
  accessPolicyRegistry: Address;
  jobEscrow: Address;
  /** Latest sealed state and audit head per dataset, signed by an active enclave signer. */
  auditAnchor: Address;
}

export interface AudataDeployment {
  addresses: AudataAddresses;
  /** Id of the measurement approved at genesis, when one was given. */
  measurementId: Hex | undefined;
  /** Gas used by every transaction of the deployment. */
  gasUsed: bigint;
}

const role = (name: string): Hex => keccak256(toHex(name));
export const ROLES = {
  DEFAULT_ADMIN: `0x${'00'.repeat(32)}` as Hex,
  OPERATOR: role('OPERATOR_ROLE'),
  GUARDIAN: role('GUARDIAN_ROLE'),
  PROPOSER: role('PROPOSER_ROLE'),
  EXECUTOR: role('EXECUTOR_ROLE'),
  CANCELLER: role('CANCELLER_ROLE'),
} as const;

/** Deploys token, timelock, governor, registries and escrow, and hands every governed setting to the timelock. */
export async function deployAudata(clients: AudataClients, params: AudataDeployParams): Promise<AudataDeployment> {
  const { publicClient, walletClient } = clients;
  const deployer = walletClient.account.address;
  const governance = { ...defaultGovernance, ...params.governance };
  let gasUsed = 0n;

  const confirm = async (step: string, send: () => Promise<Hash>): Promise<Address | null> => {
    try {
      const hash = await send();
      const receipt = await publicClient.waitForTransactionReceipt({ hash, pollingInterval: 20 });
      gasUsed += receipt.gasUsed;
      if (receipt.status !== 'success') throw new Error(`transaction ${hash} reverted`);
      return receipt.contractAddress ? getAddress(receipt.contractAddress) : null;
    } catch (cause) {
      if (cause instanceof DeploymentError) throw cause;
      const reason = cause instanceof Error ? (cause as { shortMessage?: string }).shortMessage ?? cause.message : String(cause);
      throw new DeploymentError(`${step} failed: ${reason}`, { details: { step }, cause });
    }
  };
  const deploy = async (name: string, abi: Abi, bytecode: Hex, args: readonly unknown[]): Promise<Address> => {
    const address = await confirm(`deploying ${name}`, () => walletClient.deployContract({ abi, bytecode, args }));
    if (address === null) throw new DeploymentError(`deploying ${name} gave no contract address`, { details: { step: name } });
    return address;
  };
  const write = (step: string, address: Address, abi: Abi, functionName: string, args: readonly unknown[]) =>
    confirm(step, () => walletClient.writeContract({ address, abi, functionName, args }));

  const timelock = await deploy('AudataTimelock', audataTimelockAbi, audataTimelockBytecode, [governance.timelockDelay, [], [], deployer]);

  // The token's minter is immutable, so the registry's address is fixed before either exists:
  // token at nonce n, enclave registry at n+1, contribution registry at n+2.
  const nonce = await publicClient.getTransactionCount({ address: deployer, blockTag: 'pending' });
  const predictedRegistry = getContractAddress({ from: deployer, nonce: BigInt(nonce + 2) });
  const token = await deploy('AudataToken', audataTokenAbi, audataTokenBytecode, [
    params.tokenName ?? 'Audata',
    params.tokenSymbol ?? 'AUDATA',
    predictedRegistry,
  ]);
  const enclaveRegistry = await deploy('EnclaveRegistry', enclaveRegistryAbi, enclaveRegistryBytecode, [deployer, params.operator]);
  const contributionRegistry = await deploy('ContributionRegistry', contributionRegistryAbi, contributionRegistryBytecode, [
    token,
    enclaveRegistry,
    timelock,
    params.guardian,
    params.rewardFactor ?? 10n ** 14n,
  ]);
  if (contributionRegistry !== predictedRegistry) {
    throw new DeploymentError(`ContributionRegistry landed at ${contributionRegistry}, not at the token's minter ${predictedRegistry}`, {
      details: { expected: predictedRegistry, received: contributionRegistry },
      hint: 'Do not send other transactions from the deployer account while deployAudata runs.',
    });
  }
  const accessPolicyRegistry = await deploy('AccessPolicyRegistry', accessPolicyRegistryAbi, accessPolicyRegistryBytecode, [timelock]);
  const jobEscrow = await deploy('JobEscrow', jobEscrowAbi, jobEscrowBytecode, [
    accessPolicyRegistry,
    enclaveRegistry,
    timelock,
    params.guardian,
    params.refundTimeout ?? 7n * 86_400n,
  ]);
  // No roles: it trusts whatever the enclave registry holds active, and anyone may submit.
  const auditAnchor = await deploy('AuditAnchor', auditAnchorAbi, auditAnchorBytecode, [enclaveRegistry]);
  const governor = await deploy('AudataGovernor', audataGovernorAbi, audataGovernorBytecode, [
    token,
    timelock,
    governance.votingDelay,
    governance.votingPeriod,
    governance.proposalThreshold,
    governance.quorumPercent,
  ]);

  // The governor alone proposes and cancels; anyone may execute what passed.
  await write('timelock: grant proposer', timelock, audataTimelockAbi, 'grantRole', [ROLES.PROPOSER, governor]);
  await write('timelock: grant canceller', timelock, audataTimelockAbi, 'grantRole', [ROLES.CANCELLER, governor]);
  await write('timelock: open executor', timelock, audataTimelockAbi, 'grantRole', [ROLES.EXECUTOR, zeroAddress]);
  await write('timelock: renounce deployer admin', timelock, audataTimelockAbi, 'renounceRole', [ROLES.DEFAULT_ADMIN, deployer]);

  let measurementId: Hex | undefined;
  if (params.measurement !== undefined) {
    const { pcr0, pcr1 = '0x', pcr2 = '0x', pcr8 = '0x' } = params.measurement;
    await write('approving the genesis measurement', enclaveRegistry, enclaveRegistryAbi, 'approveMeasurement', [pcr0, pcr1, pcr2, pcr8]);
    measurementId = await publicClient.readContract({
      address: enclaveRegistry,
      abi: enclaveRegistryAbi,
      functionName: 'measurementId',
      args: [pcr0, pcr1, pcr2, pcr8],
    });
  }
  await write('enclave registry: hand admin to timelock', enclaveRegistry, enclaveRegistryAbi, 'grantRole', [ROLES.DEFAULT_ADMIN, timelock]);
  await write('enclave registry: renounce deployer admin', enclaveRegistry, enclaveRegistryAbi, 'renounceRole', [ROLES.DEFAULT_ADMIN, deployer]);

  return {
    addresses: { token, timelock, governor, enclaveRegistry, contributionRegistry, accessPolicyRegistry, jobEscrow, auditAnchor },
    measurementId,
    gasUsed,
  };
}
