// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/**
 * @dev EIP-712 structs signed across Audata's trust boundaries, mirrored field for field from
 * `wire/src/eip712.ts` (a test pins each type hash to viem's, so neither side can drift alone).
 * Encoding follows https://eips.ethereum.org/EIPS/eip-712#definition-of-hashstruct.
 */
library AudataTypes {
    /// @dev Scores are basis points: 0..10000 stands for 0..1 (`SCORE_SCALE` in wire).
    uint16 internal constant SCORE_SCALE = 10_000;

    /// @dev What a contributor signs, under the "Audata Contribution" domain bound to the registry.
    struct ContributionManifest {
        bytes32 ciphertextSha256;
        bytes32 sealedKeySha256;
        bytes32 datasetKey;
        bytes32 termsHash;
        string language;
        uint64 createdAt;
        bytes32 nonce;
    }

    /// @dev The enclave's verdict on one file, checked by ContributionRegistry.
    struct ContributionProof {
        bytes32 fileId;
        address contributor;
        bytes32 manifestHash;
        bool valid;
        uint16 score;
        uint16 authenticity;
        uint16 ownership;
        uint16 quality;
        uint16 uniqueness;
        bytes32 pipelineVersion;
        bytes32 detailsHash;
        uint64 deadline;
    }

    /// @dev The enclave's account of a finished job, settled by JobEscrow.
    struct JobReceipt {
        bytes32 jobId;
        uint256 policyId;
        address buyer;
        bytes32 modelHash;
        bytes32 sharesRoot;
        uint32 filesUsed;
        uint64 epsilonSpent;
        bytes32 resultHash;
        uint64 deadline;
    }

    /// @dev The enclave's latest sealed state and audit log head, recorded by AuditAnchor.
    struct StateAnchor {
        bytes32 datasetKey;
        uint64 stateCounter;
        bytes32 stateSha256;
        uint64 auditEntries;
        bytes32 auditHead;
    }

    bytes32 internal constant MANIFEST_TYPEHASH =
        keccak256(
            "ContributionManifest(bytes32 ciphertextSha256,bytes32 sealedKeySha256,bytes32 datasetKey,bytes32 termsHash,string language,uint64 createdAt,bytes32 nonce)"
        );

    bytes32 internal constant PROOF_TYPEHASH =
        keccak256(
            "ContributionProof(bytes32 fileId,address contributor,bytes32 manifestHash,bool valid,uint16 score,uint16 authenticity,uint16 ownership,uint16 quality,uint16 uniqueness,bytes32 pipelineVersion,bytes32 detailsHash,uint64 deadline)"
        );

    bytes32 internal constant RECEIPT_TYPEHASH =
        keccak256(
            "JobReceipt(bytes32 jobId,uint256 policyId,address buyer,bytes32 modelHash,bytes32 sharesRoot,uint32 filesUsed,uint64 epsilonSpent,bytes32 resultHash,uint64 deadline)"
        );

    bytes32 internal constant STATE_ANCHOR_TYPEHASH =
        keccak256(
            "StateAnchor(bytes32 datasetKey,uint64 stateCounter,bytes32 stateSha256,uint64 auditEntries,bytes32 auditHead)"
        );

    function hash(ContributionManifest calldata manifest) internal pure returns (bytes32) {
        return
            keccak256(
                abi.encode(
                    MANIFEST_TYPEHASH,
                    manifest.ciphertextSha256,
                    manifest.sealedKeySha256,
                    manifest.datasetKey,
                    manifest.termsHash,
                    keccak256(bytes(manifest.language)),
                    manifest.createdAt,
                    manifest.nonce
                )
            );
    }

    function hash(ContributionProof calldata proof) internal pure returns (bytes32) {
        // abi.encode of the calldata struct is exactly the static fields in order, each one word.
        return keccak256(abi.encode(PROOF_TYPEHASH, proof));
    }

    function hash(JobReceipt calldata receipt) internal pure returns (bytes32) {
        return keccak256(abi.encode(RECEIPT_TYPEHASH, receipt));
    }

    function hash(StateAnchor calldata anchor) internal pure returns (bytes32) {
        return keccak256(abi.encode(STATE_ANCHOR_TYPEHASH, anchor));
    }
}
