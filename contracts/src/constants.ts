// Fixed-point scales and flags the contracts use, for off-chain code that builds their inputs.
export { SCORE_SCALE, EPSILON_SCALE } from '@audata/wire';

/** Job kinds, as bits of AccessPolicyRegistry's `jobKinds`. */
export const JOB_FEATURES = 1;
export const JOB_GRADIENTS = 2;
export const JOB_AGGREGATES = 4;

/** A policy's delta is in units of 1e-18 (so 1e-5 is 10n ** 13n). */
export const DELTA_SCALE = 10n ** 18n;

/** JobEscrow's job status, as the contract's enum. */
export const JobStatus = { None: 0, Paid: 1, Settled: 2, Refunded: 3 } as const;
