// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/**
 * @dev Interface of the Audata token: the contribution reward and the DAO's voting power.
 */
interface IAudataToken {
    /// @dev `account` tried to mint but is not the token's minter (the ContributionRegistry).
    error AudataTokenUnauthorizedMinter(address account);

    /// @dev The contract allowed to mint, fixed at deployment.
    function minter() external view returns (address);

    /**
     * @dev Mints `amount` tokens to `to`.
     *
     * Requirements:
     *
     * - the caller must be the minter.
     */
    function mint(address to, uint256 amount) external;
}
