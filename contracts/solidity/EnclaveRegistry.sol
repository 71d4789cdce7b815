// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IEnclaveRegistry} from "./interfaces/IEnclaveRegistry.sol";

/**
 * @dev The enclave builds the DAO trusts and the signing keys of running enclaves.
 *
 * Governance (the timelock, holder of `DEFAULT_ADMIN_ROLE`) approves and revokes measurements
 * and revokes signers. The operator (`OPERATOR_ROLE`) registers a freshly booted enclave's
 * signing key, after checking its attestation document off chain; the document's SHA-256 and
 * location are recorded so anyone can re-check it. Revoking a measurement disables every
 * signer registered under it, and is final.
 */
contract EnclaveRegistry is AccessControl, IEnclaveRegistry {
    bytes32 public constant OPERATOR_ROLE = keccak256("OPERATOR_ROLE");

    uint256 private constant _PCR_LENGTH = 48;

    mapping(bytes32 measurementId => Measurement) private _measurements;
    mapping(address account => Signer) private _signers;

    constructor(address admin, address operator) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(OPERATOR_ROLE, operator);
    }

    /// @inheritdoc IEnclaveRegistry
    function measurementId(
        bytes calldata pcr0,
        bytes calldata pcr1,
        bytes calldata pcr2,
        bytes calldata pcr8
    ) public pure returns (bytes32) {
        return keccak256(abi.encode(pcr0, pcr1, pcr2, pcr8));
    }

    /// @inheritdoc IEnclaveRegistry
    function measurement(bytes32 measurementId_) public view returns (Measurement memory) {
        return _measurements[measurementId_];
    }

    /// @inheritdoc IEnclaveRegistry
    function signer(address account) public view returns (Signer memory) {
        return _signers[account];
    }

    /// @inheritdoc IEnclaveRegistry
    function isActiveSigner(address account) public view returns (bool) {
        Signer storage s = _signers[account];
        return
            s.registeredAt != 0 && !s.revoked && _measurements[s.measurementId].status == MeasurementStatus.Approved;
    }

    /**
     * @dev Approves an enclave build. Returns its measurement id.
     *
     * Requirements:
     *
     * - the caller must have `DEFAULT_ADMIN_ROLE`.
     * - `pcr0` must be 48 bytes and not all zeros; `pcr1`, `pcr2`, `pcr8` must be empty or 48 bytes.
     * - the measurement must never have been approved before.
     *
     * Emits a {MeasurementApproved} event.
     */
    function approveMeasurement(
        bytes calldata pcr0,
        bytes calldata pcr1,
        bytes calldata pcr2,
        bytes calldata pcr8
    ) public virtual onlyRole(DEFAULT_ADMIN_ROLE) returns (bytes32) {
        if (pcr0.length != _PCR_LENGTH) revert EnclaveRegistryInvalidPcr(0, pcr0.length);
        _checkOptionalPcr(1, pcr1);
        _checkOptionalPcr(2, pcr2);
        _checkOptionalPcr(8, pcr8);
        if (_isZero(pcr0)) revert EnclaveRegistryDebugMeasurement();

        bytes32 id = measurementId(pcr0, pcr1, pcr2, pcr8);
        if (_measurements[id].status != MeasurementStatus.None) revert EnclaveRegistryMeasurementExists(id);

        _measurements[id] = Measurement({
            status: MeasurementStatus.Approved,
            approvedAt: uint64(block.timestamp),
            pcr0: pcr0,
            pcr1: pcr1,
            pcr2: pcr2,
            pcr8: pcr8
        });
        emit MeasurementApproved(id, pcr0, pcr1, pcr2, pcr8);
        return id;
    }

    /**
     * @dev Revokes an approved measurement, which disables every signer registered under it.
     *
     * Requirements:
     *
     * - the caller must have `DEFAULT_ADMIN_ROLE`.
     * - the measurement must be approved.
     *
     * Emits a {MeasurementRevoked} event.
     */
    function revokeMeasurement(bytes32 measurementId_) public virtual onlyRole(DEFAULT_ADMIN_ROLE) {
        Measurement storage m = _measurements[measurementId_];
        if (m.status != MeasurementStatus.Approved) revert EnclaveRegistryMeasurementNotApproved(measurementId_);
        m.status = MeasurementStatus.Revoked;
        emit MeasurementRevoked(measurementId_);
    }

    /**
     * @dev Registers an enclave signing key whose attestation document the operator has verified.
     *
     * Requirements:
     *
     * - the caller must have `OPERATOR_ROLE`.
     * - `account` must be non-zero and never registered before.
     * - the measurement must be approved.
     *
     * Emits a {SignerRegistered} event.
     */
    function registerSigner(
        address account,
        bytes32 measurementId_,
        bytes32 attestationSha256,
        string calldata attestationUri
    ) public virtual onlyRole(OPERATOR_ROLE) {
        if (account == address(0)) revert EnclaveRegistryInvalidSigner(account);
        if (_signers[account].registeredAt != 0) revert EnclaveRegistrySignerExists(account);
        if (_measurements[measurementId_].status != MeasurementStatus.Approved) {
            revert EnclaveRegistryMeasurementNotApproved(measurementId_);
        }

        _signers[account] = Signer({
            measurementId: measurementId_,
            attestationSha256: attestationSha256,
            registeredAt: uint64(block.timestamp),
            revoked: false,
            attestationUri: attestationUri
        });
        emit SignerRegistered(account, measurementId_, attestationSha256, attestationUri);
    }

    /**
     * @dev Revokes one signing key.
     *
     * Requirements:
     *
     * - the caller must have `DEFAULT_ADMIN_ROLE`.
     * - `account` must be registered and not yet revoked.
     *
     * Emits a {SignerRevoked} event.
     */
    function revokeSigner(address account) public virtual onlyRole(DEFAULT_ADMIN_ROLE) {
        Signer storage s = _signers[account];
        if (s.registeredAt == 0 || s.revoked) revert EnclaveRegistryUnknownSigner(account);
        s.revoked = true;
        emit SignerRevoked(account);
    }

    function _checkOptionalPcr(uint8 index, bytes calldata pcr) private pure {
        if (pcr.length != 0 && pcr.length != _PCR_LENGTH) revert EnclaveRegistryInvalidPcr(index, pcr.length);
    }

    function _isZero(bytes calldata value) private pure returns (bool) {
        for (uint256 i = 0; i < value.length; ++i) {
            if (value[i] != 0) return false;
        }
        return true;
    }
}
