// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AudataTypes} from "../AudataTypes.sol";

/**
 * @dev Interface of the JobEscrow: payment for jobs, settlement on enclave receipts, and the
 * contributors' claims of their shares.
 */
interface IJobEscrow {
    enum JobStatus {
        None,
        Paid,
        Settled,
        Refunded
    }

    struct Job {
        address buyer;
        uint64 paidAt;
        JobStatus status;
        uint256 policyId;
        /// @dev Price paid, in wei.
        uint256 price;
        /// @dev Wei already paid out to claimants.
        uint256 claimed;
        /// @dev Root of the (account, amount) share tree from the receipt; zero until settled.
        bytes32 sharesRoot;
    }

    /// @dev A job with this id already exists.
    error JobEscrowJobExists(bytes32 jobId);

    /// @dev The policy does not exist, is retired or has expired.
    error JobEscrowInactivePolicy(uint256 policyId);

    /// @dev Only the policy's buyer may pay for jobs under it.
    error JobEscrowUnauthorizedBuyer(uint256 policyId, address account);

    /// @dev The value sent is not the policy's price.
    error JobEscrowIncorrectPayment(uint256 expected, uint256 received);

    /// @dev The job is not in the status this operation needs.
    error JobEscrowUnexpectedJobStatus(bytes32 jobId, JobStatus current, JobStatus expected);

    /// @dev The signature is malformed or does not recover to any address.
    error JobEscrowInvalidSignature();

    /// @dev The receipt's signer is not an active enclave signer.
    error JobEscrowInactiveSigner(address signer);

    /// @dev The receipt's deadline has passed.
    error JobEscrowExpiredReceipt(uint64 deadline, uint256 timestamp);

    /// @dev The receipt names another policy than the job was paid under.
    error JobEscrowPolicyMismatch(bytes32 jobId, uint256 expected, uint256 received);

    /// @dev The receipt names another buyer than the one who paid.
    error JobEscrowBuyerMismatch(bytes32 jobId, address expected, address received);

    /// @dev The receipt's model is not allowed by the policy.
    error JobEscrowModelNotAllowed(uint256 policyId, bytes32 modelHash);

    /// @dev The receipt spends more privacy budget than the policy has left.
    error JobEscrowBudgetExceeded(uint256 policyId, uint64 remaining, uint64 requested);

    /// @dev The Merkle proof does not place (account, amount) under the job's shares root.
    error JobEscrowInvalidProof(bytes32 jobId, address account, uint256 amount);

    /// @dev This share was already claimed.
    error JobEscrowAlreadyClaimed(bytes32 jobId, address account, uint256 amount);

    /// @dev The job has less left than the share claims (a receipt whose shares exceed the price).
    error JobEscrowInsufficientFunds(bytes32 jobId, uint256 available, uint256 requested);

    /// @dev The job cannot be refunded before `refundableAt`.
    error JobEscrowRefundTooEarly(bytes32 jobId, uint256 refundableAt);

    event JobPaid(bytes32 indexed jobId, uint256 indexed policyId, address indexed buyer, uint256 price);
    event JobSettled(
        bytes32 indexed jobId,
        address indexed signer,
        bytes32 sharesRoot,
        bytes32 modelHash,
        uint32 filesUsed,
        uint64 epsilonSpent,
        bytes32 resultHash
    );
    event ShareClaimed(bytes32 indexed jobId, address indexed account, uint256 amount);
    event JobRefunded(bytes32 indexed jobId, address indexed buyer, uint256 amount);
    event RefundTimeoutChanged(uint64 oldTimeout, uint64 newTimeout);

    function job(bytes32 jobId) external view returns (Job memory);

    function isClaimed(bytes32 jobId, address account, uint256 amount) external view returns (bool);

    /// @dev Privacy budget (EPSILON_SCALE units) already spent under a policy by settled jobs.
    function epsilonSpent(uint256 policyId) external view returns (uint64);

    function refundTimeout() external view returns (uint64);
}
