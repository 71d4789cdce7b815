// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {AudataTypes} from "./AudataTypes.sol";
import {IAudataToken} from "./interfaces/IAudataToken.sol";
import {IContributionRegistry} from "./interfaces/IContributionRegistry.sol";
import {IEnclaveRegistry} from "./interfaces/IEnclaveRegistry.sol";

/**
 * @dev Accepts the enclave's contribution proofs, one per file, and mints their rewards.
 *
 * A proof counts only if it is an EIP-712 signature (domain "Audata ContributionRegistry",
 * version "1", this chain, this contract) by a signer the EnclaveRegistry holds active. An
 * invalid verdict (`valid == false`) is recorded and earns nothing. The reward of a valid proof
 * is `rewardFactor * score`, minted to the contributor named in the proof, who is the signer of
 * the file's manifest as checked inside the enclave.
 *
 * Roles: the timelock (`DEFAULT_ADMIN_ROLE`) sets the reward factor; the guardian
 * (`GUARDIAN_ROLE`) pauses and unpauses submissions. Revocation by a contributor is never
 * paused: withdrawing consent must not depend on anyone.
 */
contract ContributionRegistry is AccessControl, EIP712, Pausable, IContributionRegistry {
    using AudataTypes for AudataTypes.ContributionProof;
    using AudataTypes for AudataTypes.ContributionManifest;

    bytes32 public constant GUARDIAN_ROLE = keccak256("GUARDIAN_ROLE");

    /// @dev The EIP-712 type hashes, exposed so clients can check them against their own.
    bytes32 public constant PROOF_TYPEHASH = AudataTypes.PROOF_TYPEHASH;
    bytes32 public constant MANIFEST_TYPEHASH = AudataTypes.MANIFEST_TYPEHASH;

    bytes32 private constant _DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");

    IAudataToken private immutable _token;
    IEnclaveRegistry private immutable _enclaves;
    uint256 private _rewardFactor;
    mapping(bytes32 fileId => FileRecord) private _files;

    constructor(
        IAudataToken token_,
        IEnclaveRegistry enclaves_,
        address admin,
        address guardian,
        uint256 rewardFactor_
    ) EIP712("Audata ContributionRegistry", "1") {
        _token = token_;
        _enclaves = enclaves_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(GUARDIAN_ROLE, guardian);
        _rewardFactor = rewardFactor_;
        emit RewardFactorChanged(0, rewardFactor_);
    }

    function token() public view returns (IAudataToken) {
        return _token;
    }

    function enclaveRegistry() public view returns (IEnclaveRegistry) {
        return _enclaves;
    }

    /// @inheritdoc IContributionRegistry
    function rewardFactor() public view returns (uint256) {
        return _rewardFactor;
    }

    /// @inheritdoc IContributionRegistry
    function fileRecord(bytes32 fileId) public view returns (FileRecord memory) {
        return _files[fileId];
    }

    /// @inheritdoc IContributionRegistry
    function isRevoked(bytes32 fileId) public view returns (bool) {
        return _files[fileId].revoked;
    }

    /// @dev EIP-712 struct hash of `proof`.
    function proofHash(AudataTypes.ContributionProof calldata proof) public pure returns (bytes32) {
        return proof.hash();
    }

    /// @dev The digest an enclave signs for `proof` on this chain and contract.
    function proofDigest(AudataTypes.ContributionProof calldata proof) public view returns (bytes32) {
        return _hashTypedDataV4(proof.hash());
    }

    /**
     * @dev The digest a contributor signs for `manifest`: domain "Audata Contribution", version "1",
     * this chain and this contract, so consent given to one DAO is not reusable in another.
     */
    function manifestDigest(AudataTypes.ContributionManifest calldata manifest) public view returns (bytes32) {
        bytes32 domainSeparator = keccak256(
            abi.encode(
                _DOMAIN_TYPEHASH,
                keccak256("Audata Contribution"),
                keccak256("1"),
                block.chainid,
                address(this)
            )
        );
        return keccak256(abi.encodePacked(hex"1901", domainSeparator, manifest.hash()));
    }

    /**
     * @dev Records `proof` and mints its reward. Returns false, and changes nothing, when this very
     * proof was already recorded (a retried submission).
     *
     * Requirements:
     *
     * - the contract must not be paused.
     * - `signature` must be the EIP-712 signature of `proof` by an active enclave signer.
     * - no different proof may have been recorded for `proof.fileId`.
     * - `proof.deadline` must not have passed.
     * - `proof.contributor` must be non-zero and every score at most 10000.
     *
     * Emits a {ProofRecorded} event and, for a valid proof with a non-zero reward, an ERC-20 {Transfer}.
     */
    function submitProof(
        AudataTypes.ContributionProof calldata proof,
        bytes calldata signature
    ) public virtual whenNotPaused returns (bool) {
        bytes32 structHash = proof.hash();
        (address signer, ECDSA.RecoverError err, ) = ECDSA.tryRecoverCalldata(_hashTypedDataV4(structHash), signature);
        if (err != ECDSA.RecoverError.NoError) revert ContributionRegistryInvalidSignature();
        if (!_enclaves.isActiveSigner(signer)) revert ContributionRegistryInactiveSigner(signer);

        FileRecord storage file = _files[proof.fileId];
        if (file.recordedAt != 0) {
            if (file.proofHash == structHash) return false;
            revert ContributionRegistryConflictingProof(proof.fileId, file.proofHash, structHash);
        }
        if (block.timestamp > proof.deadline) revert ContributionRegistryExpiredProof(proof.deadline, block.timestamp);
        if (proof.contributor == address(0)) revert ContributionRegistryInvalidContributor(proof.contributor);
        _checkScore(proof.score);
        _checkScore(proof.authenticity);
        _checkScore(proof.ownership);
        _checkScore(proof.quality);
        _checkScore(proof.uniqueness);

        uint256 reward = proof.valid ? _rewardFactor * proof.score : 0;
        _files[proof.fileId] = FileRecord({
            contributor: proof.contributor,
            valid: proof.valid,
            revoked: false,
            score: proof.score,
            authenticity: proof.authenticity,
            ownership: proof.ownership,
            quality: proof.quality,
            uniqueness: proof.uniqueness,
            signer: signer,
            recordedAt: uint64(block.timestamp),
            proofHash: structHash,
            manifestHash: proof.manifestHash
        });
        emit ProofRecorded(proof.fileId, proof.contributor, signer, proof, structHash, reward);

        if (reward != 0) _token.mint(proof.contributor, reward);
        return true;
    }

    /**
     * @dev Revokes a file: it must not be used by any later job. Tokens already earned stay.
     *
     * Requirements:
     *
     * - a proof must have been recorded for `fileId`.
     * - the caller must be the file's contributor.
     * - the file must not already be revoked.
     *
     * Emits a {FileRevoked} event.
     */
    function revokeFile(bytes32 fileId) public virtual {
        FileRecord storage file = _files[fileId];
        if (file.recordedAt == 0) revert ContributionRegistryUnknownFile(fileId);
        if (file.contributor != msg.sender) revert ContributionRegistryUnauthorizedRevoker(fileId, msg.sender);
        if (file.revoked) revert ContributionRegistryFileAlreadyRevoked(fileId);
        file.revoked = true;
        emit FileRevoked(fileId, msg.sender);
    }

    /**
     * @dev Sets the tokens minted per basis point of score.
     *
     * Requirements:
     *
     * - the caller must have `DEFAULT_ADMIN_ROLE` (the timelock).
     *
     * Emits a {RewardFactorChanged} event.
     */
    function setRewardFactor(uint256 newFactor) public virtual onlyRole(DEFAULT_ADMIN_ROLE) {
        uint256 oldFactor = _rewardFactor;
        _rewardFactor = newFactor;
        emit RewardFactorChanged(oldFactor, newFactor);
    }

    /// @dev Stops proof submissions. Requirements: the caller must have `GUARDIAN_ROLE`.
    function pause() public virtual onlyRole(GUARDIAN_ROLE) {
        _pause();
    }

    /// @dev Resumes proof submissions. Requirements: the caller must have `GUARDIAN_ROLE`.
    function unpause() public virtual onlyRole(GUARDIAN_ROLE) {
        _unpause();
    }

    function _checkScore(uint16 value) private pure {
        if (value > AudataTypes.SCORE_SCALE) revert ContributionRegistryScoreOutOfRange(value);
    }
}
