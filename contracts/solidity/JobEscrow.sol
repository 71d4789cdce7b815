// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {AudataTypes} from "./AudataTypes.sol";
import {IAccessPolicyRegistry} from "./interfaces/IAccessPolicyRegistry.sol";
import {IEnclaveRegistry} from "./interfaces/IEnclaveRegistry.sol";
import {IJobEscrow} from "./interfaces/IJobEscrow.sol";

/**
 * @dev Holds a job's price from payment until the contributors whose files it used claim it.
 *
 * Payment is in native currency (ETH), exactly the policy's price, by the policy's buyer. An
 * EIP-712 receipt (domain "Audata JobEscrow", version "1") signed by an active enclave settles
 * the job and fixes the Merkle root of (account, amount) shares, in OpenZeppelin's
 * StandardMerkleTree layout. Each share is claimed once, by pull; a job that is never settled
 * can be refunded to its buyer after `refundTimeout`.
 *
 * Roles: the timelock (`DEFAULT_ADMIN_ROLE`) sets the refund timeout; the guardian
 * (`GUARDIAN_ROLE`) pauses payments and settlements. Claims and refunds are never paused,
 * so no role can hold anyone's money.
 */
contract JobEscrow is AccessControl, EIP712, Pausable, ReentrancyGuardTransient, IJobEscrow {
    using AudataTypes for AudataTypes.JobReceipt;

    bytes32 public constant GUARDIAN_ROLE = keccak256("GUARDIAN_ROLE");
    bytes32 public constant RECEIPT_TYPEHASH = AudataTypes.RECEIPT_TYPEHASH;

    IAccessPolicyRegistry private immutable _policies;
    IEnclaveRegistry private immutable _enclaves;
    uint64 private _refundTimeout;

    mapping(bytes32 jobId => Job) private _jobs;
    mapping(bytes32 jobId => mapping(bytes32 leaf => bool)) private _claimed;
    mapping(uint256 policyId => uint64) private _epsilonSpent;

    constructor(
        IAccessPolicyRegistry policies_,
        IEnclaveRegistry enclaves_,
        address admin,
        address guardian,
        uint64 refundTimeout_
    ) EIP712("Audata JobEscrow", "1") {
        _policies = policies_;
        _enclaves = enclaves_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(GUARDIAN_ROLE, guardian);
        _refundTimeout = refundTimeout_;
        emit RefundTimeoutChanged(0, refundTimeout_);
    }

    function policyRegistry() public view returns (IAccessPolicyRegistry) {
        return _policies;
    }

    function enclaveRegistry() public view returns (IEnclaveRegistry) {
        return _enclaves;
    }

    /// @inheritdoc IJobEscrow
    function job(bytes32 jobId) public view returns (Job memory) {
        return _jobs[jobId];
    }

    /// @inheritdoc IJobEscrow
    function isClaimed(bytes32 jobId, address account, uint256 amount) public view returns (bool) {
        return _claimed[jobId][shareLeaf(account, amount)];
    }

    /// @inheritdoc IJobEscrow
    function epsilonSpent(uint256 policyId) public view returns (uint64) {
        return _epsilonSpent[policyId];
    }

    /// @inheritdoc IJobEscrow
    function refundTimeout() public view returns (uint64) {
        return _refundTimeout;
    }

    /// @dev The StandardMerkleTree leaf of a share: keccak256(bytes.concat(keccak256(abi.encode(account, amount)))).
    function shareLeaf(address account, uint256 amount) public pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(account, amount))));
    }

    /// @dev EIP-712 struct hash of `receipt`.
    function receiptHash(AudataTypes.JobReceipt calldata receipt) public pure returns (bytes32) {
        return receipt.hash();
    }

    /// @dev The digest an enclave signs for `receipt` on this chain and contract.
    function receiptDigest(AudataTypes.JobReceipt calldata receipt) public view returns (bytes32) {
        return _hashTypedDataV4(receipt.hash());
    }

    /**
     * @dev Pays for job `jobId` under `policyId`; the value sent is held until settlement or refund.
     *
     * Requirements:
     *
     * - the contract must not be paused.
     * - `jobId` must be unused.
     * - the policy must be active and the caller its buyer.
     * - the value sent must equal the policy's price.
     *
     * Emits a {JobPaid} event.
     */
    function pay(bytes32 jobId, uint256 policyId) public payable virtual whenNotPaused {
        if (_jobs[jobId].status != JobStatus.None) revert JobEscrowJobExists(jobId);
        if (!_policies.isActive(policyId)) revert JobEscrowInactivePolicy(policyId);
        IAccessPolicyRegistry.PolicyTerms memory terms = _policies.policy(policyId).terms;
        if (msg.sender != terms.buyer) revert JobEscrowUnauthorizedBuyer(policyId, msg.sender);
        if (msg.value != terms.price) revert JobEscrowIncorrectPayment(terms.price, msg.value);

        _jobs[jobId] = Job({
            buyer: msg.sender,
            paidAt: uint64(block.timestamp),
            status: JobStatus.Paid,
            policyId: policyId,
            price: msg.value,
            claimed: 0,
            sharesRoot: bytes32(0)
        });
        emit JobPaid(jobId, policyId, msg.sender, msg.value);
    }

    /**
     * @dev Settles a paid job on the enclave's receipt. Anyone may relay the receipt.
     *
     * Requirements:
     *
     * - the contract must not be paused.
     * - `signature` must be the EIP-712 signature of `receipt` by an active enclave signer.
     * - the job must be paid and not settled or refunded.
     * - the receipt's policy and buyer must be the job's; its model allowed by the policy; its
     *   deadline not passed; its epsilon within what the policy has left.
     *
     * Emits a {JobSettled} event.
     */
    function settle(
        AudataTypes.JobReceipt calldata receipt,
        bytes calldata signature
    ) public virtual whenNotPaused {
        (address signer, ECDSA.RecoverError err, ) = ECDSA.tryRecoverCalldata(
            _hashTypedDataV4(receipt.hash()),
            signature
        );
        if (err != ECDSA.RecoverError.NoError) revert JobEscrowInvalidSignature();
        if (!_enclaves.isActiveSigner(signer)) revert JobEscrowInactiveSigner(signer);

        Job storage j = _jobs[receipt.jobId];
        if (j.status != JobStatus.Paid) revert JobEscrowUnexpectedJobStatus(receipt.jobId, j.status, JobStatus.Paid);
        if (block.timestamp > receipt.deadline) revert JobEscrowExpiredReceipt(receipt.deadline, block.timestamp);
        if (receipt.policyId != j.policyId) revert JobEscrowPolicyMismatch(receipt.jobId, j.policyId, receipt.policyId);
        if (receipt.buyer != j.buyer) revert JobEscrowBuyerMismatch(receipt.jobId, j.buyer, receipt.buyer);
        if (!_policies.isModelAllowed(j.policyId, receipt.modelHash)) {
            revert JobEscrowModelNotAllowed(j.policyId, receipt.modelHash);
        }
        uint64 budget = _policies.policy(j.policyId).terms.epsilon;
        uint64 spent = _epsilonSpent[j.policyId];
        uint64 remaining = budget > spent ? budget - spent : 0;
        if (receipt.epsilonSpent > remaining) {
            revert JobEscrowBudgetExceeded(j.policyId, remaining, receipt.epsilonSpent);
        }

        _epsilonSpent[j.policyId] = spent + receipt.epsilonSpent;
        j.status = JobStatus.Settled;
        j.sharesRoot = receipt.sharesRoot;
        emit JobSettled(
            receipt.jobId,
            signer,
            receipt.sharesRoot,
            receipt.modelHash,
            receipt.filesUsed,
            receipt.epsilonSpent,
            receipt.resultHash
        );
    }

    /**
     * @dev Pays `account` its share `amount` of a settled job. Anyone may call; the money goes to `account`.
     *
     * Requirements:
     *
     * - the job must be settled.
     * - `proof` must place the leaf (account, amount) under the job's shares root.
     * - the share must not have been claimed, and the job must hold at least `amount` unclaimed.
     *
     * Emits a {ShareClaimed} event.
     */
    function claim(bytes32 jobId, address account, uint256 amount, bytes32[] calldata proof) public virtual nonReentrant {
        Job storage j = _jobs[jobId];
        if (j.status != JobStatus.Settled) revert JobEscrowUnexpectedJobStatus(jobId, j.status, JobStatus.Settled);
        bytes32 leaf = shareLeaf(account, amount);
        if (!MerkleProof.verifyCalldata(proof, j.sharesRoot, leaf)) revert JobEscrowInvalidProof(jobId, account, amount);
        if (_claimed[jobId][leaf]) revert JobEscrowAlreadyClaimed(jobId, account, amount);
        uint256 available = j.price - j.claimed;
        if (amount > available) revert JobEscrowInsufficientFunds(jobId, available, amount);

        _claimed[jobId][leaf] = true;
        j.claimed += amount;
        emit ShareClaimed(jobId, account, amount);

        Address.sendValue(payable(account), amount);
    }

    /**
     * @dev Returns a paid but unsettled job's price to its buyer once `refundTimeout` has passed.
     * Anyone may call; the money goes to the buyer.
     *
     * Requirements:
     *
     * - the job must be paid and neither settled nor refunded.
     * - `refundTimeout` seconds must have passed since payment.
     *
     * Emits a {JobRefunded} event.
     */
    function refund(bytes32 jobId) public virtual nonReentrant {
        Job storage j = _jobs[jobId];
        if (j.status != JobStatus.Paid) revert JobEscrowUnexpectedJobStatus(jobId, j.status, JobStatus.Paid);
        uint256 refundableAt = uint256(j.paidAt) + _refundTimeout;
        if (block.timestamp < refundableAt) revert JobEscrowRefundTooEarly(jobId, refundableAt);

        j.status = JobStatus.Refunded;
        uint256 amount = j.price - j.claimed;
        j.claimed = j.price;
        emit JobRefunded(jobId, j.buyer, amount);

        Address.sendValue(payable(j.buyer), amount);
    }

    /**
     * @dev Sets how long a buyer waits before an unsettled job can be refunded.
     *
     * Requirements:
     *
     * - the caller must have `DEFAULT_ADMIN_ROLE` (the timelock).
     *
     * Emits a {RefundTimeoutChanged} event.
     */
    function setRefundTimeout(uint64 newTimeout) public virtual onlyRole(DEFAULT_ADMIN_ROLE) {
        uint64 oldTimeout = _refundTimeout;
        _refundTimeout = newTimeout;
        emit RefundTimeoutChanged(oldTimeout, newTimeout);
    }

    /// @dev Stops payments and settlements. Requirements: the caller must have `GUARDIAN_ROLE`.
    function pause() public virtual onlyRole(GUARDIAN_ROLE) {
        _pause();
    }

    /// @dev Resumes payments and settlements. Requirements: the caller must have `GUARDIAN_ROLE`.
    function unpause() public virtual onlyRole(GUARDIAN_ROLE) {
        _unpause();
    }
}
