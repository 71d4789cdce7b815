// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AudataTypes} from "../AudataTypes.sol";

/**
 * @dev Interface of the ContributionRegistry: one enclave-signed proof per file, the rewards
 * they mint, and the contributors' revocations.
 */
interface IContributionRegistry {
    /// @dev What the chain keeps of an accepted proof; the full proof is in {ProofRecorded}.
    struct FileRecord {
        address contributor;
        bool valid;
        bool revoked;
        uint16 score;
        uint16 authenticity;
        uint16 ownership;
        uint16 quality;
        uint16 uniqueness;
        address signer;
        uint64 recordedAt;
        /// @dev EIP-712 struct hash of the accepted proof: a resubmission is identical iff it matches.
        bytes32 proofHash;
        bytes32 manifestHash;
    }

    /// @dev The signature is malformed or does not recover to any address.
    error ContributionRegistryInvalidSignature();

    /// @dev The proof's signer is not an active enclave signer in the EnclaveRegistry.
    error ContributionRegistryInactiveSigner(address signer);

    /// @dev The proof's deadline has passed.
    error ContributionRegistryExpiredProof(uint64 deadline, uint256 timestamp);

    /// @dev A different proof was already recorded for this file.
    error ContributionRegistryConflictingProof(bytes32 fileId, bytes32 recordedProofHash, bytes32 submittedProofHash);

    /// @dev The contributor is the zero address.
    error ContributionRegistryInvalidContributor(address contributor);

    /// @dev A score is above SCORE_SCALE (10000 basis points).
    error ContributionRegistryScoreOutOfRange(uint16 value);

    /// @dev No proof has been recorded for this file.
    error ContributionRegistryUnknownFile(bytes32 fileId);

    /// @dev Only the file's contributor may revoke it.
    error ContributionRegistryUnauthorizedRevoker(bytes32 fileId, address account);

    /// @dev The file was already revoked.
    error ContributionRegistryFileAlreadyRevoked(bytes32 fileId);

    event ProofRecorded(
        bytes32 indexed fileId,
        address indexed contributor,
        address indexed signer,
        AudataTypes.ContributionProof proof,
        bytes32 proofHash,
        uint256 reward
    );
    event FileRevoked(bytes32 indexed fileId, address indexed contributor);
    event RewardFactorChanged(uint256 oldFactor, uint256 newFactor);

    /**
     * @dev Records an enclave-signed proof and mints its reward. Returns false, and does nothing,
     * when the same proof was already recorded.
     */
    function submitProof(
        AudataTypes.ContributionProof calldata proof,
        bytes calldata signature
    ) external returns (bool recorded);

    function fileRecord(bytes32 fileId) external view returns (FileRecord memory);

    function isRevoked(bytes32 fileId) external view returns (bool);

    /// @dev Tokens minted per basis point of score for a valid proof.
    function rewardFactor() external view returns (uint256);
}
