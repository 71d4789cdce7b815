// At boot the enclave reads its dataset's latest state anchor from AuditAnchor itself (in
// development over an RPC URL, like the job policy source), so a host cannot hand it a sealed
// state older than the one the chain recorded. A chain that cannot be read refuses the boot:
// accepting the host's state unchecked is exactly the rollback this guards against.
import { createPublicClient, http, isAddress, parseAbi, type Address, type Hex, type PublicClient } from 'viem';
import { AudataError } from '@audata/wire';
import { ConfigError } from '../runtime/config.ts';
import type { StateAnchor } from '../state/sealed-state.ts';

/**
 * The slice of AuditAnchor's ABI the enclave reads, in human-readable form (the enclave image
 * carries no contracts package); anchor-source.test.ts checks it against the generated ABI.
 */
export const auditAnchorReadAbi = parseAbi([
  'struct Anchor { bytes32 stateSha256; bytes32 auditHead; uint64 stateCounter; uint64 auditEntries; uint64 anchoredAt; }',
  'function latest(bytes32 datasetKey) view returns (Anchor)',
]);

export class StateAnchorReadError extends AudataError {
  override name = 'StateAnchorReadError' as const;
  constructor(contract: Address, cause: unknown) {
    super('ENCLAVE_STATE_ANCHOR_UNREADABLE', `Cannot read the latest state anchor from AuditAnchor ${contract}: ${cause instanceof Error ? ((cause as { shortMessage?: string }).shortMessage ?? cause.message) : String(cause)}.`, {
      details: { contract },
      hint: 'Check AUDATA_RPC_URL and AUDATA_AUDIT_ANCHOR; the enclave does not boot on a state it cannot check.',
      cause,
    });
  }
}

/** What the anchor contract holds for a dataset, or undefined before its first anchor. */
export interface AnchorReader {
  latest(datasetKey: Hex): Promise<StateAnchor | undefined>;
}

export class ChainStateAnchorSource implements AnchorReader {
  readonly #client: PublicClient;
  readonly #contract: Address;

  constructor(client: PublicClient, contract: Address) {
    this.#client = client;
    this.#contract = contract;
  }

  static fromRpc(rpcUrl: string, contract: Address): ChainStateAnchorSource {
    return new ChainStateAnchorSource(createPublicClient({ transport: http(rpcUrl) }) as PublicClient, contract);
  }

  async latest(datasetKey: Hex): Promise<StateAnchor | undefined> {
    let anchor;
    try {
      anchor = await this.#client.readContract({ address: this.#contract, abi: auditAnchorReadAbi, functionName: 'latest', args: [datasetKey] });
    } catch (error) {
      throw new StateAnchorReadError(this.#contract, error);
    }
    // The contract refuses a zero counter, so zero means "never anchored".
    if (anchor.stateCounter === 0n) return undefined;
    return { counter: anchor.stateCounter, sha256: anchor.stateSha256 };
  }
}

/**
 * The anchor source the environment names: AUDATA_AUDIT_ANCHOR (the contract) read over
 * AUDATA_RPC_URL; undefined when AUDATA_AUDIT_ANCHOR is unset (the runtime then warns at boot).
 */
export function anchorSourceFromEnv(env: Readonly<Record<string, string | undefined>>): ChainStateAnchorSource | undefined {
  const contract = env.AUDATA_AUDIT_ANCHOR;
  if (contract === undefined) return undefined;
  if (!isAddress(contract)) throw new ConfigError('AUDATA_AUDIT_ANCHOR', 'is not a contract address');
  const rpcUrl = env.AUDATA_RPC_URL;
  if (rpcUrl === undefined || !/^https?:\/\/\S+$/.test(rpcUrl)) throw new ConfigError('AUDATA_RPC_URL', 'is not an http(s) URL (AUDATA_AUDIT_ANCHOR is read over it)');
  return ChainStateAnchorSource.fromRpc(rpcUrl, contract);
}
