// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {ERC20Votes} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Votes.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";
import {ERC6372Utils} from "@openzeppelin/contracts/utils/ERC6372Utils.sol";
import {Time} from "@openzeppelin/contracts/utils/types/Time.sol";
import {IAudataToken} from "./interfaces/IAudataToken.sol";

/**
 * @dev The Audata token. It is earned only through accepted contribution proofs (the
 * ContributionRegistry is its sole, immutable minter) and is the voting power of the DAO's
 * governor. Its clock is the block timestamp (ERC-6372 `mode=timestamp`), so governance
 * periods are in seconds.
 */
contract AudataToken is ERC20, ERC20Permit, ERC20Votes, IAudataToken {
    address private immutable _minter;

    constructor(string memory name_, string memory symbol_, address minter_) ERC20(name_, symbol_) ERC20Permit(name_) {
        _minter = minter_;
    }

    /// @inheritdoc IAudataToken
    function minter() public view virtual returns (address) {
        return _minter;
    }

    /// @inheritdoc IAudataToken
    function mint(address to, uint256 amount) public virtual {
        if (msg.sender != _minter) {
            revert AudataTokenUnauthorizedMinter(msg.sender);
        }
        _mint(to, amount);
    }

    /// @dev Votes are checkpointed by timestamp.
    function clock() public view virtual override returns (uint48) {
        return Time.timestamp();
    }

    // solhint-disable-next-line func-name-mixedcase
    function CLOCK_MODE() public view virtual override returns (string memory) {
        return ERC6372Utils.timestampClockMode(clock);
    }

    function _update(address from, address to, uint256 value) internal virtual override(ERC20, ERC20Votes) {
        super._update(from, to, value);
    }

    function nonces(address owner) public view virtual override(ERC20Permit, Nonces) returns (uint256) {
        return super.nonces(owner);
    }
}
