// @audata/contracts: typed ABIs and bytecode of the Audata contracts, their deployment, and a local chain.
export * from './generated/abi.ts';
export * from './deploy.ts';
export * from './errors.ts';
export * from './shares.ts';
export * from './constants.ts';
export { startAnvil, freePort, anvilBinary, ANVIL_MNEMONIC, type Anvil, type AnvilOptions } from './testing/anvil.ts';
