// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/**
 * @dev Interface of the AccessPolicyRegistry: what a buyer may run over which files, under what
 * privacy budget and at what price, as decided by governance.
 */
interface IAccessPolicyRegistry {
    /// @dev The terms of a policy, as governance proposes them.
    struct PolicyTerms {
        address buyer;
        /// @dev Bitmask of allowed job kinds: JOB_FEATURES | JOB_GRADIENTS | JOB_AGGREGATES.
        uint8 jobKinds;
        /// @dev SHA-256 of each ONNX model the buyer may run.
        bytes32[] modelHashes;
        /// @dev Files scoring below this (basis points) are never selected.
        uint16 minScore;
        /// @dev BCP 47 language tags of selectable files; empty selects any language.
        string[] languages;
        /// @dev keccak256 of the consent terms a file's manifest must carry.
        bytes32 termsHash;
        /// @dev Total privacy budget of the policy: epsilon in millionths (EPSILON_SCALE), delta in 1e-18 units.
        uint64 epsilon;
        uint64 delta;
        /// @dev Price of one job, in wei.
        uint256 price;
        /// @dev Unix seconds after which no job may be paid for.
        uint64 expiry;
    }

    /// @dev A policy with its lifecycle.
    struct Policy {
        PolicyTerms terms;
        uint64 createdAt;
        bool retired;
    }

    /// @dev The buyer is the zero address.
    error AccessPolicyRegistryInvalidBuyer(address buyer);

    /// @dev The job kinds bitmask is empty or names an unknown kind.
    error AccessPolicyRegistryInvalidJobKinds(uint8 jobKinds);

    /// @dev The minimum score is above 10000 basis points.
    error AccessPolicyRegistryInvalidMinScore(uint16 minScore);

    /// @dev The consent terms hash is zero: a policy must name the consent its files were given under.
    error AccessPolicyRegistryInvalidTerms();

    /// @dev Epsilon is zero, or delta is not below 1 (DELTA_SCALE).
    error AccessPolicyRegistryInvalidBudget(uint64 epsilon, uint64 delta);

    /// @dev The expiry is not in the future.
    error AccessPolicyRegistryInvalidExpiry(uint64 expiry, uint256 timestamp);

    /// @dev No policy has this id.
    error AccessPolicyRegistryUnknownPolicy(uint256 policyId);

    /// @dev The policy was already retired.
    error AccessPolicyRegistryPolicyRetired(uint256 policyId);

    event PolicyCreated(uint256 indexed policyId, address indexed buyer, PolicyTerms terms);
    event PolicyRetired(uint256 indexed policyId);

    /// @dev The whole policy in one call. Reverts for an unknown id.
    function policy(uint256 policyId) external view returns (Policy memory);

    /// @dev True when the policy exists, is not retired and has not expired.
    function isActive(uint256 policyId) external view returns (bool);

    function isModelAllowed(uint256 policyId, bytes32 modelHash) external view returns (bool);

    function policyCount() external view returns (uint256);
}
