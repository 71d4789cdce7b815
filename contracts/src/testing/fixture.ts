// Shared test setup: one anvil per test file with Audata deployed, an enclave signer registered,
// snapshots between tests, and revert decoding that asserts custom error names and arguments.
import type { PolicyTerms } from '@audata/wire';
import { expect } from 'chai';
import {
  BaseError,
  ContractFunctionRevertedError,
  decodeErrorResult,
  encodeFunctionData,
  keccak256,
  toHex,
  type Abi,
  type Account,
  type Address,
  type Hex,
  type TransactionReceipt,
  type WalletClient,
  type Transport,
  type Chain,
} from 'viem';
import { privateKeyToAccount, type HDAccount, type PrivateKeyAccount } from 'viem/accounts';
import { escrowDomain, proofTypes, receiptTypes, registryDomain, type ContributionProof, type JobReceipt } from '@audata/wire';
import * as generated from '../generated/abi.ts';
import { deployAudata, type AudataAddresses, type AudataDeployment, type MeasurementInput } from '../deploy.ts';
import { startAnvil, type Anvil } from './anvil.ts';

type AbiError = Extract<Abi[number], { type: 'error' }>;

/** Every custom error any Audata contract or its OpenZeppelin bases can revert with. */
export const allErrorsAbi: AbiError[] = (() => {
  const seen = new Map<string, AbiError>();
  for (const value of Object.values(generated)) {
    if (!Array.isArray(value)) continue;
    for (const item of value as Abi) {
      if (item.type !== 'error') continue;
      seen.set(`${item.name}(${item.inputs.map((input) => input.type).join(',')})`, item);
    }
  }
  return [...seen.values()];
})();

/** A deterministic key for a test role, so gas figures and addresses repeat run after run. */
export const testKey = (label: string): PrivateKeyAccount => privateKeyToAccount(keccak256(toHex(`audata test key: ${label}`)));

/** 48 bytes of a repeated value, shaped like a Nitro PCR (SHA-384). */
export const pcr = (byte: number): Hex => toHex(new Uint8Array(48).fill(byte));

export const bytes32 = (label: string): Hex => keccak256(toHex(label));

function revertData(error: unknown): Hex | undefined {
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 20; depth++) {
    if (current instanceof ContractFunctionRevertedError && current.raw !== undefined) return current.raw;
    const data = (current as { data?: unknown }).data;
    if (typeof data === 'string' && data.startsWith('0x')) return data as Hex;
    if (typeof data === 'object' && data !== null && typeof (data as { data?: unknown }).data === 'string') {
      return (data as { data: Hex }).data;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Decodes the custom error a failed call reverted with. */
export function decodeRevert(error: unknown): { errorName: string; args: readonly unknown[] } {
  const data = revertData(error);
  if (data === undefined || data === '0x') {
    throw new Error(`no revert data in: ${error instanceof BaseError ? error.shortMessage : String(error)}`);
  }
  const decoded = decodeErrorResult({ abi: allErrorsAbi, data });
  return { errorName: decoded.errorName, args: decoded.args ?? [] };
}

/**
 * Asserts reverts by custom error name and arguments, and remembers which errors of `abi`
 * (a contract's I* interface) were asserted, so a test file can prove it covered them all.
 */
export function revertChecker(abi: Abi) {
  const declared = abi.filter((item): item is AbiError => item.type === 'error').map((item) => item.name);
  const asserted = new Set<string>();
  return {
    async expectRevert(action: Promise<unknown>, errorName: string, args: readonly unknown[] = []): Promise<void> {
      let failure: unknown;
      try {
        await action;
      } catch (error) {
        failure = error;
      }
      expect(failure, `expected a revert with ${errorName}`).to.not.equal(undefined);
      const decoded = decodeRevert(failure);
      expect(decoded.errorName).to.equal(errorName);
      expect(decoded.args).to.deep.equal(args);
      asserted.add(errorName);
    },
    /** Errors of the interface no test has asserted yet. */
    missing(): string[] {
      return declared.filter((name) => !asserted.has(name));
    },
  };
}

export type Wallet = WalletClient<Transport, Chain, Account>;

export interface AudataFixture {
  anvil: Anvil;
  deployment: AudataDeployment;
  addresses: AudataAddresses;
  measurement: MeasurementInput;
  measurementId: Hex;
  deployer: HDAccount;
  guardian: HDAccount;
  operator: HDAccount;
  /** Funded accounts with no role: contributors and buyers. */
  users: readonly HDAccount[];
  /** An enclave signing key registered under the genesis measurement. */
  enclave: PrivateKeyAccount;
  wallet(account: Account | Address): Wallet;
  /** A wallet that sends as the timelock (anvil impersonation), for unit tests of governed functions. */
  timelock(): Promise<Wallet>;
  /** Sends a contract call and waits for it; a revert throws before anything is mined. */
  send(wallet: Wallet, call: { address: Address; abi: Abi; functionName: string; args?: readonly unknown[]; value?: bigint }): Promise<TransactionReceipt>;
  now(): Promise<bigint>;
  /** Moves the chain's clock forward and mines a block. */
  increaseTime(seconds: number): Promise<void>;
  /** Takes the snapshot the next `restore` returns to. */
  snapshot(): Promise<void>;
  restore(): Promise<void>;
  proof(overrides?: Partial<ContributionProof>): Promise<ContributionProof>;
  /** Terms of a policy for `users[3]` (the test buyer), valid for a day. */
  policyTerms(overrides?: Partial<PolicyTerms>): Promise<PolicyTerms>;
  /** Creates a policy as the timelock and returns its id. */
  createPolicy(terms: PolicyTerms): Promise<bigint>;
  signProof(proof: ContributionProof, options?: { signer?: PrivateKeyAccount; chainId?: number; contract?: Address }): Promise<Hex>;
  signReceipt(receipt: JobReceipt, options?: { signer?: PrivateKeyAccount; chainId?: number; contract?: Address }): Promise<Hex>;
  stop(): Promise<void>;
}

export type { PolicyTerms } from '@audata/wire';

export const testGovernance = {
  votingDelay: 60,
  votingPeriod: 3_600,
  proposalThreshold: 0n,
  quorumPercent: 4n,
  timelockDelay: 600n,
};

/** Starts anvil, deploys Audata with test parameters and registers one enclave signer. */
export async function startAudata(): Promise<AudataFixture> {
  const anvil = await startAnvil();
  try {
    const [deployer, guardian, operator, ...users] = anvil.accounts as [HDAccount, HDAccount, HDAccount, ...HDAccount[]];
    const measurement = { pcr0: pcr(0xa0), pcr1: pcr(0xa1), pcr2: pcr(0xa2) };
    const deployment = await deployAudata(
      { publicClient: anvil.publicClient, walletClient: anvil.walletClient(deployer) },
      { guardian: guardian.address, operator: operator.address, measurement, governance: testGovernance },
    );
    const { addresses } = deployment;
    const measurementId = deployment.measurementId as Hex;
    const enclave = testKey('enclave');
    const chainId = anvil.chain.id;
    let snapshotId: Hex | undefined;

    const send: AudataFixture['send'] = async (wallet, call) => {
      // eth_call first: an impersonated account's transaction would be mined and revert without data.
      await anvil.publicClient.call({
        account: wallet.account,
        to: call.address,
        data: encodeFunctionData({ abi: call.abi, functionName: call.functionName, args: call.args ?? [] } as never),
        ...(call.value === undefined ? {} : { value: call.value }),
      });
      const hash = await wallet.writeContract({
        address: call.address,
        abi: call.abi,
        functionName: call.functionName,
        args: call.args ?? [],
        ...(call.value === undefined ? {} : { value: call.value }),
      } as unknown as Parameters<Wallet['writeContract']>[0]);
      const receipt = await anvil.publicClient.waitForTransactionReceipt({ hash, pollingInterval: 10 });
      if (receipt.status !== 'success') throw new Error(`${call.functionName} reverted on chain`);
      return receipt;
    };
    const now = async () => (await anvil.publicClient.getBlock()).timestamp;

    await send(anvil.walletClient(operator), {
      address: addresses.enclaveRegistry,
      abi: generated.enclaveRegistryAbi,
      functionName: 'registerSigner',
      args: [enclave.address, measurementId, bytes32('attestation document'), 'file:///attestation/1.cbor'],
    });

    return {
      anvil,
      deployment,
      addresses,
      measurement,
      measurementId,
      deployer,
      guardian,
      operator,
      users,
      enclave,
      wallet: (account) => anvil.walletClient(account),
      async timelock() {
        await anvil.testClient.impersonateAccount({ address: addresses.timelock });
        await anvil.testClient.setBalance({ address: addresses.timelock, value: 10n ** 20n });
        return anvil.walletClient(addresses.timelock);
      },
      send,
      now,
      async increaseTime(seconds) {
        await anvil.testClient.increaseTime({ seconds });
        await anvil.testClient.mine({ blocks: 1 });
      },
      async snapshot() {
        snapshotId = await anvil.testClient.snapshot();
      },
      async restore() {
        if (snapshotId === undefined) throw new Error('no snapshot taken');
        await anvil.testClient.revert({ id: snapshotId });
        snapshotId = await anvil.testClient.snapshot();
      },
      async proof(overrides = {}) {
        const [contributor] = users as [HDAccount];
        return {
          fileId: bytes32('file 1'),
          contributor: contributor.address,
          manifestHash: bytes32('manifest 1'),
          valid: true,
          score: 8_000,
          authenticity: 9_000,
          ownership: 10_000,
          quality: 7_500,
          uniqueness: 9_900,
          pipelineVersion: bytes32('pipeline v1'),
          detailsHash: bytes32('details 1'),
          deadline: (await now()) + 3_600n,
          ...overrides,
        };
      },
      async policyTerms(overrides = {}) {
        return {
          buyer: (users[3] as HDAccount).address,
          jobKinds: 1 | 2,
          modelHashes: [bytes32('model a'), bytes32('model b')],
          minScore: 5_000,
          languages: ['en', 'pt-BR'],
          termsHash: bytes32('CC-BY-4.0 consent'),
          epsilon: 3_000_000n,
          delta: 10n ** 13n,
          price: 10n ** 18n,
          expiry: (await now()) + 86_400n,
          ...overrides,
        };
      },
      async createPolicy(terms) {
        await anvil.testClient.impersonateAccount({ address: addresses.timelock });
        await anvil.testClient.setBalance({ address: addresses.timelock, value: 10n ** 20n });
        const wallet = anvil.walletClient(addresses.timelock);
        await send(wallet, { address: addresses.accessPolicyRegistry, abi: generated.accessPolicyRegistryAbi, functionName: 'createPolicy', args: [terms] });
        return anvil.publicClient.readContract({ address: addresses.accessPolicyRegistry, abi: generated.accessPolicyRegistryAbi, functionName: 'policyCount' });
      },
      signProof(proof, options = {}) {
        return (options.signer ?? enclave).signTypedData({
          domain: registryDomain(options.chainId ?? chainId, options.contract ?? addresses.contributionRegistry),
          types: proofTypes,
          primaryType: 'ContributionProof',
          message: proof,
        });
      },
      signReceipt(receipt, options = {}) {
        return (options.signer ?? enclave).signTypedData({
          domain: escrowDomain(options.chainId ?? chainId, options.contract ?? addresses.jobEscrow),
          types: receiptTypes,
          primaryType: 'JobReceipt',
          message: receipt,
        });
      },
      stop: () => anvil.stop(),
    };
  } catch (error) {
    await anvil.stop();
    throw error;
  }
}
