// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/**
 * @dev Interface of the EnclaveRegistry: which enclave builds the DAO trusts (measurements)
 * and which signing keys speak for a running enclave of such a build (signers).
 */
interface IEnclaveRegistry {
    enum MeasurementStatus {
        None,
        Approved,
        Revoked
    }

    /// @dev An approved build: PCR values of an AWS Nitro enclave (SHA-384, 48 bytes each).
    struct Measurement {
        MeasurementStatus status;
        uint64 approvedAt;
        /// @dev Hash of the enclave image file; always set.
        bytes pcr0;
        /// @dev Kernel and boot ramfs; empty when not pinned.
        bytes pcr1;
        /// @dev Application; empty when not pinned.
        bytes pcr2;
        /// @dev Signing certificate of the image; empty when not pinned.
        bytes pcr8;
    }

    /// @dev A registered enclave signing key.
    struct Signer {
        bytes32 measurementId;
        /// @dev SHA-256 of the attestation document that binds this key to the measurement.
        bytes32 attestationSha256;
        uint64 registeredAt;
        bool revoked;
        /// @dev Where the attestation document can be fetched.
        string attestationUri;
    }

    /// @dev PCR `index` has `length` bytes; PCR0 must have 48, PCR1/2/8 either 0 or 48.
    error EnclaveRegistryInvalidPcr(uint8 index, uint256 length);

    /// @dev PCR0 is all zeros, as in a debug-mode enclave, which proves nothing about its code.
    error EnclaveRegistryDebugMeasurement();

    /// @dev The measurement was already approved (or approved and then revoked, which is final).
    error EnclaveRegistryMeasurementExists(bytes32 measurementId);

    /// @dev The measurement is not currently approved.
    error EnclaveRegistryMeasurementNotApproved(bytes32 measurementId);

    /// @dev The signer address is zero.
    error EnclaveRegistryInvalidSigner(address signer);

    /// @dev The signer was already registered (keys are fresh per boot and never reused).
    error EnclaveRegistrySignerExists(address signer);

    /// @dev The signer is not registered, or already revoked.
    error EnclaveRegistryUnknownSigner(address signer);

    event MeasurementApproved(bytes32 indexed measurementId, bytes pcr0, bytes pcr1, bytes pcr2, bytes pcr8);
    event MeasurementRevoked(bytes32 indexed measurementId);
    event SignerRegistered(
        address indexed signer,
        bytes32 indexed measurementId,
        bytes32 attestationSha256,
        string attestationUri
    );
    event SignerRevoked(address indexed signer);

    /// @dev Identity of a measurement: keccak256(abi.encode(pcr0, pcr1, pcr2, pcr8)).
    function measurementId(
        bytes calldata pcr0,
        bytes calldata pcr1,
        bytes calldata pcr2,
        bytes calldata pcr8
    ) external pure returns (bytes32);

    function measurement(bytes32 measurementId_) external view returns (Measurement memory);

    function signer(address account) external view returns (Signer memory);

    /// @dev True when `account` is registered, not revoked, and its measurement is still approved.
    function isActiveSigner(address account) external view returns (bool);
}
