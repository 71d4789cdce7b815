// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IAccessPolicyRegistry} from "./interfaces/IAccessPolicyRegistry.sol";

/**
 * @dev The access policies the DAO has voted: who may buy which kind of job, with which models,
 * over which files, under what privacy budget and at what price. The enclave reads a policy
 * in one call ({policy}) before it runs a job; JobEscrow reads it to take payment and to settle.
 *
 * Roles: only the timelock (`DEFAULT_ADMIN_ROLE`) creates and retires policies. Policies are
 * never edited: governance retires one and creates another, so a job's terms never change
 * under it.
 */
contract AccessPolicyRegistry is AccessControl, IAccessPolicyRegistry {
    uint8 public constant JOB_FEATURES = 1;
    uint8 public constant JOB_GRADIENTS = 2;
    uint8 public constant JOB_AGGREGATES = 4;
    uint64 public constant EPSILON_SCALE = 1_000_000;
    uint64 public constant DELTA_SCALE = 1e18;

    uint8 private constant _ALL_JOB_KINDS = JOB_FEATURES | JOB_GRADIENTS | JOB_AGGREGATES;
    uint16 private constant _SCORE_SCALE = 10_000;

    uint256 private _count;
    mapping(uint256 policyId => Policy) private _policies;

    constructor(address admin) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @inheritdoc IAccessPolicyRegistry
    function policyCount() public view returns (uint256) {
        return _count;
    }

    /// @inheritdoc IAccessPolicyRegistry
    function policy(uint256 policyId) public view returns (Policy memory) {
        return _existing(policyId);
    }

    /// @inheritdoc IAccessPolicyRegistry
    function isActive(uint256 policyId) public view returns (bool) {
        Policy storage p = _policies[policyId];
        return p.createdAt != 0 && !p.retired && block.timestamp <= p.terms.expiry;
    }

    /// @inheritdoc IAccessPolicyRegistry
    function isModelAllowed(uint256 policyId, bytes32 modelHash) public view returns (bool) {
        bytes32[] storage hashes = _policies[policyId].terms.modelHashes;
        for (uint256 i = 0; i < hashes.length; ++i) {
            if (hashes[i] == modelHash) return true;
        }
        return false;
    }

    /**
     * @dev Creates a policy with `terms`; ids start at 1. Returns the new id.
     *
     * Requirements:
     *
     * - the caller must have `DEFAULT_ADMIN_ROLE` (the timelock).
     * - `terms.buyer` non-zero; `terms.jobKinds` a non-empty subset of the known kinds;
     *   `terms.minScore` at most 10000; `terms.termsHash` non-zero; `terms.epsilon` non-zero and
     *   `terms.delta` below DELTA_SCALE; `terms.expiry` in the future.
     *
     * Emits a {PolicyCreated} event.
     */
    function createPolicy(
        PolicyTerms calldata terms
    ) public virtual onlyRole(DEFAULT_ADMIN_ROLE) returns (uint256 policyId) {
        if (terms.buyer == address(0)) revert AccessPolicyRegistryInvalidBuyer(terms.buyer);
        if (terms.jobKinds == 0 || terms.jobKinds & ~_ALL_JOB_KINDS != 0) {
            revert AccessPolicyRegistryInvalidJobKinds(terms.jobKinds);
        }
        if (terms.minScore > _SCORE_SCALE) revert AccessPolicyRegistryInvalidMinScore(terms.minScore);
        if (terms.termsHash == bytes32(0)) revert AccessPolicyRegistryInvalidTerms();
        if (terms.epsilon == 0 || terms.delta >= DELTA_SCALE) {
            revert AccessPolicyRegistryInvalidBudget(terms.epsilon, terms.delta);
        }
        if (terms.expiry <= block.timestamp) revert AccessPolicyRegistryInvalidExpiry(terms.expiry, block.timestamp);

        policyId = ++_count;
        Policy storage p = _policies[policyId];
        p.terms = terms;
        p.createdAt = uint64(block.timestamp);
        emit PolicyCreated(policyId, terms.buyer, terms);
    }

    /**
     * @dev Retires a policy: no new job may be paid for under it.
     *
     * Requirements:
     *
     * - the caller must have `DEFAULT_ADMIN_ROLE` (the timelock).
     * - the policy must exist and not be retired.
     *
     * Emits a {PolicyRetired} event.
     */
    function retirePolicy(uint256 policyId) public virtual onlyRole(DEFAULT_ADMIN_ROLE) {
        Policy storage p = _existing(policyId);
        if (p.retired) revert AccessPolicyRegistryPolicyRetired(policyId);
        p.retired = true;
        emit PolicyRetired(policyId);
    }

    function _existing(uint256 policyId) private view returns (Policy storage p) {
        p = _policies[policyId];
        if (p.createdAt == 0) revert AccessPolicyRegistryUnknownPolicy(policyId);
    }
}
