// The slices of the Audata contracts' ABIs the host calls, in human-readable form so the host
// does not depend on the contracts package; abi.test.ts checks them against the generated ABIs.
import { parseAbi } from 'viem';
import { enclaveRegistryAbiStructs, fileRecordAbiStruct, policyAbiStructs, proofTupleAbi } from '@audata/wire';

const proofTuple = proofTupleAbi;

export const enclaveRegistryAbi = parseAbi([
  ...enclaveRegistryAbiStructs,
  'function measurement(bytes32 measurementId_) view returns (Measurement)',
  'function signer(address account) view returns (Signer)',
  'function isActiveSigner(address account) view returns (bool)',
  'function registerSigner(address account, bytes32 measurementId_, bytes32 attestationSha256, string attestationUri)',
  'event SignerRegistered(address indexed signer, bytes32 indexed measurementId, bytes32 attestationSha256, string attestationUri)',
  'error EnclaveRegistryMeasurementNotApproved(bytes32 measurementId)',
  'error EnclaveRegistrySignerExists(address signer)',
  'error EnclaveRegistryInvalidSigner(address signer)',
  'error AccessControlUnauthorizedAccount(address account, bytes32 neededRole)',
]);

export const contributionRegistryAbi = parseAbi([
  fileRecordAbiStruct,
  `function submitProof(${proofTuple} proof, bytes signature) returns (bool recorded)`,
  'function fileRecord(bytes32 fileId) view returns (FileRecord)',
  'function isRevoked(bytes32 fileId) view returns (bool)',
  `function proofHash(${proofTuple} proof) pure returns (bytes32)`,
  `event ProofRecorded(bytes32 indexed fileId, address indexed contributor, address indexed signer, ${proofTuple} proof, bytes32 proofHash, uint256 reward)`,
  'error ContributionRegistryInvalidSignature()',
  'error ContributionRegistryInactiveSigner(address signer)',
  'error ContributionRegistryExpiredProof(uint64 deadline, uint256 timestamp)',
  'error ContributionRegistryConflictingProof(bytes32 fileId, bytes32 recordedProofHash, bytes32 submittedProofHash)',
  'error ContributionRegistryInvalidContributor(address contributor)',
  'error ContributionRegistryScoreOutOfRange(uint16 value)',
  'error EnforcedPause()',
]);

export const accessPolicyRegistryAbi = parseAbi([
  ...policyAbiStructs,
  'function policy(uint256 policyId) view returns (Policy)',
  'function isActive(uint256 policyId) view returns (bool)',
  'function policyCount() view returns (uint256)',
  'error AccessPolicyRegistryUnknownPolicy(uint256 policyId)',
]);

const stateAnchorTuple = '(bytes32 datasetKey, uint64 stateCounter, bytes32 stateSha256, uint64 auditEntries, bytes32 auditHead)';

export const auditAnchorAbi = parseAbi([
  'struct Anchor { bytes32 stateSha256; bytes32 auditHead; uint64 stateCounter; uint64 auditEntries; uint64 anchoredAt; }',
  `function anchorState(${stateAnchorTuple} anchor, bytes signature)`,
  'function latest(bytes32 datasetKey) view returns (Anchor)',
  'event StateAnchored(bytes32 indexed datasetKey, address indexed signer, uint64 stateCounter, bytes32 stateSha256, uint64 auditEntries, bytes32 auditHead)',
  'error AuditAnchorInvalidSignature()',
  'error AuditAnchorInactiveSigner(address signer)',
  'error AuditAnchorStaleState(bytes32 datasetKey, uint64 latest, uint64 received)',
  'error AuditAnchorAuditRegressed(bytes32 datasetKey, uint64 latest, uint64 received)',
  'error AuditAnchorInvalidAnchor()',
]);

/** EnclaveRegistry's MeasurementStatus enum. */
export const MeasurementStatus = { None: 0, Approved: 1, Revoked: 2 } as const;
