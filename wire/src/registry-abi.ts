// Human-readable ABI pieces of the registries that more than one side reads (host, client,
// enclave), for viem's parseAbi. The Solidity is the source; each reader's ABI test checks its
// slice against the generated ABIs, so a field cannot drift.

/** ContributionProof as a tuple, in proofTypes' field order (eip712.ts). */
export const proofTupleAbi =
  '(bytes32 fileId, address contributor, bytes32 manifestHash, bool valid, uint16 score, uint16 authenticity, uint16 ownership, uint16 quality, uint16 uniqueness, bytes32 pipelineVersion, bytes32 detailsHash, uint64 deadline)';

export const enclaveRegistryAbiStructs = [
  'struct Measurement { uint8 status; uint64 approvedAt; bytes pcr0; bytes pcr1; bytes pcr2; bytes pcr8; }',
  'struct Signer { bytes32 measurementId; bytes32 attestationSha256; uint64 registeredAt; bool revoked; string attestationUri; }',
] as const;

export const fileRecordAbiStruct =
  'struct FileRecord { address contributor; bool valid; bool revoked; uint16 score; uint16 authenticity; uint16 ownership; uint16 quality; uint16 uniqueness; address signer; uint64 recordedAt; bytes32 proofHash; bytes32 manifestHash; }';
