// Typed refusals of a job before anything runs: each names the policy rule or chain state
// the job fails, so the host can report it and the buyer can act, while nothing is released.
import { JobError } from './errors.ts';

/** The job's buyer is not the policy's buyer. */
export class JobWrongBuyerError extends JobError {
  override name = 'JobWrongBuyerError' as const;
  constructor(policyId: bigint, expected: string, received: string) {
    super('JOB_WRONG_BUYER', `Policy ${policyId} is for buyer ${expected}; the job names ${received}.`, {
      details: { policyId: policyId.toString(), expected, received },
      hint: 'Submit jobs only under a policy the DAO passed for your address.',
    });
  }
}

/** The policy does not allow this kind of job. */
export class JobKindNotAllowedError extends JobError {
  override name = 'JobKindNotAllowedError' as const;
  constructor(policyId: bigint, kind: string, allowed: string) {
    super('JOB_KIND_NOT_ALLOWED', `Policy ${policyId} allows ${allowed === '' ? 'no job kind' : allowed} jobs; received a ${kind} job.`, {
      details: { policyId: policyId.toString(), kind, allowed },
      hint: 'Ask the DAO for a policy that allows this job kind.',
    });
  }
}

/** The model's SHA-256 is not among the policy's approved model hashes. */
export class JobModelNotAllowedError extends JobError {
  override name = 'JobModelNotAllowedError' as const;
  constructor(policyId: bigint, modelHash: string) {
    super('JOB_MODEL_NOT_ALLOWED', `Model ${modelHash} is not approved by policy ${policyId}.`, {
      details: { policyId: policyId.toString(), modelHash },
      hint: 'Send exactly the ONNX bytes whose SHA-256 the policy lists.',
    });
  }
}

/** The chain has no policy with this id. */
export class JobPolicyUnknownError extends JobError {
  override name = 'JobPolicyUnknownError' as const;
  constructor(policyId: bigint) {
    super('JOB_POLICY_UNKNOWN', `No policy ${policyId} exists on chain.`, { details: { policyId: policyId.toString() }, hint: 'Check the policy id.' });
  }
}

/** The policy's expiry has passed. */
export class JobPolicyExpiredError extends JobError {
  override name = 'JobPolicyExpiredError' as const;
  constructor(policyId: bigint, expiry: bigint, now: bigint) {
    super('JOB_POLICY_EXPIRED', `Policy ${policyId} expired at ${expiry} (unix seconds); it is now ${now}.`, {
      details: { policyId: policyId.toString(), expiry: expiry.toString(), now: now.toString() },
      hint: 'Ask the DAO for a new policy.',
    });
  }
}

/** Governance retired the policy. */
export class JobPolicyRetiredError extends JobError {
  override name = 'JobPolicyRetiredError' as const;
  constructor(policyId: bigint) {
    super('JOB_POLICY_RETIRED', `Policy ${policyId} was retired by governance.`, { details: { policyId: policyId.toString() }, hint: 'Ask the DAO for a new policy.' });
  }
}

/** The guardian paused jobs (JobEscrow is paused). */
export class JobsPausedError extends JobError {
  override name = 'JobsPausedError' as const;
  constructor() {
    super('JOB_PAUSED', 'Jobs are paused: the JobEscrow contract is paused by the guardian.', { hint: 'Retry once the guardian unpauses the escrow.' });
  }
}

/** The escrow holds no payment for this job under this policy and buyer. */
export class JobUnpaidError extends JobError {
  override name = 'JobUnpaidError' as const;
  constructor(jobId: string, reason: string) {
    super('JOB_UNPAID', `Job ${jobId} is not paid for as submitted: ${reason}.`, {
      details: { jobId, reason },
      hint: 'Pay the policy price to JobEscrow with this job id from the policy buyer, then submit again.',
    });
  }
}

/** The (policy, buyer) privacy budget is spent, so no further DP release can be made. */
export class JobBudgetExhaustedError extends JobError {
  override name = 'JobBudgetExhaustedError' as const;
  constructor(policyId: bigint, spent: number, budget: number) {
    super('JOB_BUDGET_EXHAUSTED', `Policy ${policyId} has spent epsilon ${spent.toFixed(4)} of its ${budget} budget.`, {
      details: { policyId: policyId.toString(), spent, budget },
      hint: 'Nothing was run. Ask the DAO for a new policy.',
    });
  }
}

/** No file in the catalogue passes the policy's filter (or every candidate was revoked). */
export class JobNoFilesError extends JobError {
  override name = 'JobNoFilesError' as const;
  constructor(policyId: bigint, candidates: number) {
    super('JOB_NO_FILES', `No file passes policy ${policyId}'s filter (${candidates} in the catalogue).`, {
      details: { policyId: policyId.toString(), candidates },
      hint: 'A job that would use no files is not run; nothing was charged against the budget.',
    });
  }
}

/** Reading the chain failed; the job is refused rather than run on stale or missing state. */
export class JobChainReadError extends JobError {
  override name = 'JobChainReadError' as const;
  constructor(what: string, cause: unknown) {
    const reason = cause instanceof Error ? ((cause as { shortMessage?: string }).shortMessage ?? cause.message) : String(cause);
    super('JOB_CHAIN_READ_FAILED', `Could not read ${what} from the chain: ${reason}.`, { details: { what }, hint: 'Check the RPC endpoint; nothing was run.', cause });
  }
}

/** A request names a job this engine does not hold, or one in the wrong state for it. */
export class JobStateError extends JobError {
  override name = 'JobStateError' as const;
  constructor(jobId: string, expected: string, received: string) {
    super('JOB_STATE', `Job ${jobId} must be ${expected}; it is ${received}.`, { details: { jobId, expected, received } });
  }
}
