// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AudataTypes} from "../AudataTypes.sol";

/**
 * @dev Interface of the AuditAnchor: the latest enclave state and audit log head per dataset,
 * each signed by an active enclave signer, so a host cannot hand an enclave an older sealed
 * state, and an auditor can check a replayed audit log against heads the host cannot rewrite.
 */
interface IAuditAnchor {
    /// @dev The latest anchor of one dataset (zero counter and zero hashes before the first).
    struct Anchor {
        bytes32 stateSha256;
        bytes32 auditHead;
        uint64 stateCounter;
        uint64 auditEntries;
        uint64 anchoredAt;
    }

    /// @dev The signature does not parse or does not recover to an address.
    error AuditAnchorInvalidSignature();

    /// @dev The recovered signer is not an active signer of the EnclaveRegistry.
    error AuditAnchorInactiveSigner(address signer);

    /// @dev The state counter is not above the dataset's latest anchored counter.
    error AuditAnchorStaleState(bytes32 datasetKey, uint64 latest, uint64 received);

    /// @dev The audit log has fewer entries than the latest anchor says it had.
    error AuditAnchorAuditRegressed(bytes32 datasetKey, uint64 latest, uint64 received);

    /// @dev The anchor names no state: a zero state hash, or an audit head that is zero exactly when entries are not.
    error AuditAnchorInvalidAnchor();

    /// @dev A state and audit head were anchored for `datasetKey` by `signer`.
    event StateAnchored(
        bytes32 indexed datasetKey,
        address indexed signer,
        uint64 stateCounter,
        bytes32 stateSha256,
        uint64 auditEntries,
        bytes32 auditHead
    );

    /// @dev The latest anchor of `datasetKey`.
    function latest(bytes32 datasetKey) external view returns (Anchor memory);

    /// @dev Records `anchor`, signed by an active enclave signer; anyone may submit it.
    function anchorState(AudataTypes.StateAnchor calldata anchor, bytes calldata signature) external;
}
