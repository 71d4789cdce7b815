// What the client reads from (and sends to) the chain, in human-readable ABI slices so the
// client does not depend on the contracts package; chain.test.ts checks them against it.
import { createPublicClient, http, parseAbi, type Address, type Chain, type Hex, type PublicClient, type Transport } from 'viem';
import { enclaveRegistryAbiStructs, fileRecordAbiStruct, proofTupleAbi } from '@audata/wire';

const proofTuple = proofTupleAbi;

export const enclaveRegistryAbi = parseAbi([
  ...enclaveRegistryAbiStructs,
  'function measurement(bytes32 measurementId_) view returns (Measurement)',
  'function signer(address account) view returns (Signer)',
  'function isActiveSigner(address account) view returns (bool)',
  'event MeasurementApproved(bytes32 indexed measurementId, bytes pcr0, bytes pcr1, bytes pcr2, bytes pcr8)',
]);

export const contributionRegistryAbi = parseAbi([
  fileRecordAbiStruct,
  `function submitProof(${proofTuple} proof, bytes signature) returns (bool recorded)`,
  'function fileRecord(bytes32 fileId) view returns (FileRecord)',
  'function revokeFile(bytes32 fileId)',
  `event ProofRecorded(bytes32 indexed fileId, address indexed contributor, address indexed signer, ${proofTuple} proof, bytes32 proofHash, uint256 reward)`,
  'event FileRevoked(bytes32 indexed fileId, address indexed contributor)',
  'error ContributionRegistryUnknownFile(bytes32 fileId)',
  'error ContributionRegistryUnauthorizedRevoker(bytes32 fileId, address account)',
  'error ContributionRegistryFileAlreadyRevoked(bytes32 fileId)',
]);

export const MEASUREMENT_APPROVED = 1;

export async function publicClientFor(rpcUrl: string): Promise<PublicClient<Transport, Chain>> {
  const probe = createPublicClient({ transport: http(rpcUrl, { retryCount: 1 }) });
  const id = await probe.getChainId();
  const chain: Chain = { id, name: `chain ${id}`, nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 }, rpcUrls: { default: { http: [rpcUrl] } } };
  return createPublicClient({ chain, transport: http(rpcUrl, { retryCount: 1 }), pollingInterval: 100 });
}

export interface ApprovedMeasurement {
  id: Hex;
  pcrs: Map<number, Hex>;
}

/** Every measurement the registry approved and has not revoked, with the PCRs each one pins. */
export async function approvedMeasurements(client: PublicClient<Transport, Chain>, enclaveRegistry: Address): Promise<ApprovedMeasurement[]> {
  const logs = await client.getContractEvents({ address: enclaveRegistry, abi: enclaveRegistryAbi, eventName: 'MeasurementApproved', fromBlock: 0n, toBlock: 'latest' });
  const out: ApprovedMeasurement[] = [];
  for (const log of logs) {
    const id = log.args.measurementId!;
    const m = await client.readContract({ address: enclaveRegistry, abi: enclaveRegistryAbi, functionName: 'measurement', args: [id] });
    if (m.status !== MEASUREMENT_APPROVED) continue;
    const pcrs = new Map<number, Hex>();
    for (const [index, value] of [[0, m.pcr0], [1, m.pcr1], [2, m.pcr2], [8, m.pcr8]] as const) if (value !== '0x') pcrs.set(index, value.toLowerCase() as Hex);
    out.push({ id, pcrs });
  }
  return out;
}
