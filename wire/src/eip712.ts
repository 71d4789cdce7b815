// EIP-712 typed data that crosses a trust boundary: the contributor's manifest (checked in
// the enclave), the enclave's contribution proof and job receipt (checked by contracts
// with ecrecover, and by the verifier). One definition here; Solidity mirrors it and a
// contracts test pins the type hashes, so a field cannot drift on one side only.
import type { Address, Hex, TypedDataDomain } from 'viem';

/** Scores travel on chain as basis points: 0..10000 stands for 0..1. */
export const SCORE_SCALE = 10_000;

export const manifestTypes = {
  ContributionManifest: [
    { name: 'ciphertextSha256', type: 'bytes32' },
    { name: 'sealedKeySha256', type: 'bytes32' },
    { name: 'datasetKey', type: 'bytes32' },
    { name: 'termsHash', type: 'bytes32' },
    { name: 'language', type: 'string' },
    { name: 'createdAt', type: 'uint64' },
    { name: 'nonce', type: 'bytes32' },
  ],
} as const;

/** What a contributor signs: this ciphertext, sealed to this dataset key, under these terms. */
export interface ContributionManifest {
  /** SHA-256 of the whole encrypted audio stream (secretstream header and chunks). */
  ciphertextSha256: Hex;
  /** SHA-256 of the file key sealed to the dataset key, so a host cannot swap the seal. */
  sealedKeySha256: Hex;
  /** The X25519 dataset public key the file key was sealed to (from the attestation). */
  datasetKey: Hex;
  /** keccak256 of the consent and license text the contributor agreed to. */
  termsHash: Hex;
  /** BCP 47 language tag, e.g. "en" or "pt-BR". */
  language: string;
  /** Unix seconds. */
  createdAt: bigint;
  /** 32 random bytes: two manifests never share a hash, even for identical audio. */
  nonce: Hex;
}

export const proofTypes = {
  ContributionProof: [
    { name: 'fileId', type: 'bytes32' },
    { name: 'contributor', type: 'address' },
    { name: 'manifestHash', type: 'bytes32' },
    { name: 'valid', type: 'bool' },
    { name: 'score', type: 'uint16' },
    { name: 'authenticity', type: 'uint16' },
    { name: 'ownership', type: 'uint16' },
    { name: 'quality', type: 'uint16' },
    { name: 'uniqueness', type: 'uint16' },
    { name: 'pipelineVersion', type: 'bytes32' },
    { name: 'detailsHash', type: 'bytes32' },
    { name: 'deadline', type: 'uint64' },
  ],
} as const;

/** The enclave's verdict on one file, as ContributionRegistry checks and records it. */
export interface ContributionProof {
  /** The file's identity: the manifest's ciphertextSha256. */
  fileId: Hex;
  /** The manifest's signer; ownership is never self-declared. */
  contributor: Address;
  /** EIP-712 hash of the ContributionManifest. */
  manifestHash: Hex;
  valid: boolean;
  /** Sub-scores in basis points (SCORE_SCALE). */
  score: number;
  authenticity: number;
  ownership: number;
  quality: number;
  uniqueness: number;
  /** keccak256 of the pipeline identity (version, model hashes, thresholds). */
  pipelineVersion: Hex;
  /** keccak256 of the canonical JSON of the full proof (attributes and metadata). */
  detailsHash: Hex;
  /** Unix seconds after which the chain refuses the proof. */
  deadline: bigint;
}

export const receiptTypes = {
  JobReceipt: [
    { name: 'jobId', type: 'bytes32' },
    { name: 'policyId', type: 'uint256' },
    { name: 'buyer', type: 'address' },
    { name: 'modelHash', type: 'bytes32' },
    { name: 'sharesRoot', type: 'bytes32' },
    { name: 'filesUsed', type: 'uint32' },
    { name: 'epsilonSpent', type: 'uint64' },
    { name: 'resultHash', type: 'bytes32' },
    { name: 'deadline', type: 'uint64' },
  ],
} as const;

/** Fixed-point scale of epsilonSpent: millionths. */
export const EPSILON_SCALE = 1_000_000;

/** The enclave's account of a finished job, which JobEscrow settles on. */
export interface JobReceipt {
  jobId: Hex;
  policyId: bigint;
  buyer: Address;
  /** SHA-256 of the ONNX model the job ran. */
  modelHash: Hex;
  /**
   * Merkle root over (account, amount) shares of the job's price, OpenZeppelin
   * StandardMerkleTree layout: leaf = keccak256(bytes.concat(keccak256(abi.encode(address, uint256)))),
   * pairs hashed sorted.
   */
  sharesRoot: Hex;
  filesUsed: number;
  /** Privacy budget this job spent, in EPSILON_SCALE units. */
  epsilonSpent: bigint;
  /** SHA-256 of the sealed result delivered to the buyer. */
  resultHash: Hex;
  deadline: bigint;
}

/** Domains: each kind of signature is bound to one contract on one chain. */
export function registryDomain(chainId: number, verifyingContract: Address): TypedDataDomain {
  return { name: 'Audata ContributionRegistry', version: '1', chainId, verifyingContract };
}

export function escrowDomain(chainId: number, verifyingContract: Address): TypedDataDomain {
  return { name: 'Audata JobEscrow', version: '1', chainId, verifyingContract };
}

/** Manifests are bound to the DAO's contribution registry, so consent given to one DAO is not reusable in another. */
export const manifestDomain = (chainId: number, registry: Address): TypedDataDomain => ({
  name: 'Audata Contribution',
  version: '1',
  chainId,
  verifyingContract: registry,
});

// --- State anchors (AuditAnchor.sol): the enclave's latest sealed state and audit log head. ---

export const stateAnchorTypes = {
  StateAnchor: [
    { name: 'datasetKey', type: 'bytes32' },
    { name: 'stateCounter', type: 'uint64' },
    { name: 'stateSha256', type: 'bytes32' },
    { name: 'auditEntries', type: 'uint64' },
    { name: 'auditHead', type: 'bytes32' },
  ],
} as const;

/**
 * What the enclave signs for AuditAnchor: the sealed state it just emitted and where its audit
 * log stood in that state. The chain keeps the latest per dataset; a booting enclave refuses an
 * older state, and an auditor checks the replayed log against the anchored heads.
 */
export interface StateAnchorMessage {
  /** The X25519 dataset public key the state is sealed under. */
  datasetKey: Hex;
  /** The sealed state's counter (strictly increasing per dataset). */
  stateCounter: bigint;
  /** SHA-256 of the sealed state blob. */
  stateSha256: Hex;
  /** Audit entries written so far (the next entry's seq). */
  auditEntries: bigint;
  /** Hash of audit entry auditEntries - 1; zero for an empty log. */
  auditHead: Hex;
}

export function anchorDomain(chainId: number, verifyingContract: Address): TypedDataDomain {
  return { name: 'Audata AuditAnchor', version: '1', chainId, verifyingContract };
}

// Buyer job requests. Signed by the policy's buyer and checked by the enclave (never by a
// contract), so that only the buyer the DAO named can start a job, spend its privacy budget
// step by step, or end it. Bound to this chain's JobEscrow (job ids are escrow keys) under a
// name of their own: JobEscrow never acts on these, and a signature meant for the enclave
// must not become one a contract accepts if JobEscrow ever checks buyer signatures itself.

/** One domain for every buyer request: this chain, this JobEscrow. */
export const jobRequestDomain = (chainId: number, jobEscrow: Address): TypedDataDomain => ({
  name: 'Audata Job Request',
  version: '1',
  chainId,
  verifyingContract: jobEscrow,
});

export const jobSubmissionTypes = {
  JobSubmission: [
    { name: 'jobId', type: 'bytes32' },
    { name: 'policyId', type: 'uint256' },
    { name: 'kind', type: 'string' },
    { name: 'modelHash', type: 'bytes32' },
    { name: 'buyerKey', type: 'bytes32' },
    { name: 'paramsHash', type: 'bytes32' },
    { name: 'deadline', type: 'uint64' },
  ],
} as const;

/** What a buyer signs to start a job: this model and these parameters, releases sealed to this key. */
export interface JobSubmissionMessage {
  /** The id the job was paid under in JobEscrow; the enclave starts a job id once. */
  jobId: Hex;
  policyId: bigint;
  kind: string;
  /** SHA-256 of the model bytes (the hash the policy lists). */
  modelHash: Hex;
  /** The X25519 public key every release is sealed to: a relay cannot swap in its own. */
  buyerKey: Hex;
  /** keccak256 of the canonical JSON (RFC 8785) of the job parameters, `{}` when there are none. */
  paramsHash: Hex;
  /** Unix seconds, by the enclave's clock (the chain's latest block), after which the request is refused. */
  deadline: bigint;
}

export const jobStepTypes = {
  JobStep: [
    { name: 'jobId', type: 'bytes32' },
    { name: 'index', type: 'uint32' },
    { name: 'parametersHash', type: 'bytes32' },
    { name: 'sampleRate', type: 'string' },
    { name: 'noiseMultiplier', type: 'string' },
    { name: 'clipNorm', type: 'string' },
    { name: 'deadline', type: 'uint64' },
  ],
} as const;

/**
 * One DP-SGD step the buyer asks for. The index (0 for the first step) makes a step
 * signature good for one place in one job: a replay or a reordering is refused. The
 * mechanism's settings decide the privacy cost, so they are signed too, as the decimal
 * strings ECMAScript writes for the numbers sent (Number.prototype.toString), which a
 * wallet can show.
 */
export interface JobStepMessage {
  jobId: Hex;
  index: number;
  /** keccak256 of the parameters as sent: float32 little-endian. */
  parametersHash: Hex;
  sampleRate: string;
  noiseMultiplier: string;
  clipNorm: string;
  deadline: bigint;
}

export const jobFinishTypes = {
  JobFinish: [
    { name: 'jobId', type: 'bytes32' },
    { name: 'steps', type: 'uint32' },
    { name: 'deadline', type: 'uint64' },
  ],
} as const;

/** Ends a job (its receipt then settles the escrow) after exactly `steps` steps, as the buyer saw them. */
export interface JobFinishMessage {
  jobId: Hex;
  steps: number;
  deadline: bigint;
}
