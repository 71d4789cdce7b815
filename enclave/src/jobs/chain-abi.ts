// The slices of the Audata contracts' ABIs the enclave reads for jobs, in human-readable
// form: the enclave image carries only wire, verifier and enclave sources, not the contracts
// package. chain-abi.test.ts checks them against the generated ABIs.
import { parseAbi } from 'viem';
import { policyAbiStructs } from '@audata/wire';

export const accessPolicyRegistryAbi = parseAbi([
  ...policyAbiStructs,
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
