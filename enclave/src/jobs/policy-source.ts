// The enclave reads policies, escrow state and revocations from the chain itself (in
// development over an RPC URL), so a host cannot feed it a policy the DAO never passed.
// The interface lets tests and the engine run without a chain.
import { BaseError, ContractFunctionRevertedError, createPublicClient, http, type Address, type Hex, type PublicClient } from 'viem';
import { accessPolicyRegistryAbi, contributionRegistryAbi, jobEscrowAbi } from './chain-abi.ts';
import { JobChainReadError, JobPolicyUnknownError } from './job-errors.ts';
import type { EscrowJobStatus, EscrowState, Policy } from './policy.ts';

export interface PolicySource {
  policy(policyId: bigint): Promise<Policy>;
  escrow(jobId: Hex, policyId: bigint): Promise<EscrowState>;
  /** The subset of `fileIds` that are revoked now. */
  revoked(fileIds: readonly Hex[]): Promise<Set<Hex>>;
}

export interface ChainAddresses {
  accessPolicyRegistry: Address;
  jobEscrow: Address;
  contributionRegistry: Address;
}

const STATUS: readonly EscrowJobStatus[] = ['none', 'paid', 'settled', 'refunded'];
/** Revocation reads in flight at once; a job over thousands of files must not open thousands of requests. */
const REVOCATION_CONCURRENCY = 16;

function revertName(error: unknown): string | undefined {
  if (!(error instanceof BaseError)) return undefined;
  const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError);
  return reverted instanceof ContractFunctionRevertedError ? reverted.data?.errorName : undefined;
}

export class ChainPolicySource implements PolicySource {
  readonly #client: PublicClient;
  readonly #addresses: ChainAddresses;

  constructor(client: PublicClient, addresses: ChainAddresses) {
    this.#client = client;
    this.#addresses = addresses;
  }

  /** A source over a JSON-RPC URL (development: anvil on loopback). */
  static fromRpc(rpcUrl: string, addresses: ChainAddresses): ChainPolicySource {
    return new ChainPolicySource(createPublicClient({ transport: http(rpcUrl) }) as PublicClient, addresses);
  }

  async policy(policyId: bigint): Promise<Policy> {
    let raw;
    try {
      raw = await this.#client.readContract({ address: this.#addresses.accessPolicyRegistry, abi: accessPolicyRegistryAbi, functionName: 'policy', args: [policyId] });
    } catch (error) {
      if (revertName(error) === 'AccessPolicyRegistryUnknownPolicy') throw new JobPolicyUnknownError(policyId);
      throw new JobChainReadError(`policy ${policyId}`, error);
    }
    const t = raw.terms;
    return {
      id: policyId,
      buyer: t.buyer,
      jobKinds: t.jobKinds,
      modelHashes: [...t.modelHashes],
      minScore: t.minScore,
      languages: [...t.languages],
      termsHash: t.termsHash,
      epsilon: t.epsilon,
      delta: t.delta,
      price: t.price,
      expiry: t.expiry,
      createdAt: raw.createdAt,
      retired: raw.retired,
    };
  }

  async escrow(jobId: Hex, policyId: bigint): Promise<EscrowState> {
    const address = this.#addresses.jobEscrow;
    try {
      const [job, paused, spent] = await Promise.all([
        this.#client.readContract({ address, abi: jobEscrowAbi, functionName: 'job', args: [jobId] }),
        this.#client.readContract({ address, abi: jobEscrowAbi, functionName: 'paused' }),
        this.#client.readContract({ address, abi: jobEscrowAbi, functionName: 'epsilonSpent', args: [policyId] }),
      ]);
      const status = STATUS[job.status];
      if (status === undefined) throw new Error(`unknown job status ${job.status}`);
      return { paused, status, buyer: job.buyer, policyId: job.policyId, price: job.price, policyEpsilonSpent: spent };
    } catch (error) {
      throw new JobChainReadError(`escrow state of job ${jobId}`, error);
    }
  }

  async revoked(fileIds: readonly Hex[]): Promise<Set<Hex>> {
    const out = new Set<Hex>();
    try {
      for (let start = 0; start < fileIds.length; start += REVOCATION_CONCURRENCY) {
        const batch = fileIds.slice(start, start + REVOCATION_CONCURRENCY);
        const flags = await Promise.all(
          batch.map((fileId) => this.#client.readContract({ address: this.#addresses.contributionRegistry, abi: contributionRegistryAbi, functionName: 'isRevoked', args: [fileId] })),
        );
        batch.forEach((fileId, k) => flags[k] && out.add(fileId));
      }
    } catch (error) {
      throw new JobChainReadError('file revocations', error);
    }
    return out;
  }
}
