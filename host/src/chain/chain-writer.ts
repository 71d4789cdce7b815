// The host's hand on the chain (viem): registers the running enclave's signer for the approved
// measurement, submits proofs at most once with retries, anchors the enclave's signed state, and reads policies. It holds only the
// operator key, which can register signers and pay gas; it cannot make a proof valid.
import type { StoredPolicy } from '@audata/wire';
import { createHash } from 'node:crypto';
import {
  BaseError,
  ContractFunctionRevertedError,
  createPublicClient,
  createWalletClient,
  defineChain,
  hashStruct,
  http,
  type Account,
  type Address,
  type Chain,
  type Hex,
  type PublicClient,
  type Transport,
  type WalletClient,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { verifyAttestation } from '@audata/verifier';
import { decodeAttestationBinding, proofTypes, type ContributionProof, type StateAnchorMessage } from '@audata/wire';
import type { AttestationResult, ChainWriter, SignedProof } from '../deps.ts';
import { accessPolicyRegistryAbi, auditAnchorAbi, contributionRegistryAbi, enclaveRegistryAbi, MeasurementStatus } from './abi.ts';
import { ChainRejectedError, ChainUnavailableError, MeasurementMismatchError, MeasurementNotApprovedError, SignerConflictError } from './errors.ts';

export interface ChainWriterParams {
  rpcUrl: string;
  /** The operator's key (OPERATOR_ROLE on EnclaveRegistry; pays gas for proofs). */
  operatorKey: Hex;
  enclaveRegistry: Address;
  contributionRegistry: Address;
  accessPolicyRegistry?: Address;
  /** AuditAnchor, where the enclave's signed state anchors go. */
  auditAnchor?: Address;
  /** The approved measurement this host runs (EnclaveRegistry id). */
  measurementId: Hex;
  /** Root the enclave's documents chain to; default the AWS Nitro root. A dev root only with the simulated NSM. */
  attestationRoot?: Uint8Array | string;
  /** Where the registered document can be fetched; default a URN naming its SHA-256. */
  attestationUri?: (sha256: Hex) => string;
  /** Attempts for an action that fails for lack of a node (default 5), first backoff (default 200 ms, doubling). */
  attempts?: number;
  backoffMs?: number;
  sleep?: (ms: number) => Promise<void>;
  /** First block to search for events (the deployment block). */
  fromBlock?: bigint;
  pollingIntervalMs?: number;
}

export type Policy = StoredPolicy;

const statusName = (status: number): string => (status === MeasurementStatus.Approved ? 'approved' : status === MeasurementStatus.Revoked ? 'revoked' : 'unknown');

/** The custom error a call reverted with, or undefined when the failure was not a revert. */
export function revertReason(error: unknown): string | undefined {
  if (!(error instanceof BaseError)) return undefined;
  const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError);
  if (!(reverted instanceof ContractFunctionRevertedError)) return undefined;
  return reverted.data?.errorName ?? reverted.reason ?? 'reverted';
}

export class ViemChainWriter implements ChainWriter {
  readonly publicClient: PublicClient<Transport, Chain>;
  readonly walletClient: WalletClient<Transport, Chain, Account>;
  readonly #p: ChainWriterParams;
  readonly #sleep: (ms: number) => Promise<void>;
  /** Transactions sent but not yet seen mined, by file: a retry waits for them instead of sending again. */
  readonly #inFlight = new Map<Hex, Hex>();
  /** Sends from the operator account one at a time: proofs and anchors run concurrently, and two sends at once could take the same nonce. */
  #sending: Promise<unknown> = Promise.resolve();

  private constructor(params: ChainWriterParams, chain: Chain) {
    this.#p = params;
    this.#sleep = params.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    const transport = http(params.rpcUrl, { retryCount: 0 });
    this.publicClient = createPublicClient({ chain, transport, pollingInterval: params.pollingIntervalMs ?? 100 });
    this.walletClient = createWalletClient({ chain, transport, account: privateKeyToAccount(params.operatorKey) });
  }

  /** Connects to the node (retrying) to learn its chain id. */
  static async connect(params: ChainWriterParams): Promise<ViemChainWriter> {
    const probe = createPublicClient({ transport: http(params.rpcUrl, { retryCount: 0 }) });
    const chainId = await withRetries('reading the chain id', params, () => probe.getChainId());
    const chain = defineChain({ id: chainId, name: `chain ${chainId}`, nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 }, rpcUrls: { default: { http: [params.rpcUrl] } } });
    return new ViemChainWriter(params, chain);
  }

  #send(send: () => Promise<Hex>): Promise<Hex> {
    const run = this.#sending.then(send);
    this.#sending = run.catch(() => undefined);
    return run;
  }

  get operator(): Address {
    return this.walletClient.account.address;
  }

  async findProof(fileId: Hex): Promise<{ txHash: Hex } | undefined> {
    const found = await withRetries('reading a file record', this.#p, () => this.#findProof(fileId));
    return found === undefined ? undefined : { txHash: found.txHash };
  }

  async #findProof(fileId: Hex): Promise<{ txHash: Hex; proofHash: Hex; proof: ContributionProof } | undefined> {
    const record = await this.publicClient.readContract({ address: this.#p.contributionRegistry, abi: contributionRegistryAbi, functionName: 'fileRecord', args: [fileId] });
    if (record.recordedAt === 0n) return undefined;
    const logs = await this.publicClient.getContractEvents({
      address: this.#p.contributionRegistry,
      abi: contributionRegistryAbi,
      eventName: 'ProofRecorded',
      args: { fileId },
      fromBlock: this.#p.fromBlock ?? 0n,
      toBlock: 'latest',
    });
    const txHash = logs[0]?.transactionHash;
    const proof = logs[0]?.args.proof;
    if (txHash === undefined || txHash === null || proof === undefined) throw new Error(`file ${fileId} is recorded but its ProofRecorded event was not found`);
    return { txHash, proofHash: record.proofHash, proof };
  }

  /**
   * Records the proof once. A retry first looks for the transaction it already sent and for a
   * record on chain, so a proof is never sent twice; an identical proof already on chain is
   * success, and so is one with the same result under another deadline and signature.
   */
  async submitProof(signed: SignedProof): Promise<{ txHash: Hex }> {
    const { proof, signature } = signed;
    const fileId = proof.fileId.toLowerCase() as Hex;
    return withRetries('submitting a proof', this.#p, async () => {
      const sent = this.#inFlight.get(fileId);
      if (sent !== undefined) {
        const receipt = await this.publicClient.waitForTransactionReceipt({ hash: sent, timeout: 30_000 });
        this.#inFlight.delete(fileId);
        if (receipt.status === 'success') return { txHash: sent };
      }
      // The registry's own struct hash (abi.test.ts pins the types to the contract's).
      const ours = hashStruct({ types: proofTypes, primaryType: 'ContributionProof', data: proof });
      let request;
      let recordsNow: boolean;
      try {
        // The simulation answers false when this very proof is already recorded, and reverts
        // with ConflictingProof when another one is: no separate read is needed first.
        ({ request, result: recordsNow } = await this.publicClient.simulateContract({
          account: this.walletClient.account,
          address: this.#p.contributionRegistry,
          abi: contributionRegistryAbi,
          functionName: 'submitProof',
          args: [proof, signature],
        }));
      } catch (error) {
        const reason = revertReason(error);
        // The enclave signs a recorded result again (fresh deadline, this boot's key) for a host
        // that lost its reply; if the first one landed, the file is recorded with this result.
        if (reason === 'ContributionRegistryConflictingProof') {
          const recorded = await this.#findProof(proof.fileId);
          if (recorded !== undefined && sameResult(recorded.proof, proof)) return { txHash: recorded.txHash };
        }
        if (reason !== undefined) throw new ChainRejectedError('submitting a proof', reason, error);
        throw error;
      }
      if (!recordsNow) {
        const recorded = await this.#findProof(proof.fileId);
        if (recorded === undefined) throw new Error(`the registry says ${proof.fileId} is recorded but holds no record`);
        return { txHash: recorded.txHash };
      }
      const hash = await this.#send(() => this.walletClient.writeContract(request));
      this.#inFlight.set(fileId, hash);
      const receipt = await this.publicClient.waitForTransactionReceipt({ hash, timeout: 30_000 });
      this.#inFlight.delete(fileId);
      if (receipt.status !== 'success') {
        // Someone recorded it between our simulation and our transaction: identical is success.
        const after = await this.#findProof(proof.fileId);
        if (after !== undefined && (after.proofHash === ours || sameResult(after.proof, proof))) return { txHash: after.txHash };
        throw new ChainRejectedError('submitting a proof', `transaction ${hash} reverted`);
      }
      return { txHash: hash };
    });
  }

  /**
   * Registers the signer an attestation document binds, only when the document verifies, its
   * PCRs are those of the approved measurement and that measurement is approved on chain.
   * Registering the same signer again for the same measurement returns the earlier transaction.
   */
  async registerEnclaveSigner(attestation: AttestationResult): Promise<{ txHash: Hex }> {
    const measurementId = this.#p.measurementId;
    const measurement = await withRetries('reading the measurement', this.#p, () =>
      this.publicClient.readContract({ address: this.#p.enclaveRegistry, abi: enclaveRegistryAbi, functionName: 'measurement', args: [measurementId] }),
    );
    if (measurement.status !== MeasurementStatus.Approved) throw new MeasurementNotApprovedError(measurementId, statusName(measurement.status));
    const document = verifyAttestation(attestation.document, { ...(this.#p.attestationRoot === undefined ? {} : { root: this.#p.attestationRoot }), cache: null });
    const pinned: [number, Hex][] = [
      [0, measurement.pcr0],
      [1, measurement.pcr1],
      [2, measurement.pcr2],
      [8, measurement.pcr8],
    ];
    for (const [index, expected] of pinned) {
      if (expected === '0x') continue;
      const actual = document.pcrs.get(index);
      const received = actual === undefined ? 'absent' : `0x${Buffer.from(actual).toString('hex')}`;
      if (received !== expected.toLowerCase()) throw new MeasurementMismatchError(index, expected, received);
    }
    const { signer } = decodeAttestationBinding(document.userData);
    const sha256: Hex = `0x${createHash('sha256').update(attestation.document).digest('hex')}`;
    const uri = (this.#p.attestationUri ?? ((h) => `urn:audata:attestation:sha256:${h.slice(2)}`))(sha256);

    return withRetries('registering the enclave signer', this.#p, async () => {
      const existing = await this.publicClient.readContract({ address: this.#p.enclaveRegistry, abi: enclaveRegistryAbi, functionName: 'signer', args: [signer] });
      if (existing.registeredAt !== 0n) {
        if (existing.measurementId !== measurementId) throw new SignerConflictError(signer, existing.measurementId, measurementId);
        const logs = await this.publicClient.getContractEvents({
          address: this.#p.enclaveRegistry,
          abi: enclaveRegistryAbi,
          eventName: 'SignerRegistered',
          args: { signer },
          fromBlock: this.#p.fromBlock ?? 0n,
          toBlock: 'latest',
        });
        const txHash = logs[0]?.transactionHash;
        if (txHash === undefined || txHash === null) throw new Error(`signer ${signer} is registered but its event was not found`);
        return { txHash };
      }
      let request;
      try {
        ({ request } = await this.publicClient.simulateContract({
          account: this.walletClient.account,
          address: this.#p.enclaveRegistry,
          abi: enclaveRegistryAbi,
          functionName: 'registerSigner',
          args: [signer, measurementId, sha256, uri],
        }));
      } catch (error) {
        const reason = revertReason(error);
        if (reason !== undefined) throw new ChainRejectedError('registering the enclave signer', reason, error);
        throw error;
      }
      const hash = await this.#send(() => this.walletClient.writeContract(request));
      const receipt = await this.publicClient.waitForTransactionReceipt({ hash, timeout: 30_000 });
      if (receipt.status !== 'success') throw new ChainRejectedError('registering the enclave signer', `transaction ${hash} reverted`);
      return { txHash: hash };
    });
  }

  /**
   * Submits a state anchor the enclave signed. An anchor the chain already holds (a retry after a
   * lost reply) is success; one the chain has passed (a later state anchored meanwhile) is
   * reported as superseded rather than sent to revert.
   */
  async submitAnchor(anchor: StateAnchorMessage, signature: Hex): Promise<{ txHash: Hex } | { superseded: true }> {
    const address = this.#p.auditAnchor;
    if (address === undefined) throw new ChainRejectedError('anchoring the enclave state', 'no AuditAnchor address is configured');
    return withRetries('anchoring the enclave state', this.#p, async () => {
      const latest = await this.publicClient.readContract({ address, abi: auditAnchorAbi, functionName: 'latest', args: [anchor.datasetKey] });
      if (latest.stateCounter >= anchor.stateCounter) {
        if (latest.stateCounter === anchor.stateCounter && latest.stateSha256 !== anchor.stateSha256.toLowerCase()) {
          throw new ChainRejectedError('anchoring the enclave state', `state ${anchor.stateCounter} is anchored with SHA-256 ${latest.stateSha256}, not ${anchor.stateSha256}`);
        }
        return { superseded: true } as const;
      }
      let request;
      try {
        ({ request } = await this.publicClient.simulateContract({ account: this.walletClient.account, address, abi: auditAnchorAbi, functionName: 'anchorState', args: [anchor, signature] }));
      } catch (error) {
        const reason = revertReason(error);
        if (reason !== undefined) throw new ChainRejectedError('anchoring the enclave state', reason, error);
        throw error;
      }
      const hash = await this.#send(() => this.walletClient.writeContract(request));
      const receipt = await this.publicClient.waitForTransactionReceipt({ hash, timeout: 30_000 });
      if (receipt.status !== 'success') throw new ChainRejectedError('anchoring the enclave state', `transaction ${hash} reverted`);
      return { txHash: hash };
    });
  }

  /** A policy as AccessPolicyRegistry holds it (the enclave reads the same before any job). */
  async readPolicy(policyId: bigint): Promise<Policy & { active: boolean }> {
    const address = this.#p.accessPolicyRegistry;
    if (address === undefined) throw new ChainRejectedError('reading a policy', 'no AccessPolicyRegistry address is configured');
    return withRetries('reading a policy', this.#p, async () => {
      try {
        const [policy, active] = await Promise.all([
          this.publicClient.readContract({ address, abi: accessPolicyRegistryAbi, functionName: 'policy', args: [policyId] }),
          this.publicClient.readContract({ address, abi: accessPolicyRegistryAbi, functionName: 'isActive', args: [policyId] }),
        ]);
        return { ...(policy as Policy), active };
      } catch (error) {
        const reason = revertReason(error);
        if (reason !== undefined) throw new ChainRejectedError('reading a policy', reason, error);
        throw error;
      }
    });
  }
}

/** The same verdict on the same file: every field but the deadline (the signer is not in the proof). */
export function sameResult(a: ContributionProof, b: ContributionProof): boolean {
  const same = (x: string, y: string) => x.toLowerCase() === y.toLowerCase();
  return (
    same(a.fileId, b.fileId) && same(a.contributor, b.contributor) && same(a.manifestHash, b.manifestHash) && same(a.pipelineVersion, b.pipelineVersion) &&
    same(a.detailsHash, b.detailsHash) && a.valid === b.valid && a.score === b.score && a.authenticity === b.authenticity && a.ownership === b.ownership &&
    a.quality === b.quality && a.uniqueness === b.uniqueness
  );
}

/** Retries what fails for lack of a node, with doubling backoff; typed refusals pass straight through. */
async function withRetries<T>(action: string, params: Pick<ChainWriterParams, 'attempts' | 'backoffMs' | 'sleep'>, run: () => Promise<T>): Promise<T> {
  const attempts = params.attempts ?? 5;
  const sleep = params.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  let last: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      return await run();
    } catch (error) {
      if (error instanceof ChainRejectedError || error instanceof MeasurementNotApprovedError || error instanceof MeasurementMismatchError || error instanceof SignerConflictError) throw error;
      if (error instanceof Error && 'code' in error && typeof (error as { code: unknown }).code === 'string' && (error as { code: string }).code.startsWith('ATTESTATION_')) throw error;
      const reason = revertReason(error);
      if (reason !== undefined) throw new ChainRejectedError(action, reason, error);
      last = error;
      if (attempt < attempts) await sleep((params.backoffMs ?? 200) * 2 ** (attempt - 1));
    }
  }
  throw new ChainUnavailableError(action, attempts, last);
}
