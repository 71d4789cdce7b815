// The slices of the Audata contracts' ABIs the enclave reads for jobs, in human-readable
// form: the enclave image carries only wire, verifier and enclave sources, not the contracts
// package. chain-abi.test.ts checks them against the generated ABIs.
import { parseAbi } from 'viem';

export const accessPolicyRegistryAbi = parseAbi([
  'struct PolicyTerms { address buyer; uint8 jobKinds; bytes32[] modelHashes; uint16 minScore; string[] languages; bytes32 termsHash; uint64 epsilon; uint64 delta; uint256 price; uint64 expiry; }',
  'struct Policy { PolicyTerms terms; uint64 createdAt; bool retired; }',
  'function policy(uint256 policyId) view returns (Policy)',
  'error AccessPolicyRegistryUnknownPolicy(uint256 policyId)',
]);

export const jobEscrowAbi = parseAbi([
  'struct Job { address buyer; uint64 paidAt; uint8 status; uint256 policyId; uint256 price; uint256 claimed; bytes32 sharesRoot; }',
  'function job(bytes32 jobId) view returns (Job)',
  'function paused() view returns (bool)',
  'function epsilonSpent(uint256 policyId) view returns (uint64)',
]);

export const contributionRegistryAbi = parseAbi(['function isRevoked(bytes32 fileId) view returns (bool)']);
