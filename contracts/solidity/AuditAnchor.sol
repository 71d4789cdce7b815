// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {AudataTypes} from "./AudataTypes.sol";
import {IAuditAnchor} from "./interfaces/IAuditAnchor.sol";
import {IEnclaveRegistry} from "./interfaces/IEnclaveRegistry.sol";

/**
 * @dev Keeps, per dataset key, the latest sealed state (counter and SHA-256) and audit log head
 * (entry count and hash of the last entry) an enclave signed.
 *
 * An anchor counts only if it is an EIP-712 signature (domain "Audata AuditAnchor", version "1",
 * this chain, this contract) by a signer the EnclaveRegistry holds active. Anyone may submit
 * one, in practice the host; it cannot forge one, and cannot replace a newer anchor with an
 * older one: the state counter must strictly increase and the audit entry count must never
 * decrease (a state may change without a log entry, e.g. a refused contribution, so equal
 * counts are allowed). A booting enclave reads `latest` and refuses a sealed state older than
 * it; an auditor reads the {StateAnchored} events and checks each head against the replayed log.
 *
 * This is a contract of its own rather than part of the EnclaveRegistry: the registry holds
 * governed trust decisions and changes rarely, while anchors are frequent, permissionless writes
 * that only read the registry; kept apart, neither's storage or roles reach into the other's.
 */
contract AuditAnchor is EIP712, IAuditAnchor {
    using AudataTypes for AudataTypes.StateAnchor;

    /// @dev The EIP-712 type hash, exposed so clients can check it against their own.
    bytes32 public constant STATE_ANCHOR_TYPEHASH = AudataTypes.STATE_ANCHOR_TYPEHASH;

    IEnclaveRegistry private immutable _enclaves;
    mapping(bytes32 datasetKey => Anchor) private _latest;

    constructor(IEnclaveRegistry enclaves_) EIP712("Audata AuditAnchor", "1") {
        _enclaves = enclaves_;
    }

    function enclaveRegistry() public view returns (IEnclaveRegistry) {
        return _enclaves;
    }

    /// @inheritdoc IAuditAnchor
    function latest(bytes32 datasetKey) public view returns (Anchor memory) {
        return _latest[datasetKey];
    }

    /// @dev EIP-712 struct hash of `anchor`.
    function anchorHash(AudataTypes.StateAnchor calldata anchor) public pure returns (bytes32) {
        return anchor.hash();
    }

    /// @dev The digest an enclave signs for `anchor` on this chain and contract.
    function anchorDigest(AudataTypes.StateAnchor calldata anchor) public view returns (bytes32) {
        return _hashTypedDataV4(anchor.hash());
    }

    /**
     * @dev Records `anchor` as the latest of its dataset.
     *
     * Requirements:
     *
     * - `signature` must be the EIP-712 signature of `anchor` by an active enclave signer.
     * - `anchor.stateSha256` must be non-zero, and `anchor.auditHead` zero exactly when `anchor.auditEntries` is.
     * - `anchor.stateCounter` must be above the dataset's latest anchored counter.
     * - `anchor.auditEntries` must be at least the dataset's latest anchored entry count.
     *
     * Emits a {StateAnchored} event.
     */
    function anchorState(AudataTypes.StateAnchor calldata anchor, bytes calldata signature) public virtual {
        (address signer, ECDSA.RecoverError err, ) = ECDSA.tryRecoverCalldata(_hashTypedDataV4(anchor.hash()), signature);
        if (err != ECDSA.RecoverError.NoError) revert AuditAnchorInvalidSignature();
        if (!_enclaves.isActiveSigner(signer)) revert AuditAnchorInactiveSigner(signer);
        if (anchor.stateSha256 == bytes32(0) || (anchor.auditEntries == 0) != (anchor.auditHead == bytes32(0))) {
            revert AuditAnchorInvalidAnchor();
        }

        Anchor storage current = _latest[anchor.datasetKey];
        if (anchor.stateCounter <= current.stateCounter) {
            revert AuditAnchorStaleState(anchor.datasetKey, current.stateCounter, anchor.stateCounter);
        }
        if (anchor.auditEntries < current.auditEntries) {
            revert AuditAnchorAuditRegressed(anchor.datasetKey, current.auditEntries, anchor.auditEntries);
        }

        _latest[anchor.datasetKey] = Anchor({
            stateSha256: anchor.stateSha256,
            auditHead: anchor.auditHead,
            stateCounter: anchor.stateCounter,
            auditEntries: anchor.auditEntries,
            anchoredAt: uint64(block.timestamp)
        });
        emit StateAnchored(
            anchor.datasetKey,
            signer,
            anchor.stateCounter,
            anchor.stateSha256,
            anchor.auditEntries,
            anchor.auditHead
        );
    }
}
