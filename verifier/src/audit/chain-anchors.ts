// Reads the audit heads an enclave anchored on chain (AuditAnchor's StateAnchored events, see
// contracts/solidity/AuditAnchor.sol), and the registered signers of the EnclaveRegistry, for
// verifyAuditLog. An anchor names the audit log by its entry count; replay checks the hash of
// the last of those entries, so an anchor over N entries becomes (seq N - 1, head).
import { parseAbi, type Address, type Hex, type PublicClient } from 'viem';
import type { AuditAnchor } from './entry.ts';

/** Human-readable slices of the contracts (the verifier carries no contracts package); tested against the generated ABIs. */
export const stateAnchoredEventAbi = parseAbi([
  'event StateAnchored(bytes32 indexed datasetKey, address indexed signer, uint64 stateCounter, bytes32 stateSha256, uint64 auditEntries, bytes32 auditHead)',
]);
export const enclaveSignerReadAbi = parseAbi([
  'struct Signer { bytes32 measurementId; bytes32 attestationSha256; uint64 registeredAt; bool revoked; string attestationUri; }',
  'function signer(address account) view returns (Signer)',
]);

/** One StateAnchored event. */
export interface ChainStateAnchor {
  datasetKey: Hex;
  signer: Address;
  stateCounter: bigint;
  stateSha256: Hex;
  auditEntries: bigint;
  auditHead: Hex;
  blockNumber: bigint;
  transactionHash: Hex;
}

type Reader = Pick<PublicClient, 'getContractEvents' | 'readContract'>;

/** Every anchor of `datasetKey` on `contract`, oldest first. */
export async function readStateAnchors(client: Reader, params: { contract: Address; datasetKey: Hex; fromBlock?: bigint }): Promise<ChainStateAnchor[]> {
  const logs = await client.getContractEvents({
    address: params.contract,
    abi: stateAnchoredEventAbi,
    eventName: 'StateAnchored',
    args: { datasetKey: params.datasetKey },
    fromBlock: params.fromBlock ?? 0n,
    toBlock: 'latest',
    // Only logs that decode in full: a malformed one is not an anchor.
    strict: true,
  });
  return logs.map((log) => {
    const a = log.args;
    return {
      datasetKey: a.datasetKey,
      signer: a.signer,
      stateCounter: a.stateCounter,
      stateSha256: a.stateSha256,
      auditEntries: a.auditEntries,
      auditHead: a.auditHead,
      blockNumber: log.blockNumber ?? 0n,
      transactionHash: log.transactionHash ?? '0x',
    };
  });
}

/** The anchors as verifyAuditLog checks them; an anchor of an empty log names no entry and is left out. */
export function auditAnchorsOf(anchors: readonly ChainStateAnchor[]): AuditAnchor[] {
  return anchors.filter((a) => a.auditEntries > 0n).map((a) => ({ seq: Number(a.auditEntries - 1n), head: a.auditHead, signer: a.signer }));
}

/**
 * The subset of `accounts` the EnclaveRegistry has registered (revoked later or not: an anchor
 * was checked as active by the contract when it was made).
 */
export async function registeredSigners(client: Reader, registry: Address, accounts: readonly Address[]): Promise<Address[]> {
  const unique = [...new Set(accounts.map((a) => a.toLowerCase() as Address))];
  const records = await Promise.all(unique.map((account) => client.readContract({ address: registry, abi: enclaveSignerReadAbi, functionName: 'signer', args: [account] })));
  return unique.filter((_, i) => records[i]!.registeredAt !== 0n);
}
