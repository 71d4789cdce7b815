// The slice of JobEscrow's ABI the job commands call, in human-readable form so the client
// does not depend on the contracts package; escrow-abi.test.ts checks it against the build.
import { parseAbi } from 'viem';
import { policyAbiStructs } from '@audata/wire';

export const jobEscrowAbi = parseAbi([
  'struct Job { address buyer; uint64 paidAt; uint8 status; uint256 policyId; uint256 price; uint256 claimed; bytes32 sharesRoot; }',
  'function job(bytes32 jobId) view returns (Job)',
  'function pay(bytes32 jobId, uint256 policyId) payable',
  'function claim(bytes32 jobId, address account, uint256 amount, bytes32[] proof)',
  'function isClaimed(bytes32 jobId, address account, uint256 amount) view returns (bool)',
  'function policyRegistry() view returns (address)',
  'event ShareClaimed(bytes32 indexed jobId, address indexed account, uint256 amount)',
  'error JobEscrowUnexpectedJobStatus(bytes32 jobId, uint8 current, uint8 expected)',
  'error JobEscrowInvalidProof(bytes32 jobId, address account, uint256 amount)',
  'error JobEscrowAlreadyClaimed(bytes32 jobId, address account, uint256 amount)',
  'error JobEscrowInsufficientFunds(bytes32 jobId, uint256 available, uint256 requested)',
  'error JobEscrowJobExists(bytes32 jobId)',
  'error JobEscrowInactivePolicy(uint256 policyId)',
  'error JobEscrowUnauthorizedBuyer(uint256 policyId, address account)',
  'error EnforcedPause()',
]);

/** The AccessPolicyRegistry reads a buyer needs: the price and whether the policy is active. */
export const accessPolicyRegistryAbi = parseAbi([
  ...policyAbiStructs,
  'function policy(uint256 policyId) view returns (Policy)',
  'function isActive(uint256 policyId) view returns (bool)',
]);

/** JobEscrow's JobStatus enum. */
export const JobStatus = { None: 0, Paid: 1, Settled: 2, Refunded: 3 } as const;
