// An access policy as AccessPolicyRegistry stores it: the one shape the enclave (which
// enforces it), the host (which relays it), the client (which pays under it) and the
// contracts' tests read. The Solidity struct is the source; contracts tests check these
// fragments against the generated ABI.
import type { Address, Hex } from 'viem';

export type JobKind = 'features' | 'gradients' | 'aggregates';

/** AccessPolicyRegistry's JOB_FEATURES, JOB_GRADIENTS, JOB_AGGREGATES bits of `jobKinds`. */
export const JOB_KIND_BITS: Readonly<Record<JobKind, number>> = { features: 1, gradients: 2, aggregates: 4 };
export const JOB_KINDS = Object.keys(JOB_KIND_BITS) as JobKind[];

/** What governance decides when it creates a policy. */
export interface PolicyTerms {
  buyer: Address;
  /** Bitmask of JOB_KIND_BITS. */
  jobKinds: number;
  /** SHA-256 of each approved ONNX model. */
  modelHashes: readonly Hex[];
  /** Basis points (SCORE_SCALE). */
  minScore: number;
  /** BCP 47 tags; empty selects any language. */
  languages: readonly string[];
  termsHash: Hex;
  /** The policy's total budget: epsilon in millionths (EPSILON_SCALE), delta in 1e-18 units. */
  epsilon: bigint;
  delta: bigint;
  price: bigint;
  /** Unix seconds. */
  expiry: bigint;
}

/** `policy(id)` as the registry returns it. */
export interface StoredPolicy {
  terms: PolicyTerms;
  createdAt: bigint;
  retired: boolean;
}

/** Human-readable ABI structs for viem's parseAbi, spread before the functions that use them. */
export const policyAbiStructs = [
  'struct PolicyTerms { address buyer; uint8 jobKinds; bytes32[] modelHashes; uint16 minScore; string[] languages; bytes32 termsHash; uint64 epsilon; uint64 delta; uint256 price; uint64 expiry; }',
  'struct Policy { PolicyTerms terms; uint64 createdAt; bool retired; }',
] as const;
