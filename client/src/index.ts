// The Audata client SDK: what contributors, buyers and auditors run on their own devices.
export { main } from './cli/main.ts';
export { sealContribution, SealInputError } from './envelope/seal.ts';
export type { SealContributionParams } from './envelope/seal.ts';
