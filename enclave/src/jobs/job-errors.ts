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

/** A buyer request that must be signed carries no signature. */
export class JobSignatureMissingError extends JobError {
  override name = 'JobSignatureMissingError' as const;
  constructor(request: string) {
    super('JOB_SIGNATURE_MISSING', `The ${request} request carries no buyer signature.`, {
      details: { request },
      hint: 'Sign the request with the policy buyer\'s key (EIP-712, domain "Audata Job Request"); the SDK and `audata job` do.',
    });
  }
}

/** The signature is not a 65-byte secp256k1 signature from which a signer can be recovered. */
export class JobSignatureInvalidError extends JobError {
  override name = 'JobSignatureInvalidError' as const;
  constructor(request: string, reason: string) {
    super('JOB_SIGNATURE_INVALID', `The ${request} request's signature is unusable: ${reason}.`, {
      details: { request, reason },
      hint: 'Send the 65-byte signature (0x-hex) the buyer\'s wallet returned for the EIP-712 request.',
    });
  }
}

/**
 * The request's signature recovers to someone other than the policy's buyer. ECDSA recovery
 * cannot tell another key from other content, so this is also what a signature over another
 * job, step, parameter vector, chain or escrow gets.
 */
export class JobSignerNotBuyerError extends JobError {
  override name = 'JobSignerNotBuyerError' as const;
  constructor(request: string, policyId: bigint, expected: string, received: string) {
    super('JOB_SIGNER_NOT_BUYER', `The ${request} request is signed by ${received}; policy ${policyId}'s buyer is ${expected}.`, {
      details: { request, policyId: policyId.toString(), expected, received },
      hint: 'Sign with the policy buyer\'s key, over exactly this job, step index and parameters, on this chain and JobEscrow. Nothing was run.',
    });
  }
}

/** The request's deadline has passed by the enclave's clock. */
export class JobRequestExpiredError extends JobError {
  override name = 'JobRequestExpiredError' as const;
  constructor(request: string, deadline: bigint, now: bigint) {
    super('JOB_REQUEST_EXPIRED', `The ${request} request expired at ${deadline} (unix seconds); it is now ${now}.`, {
      details: { request, deadline: deadline.toString(), now: now.toString() },
      hint: 'Sign it again with a later deadline, taken from the chain\'s latest block time. Nothing was run.',
    });
  }
}

/** The request's deadline lies further ahead than a request may live, so its signature would be replayable for too long. */
export class JobRequestDeadlineTooFarError extends JobError {
  override name = 'JobRequestDeadlineTooFarError' as const;
  constructor(request: string, deadline: bigint, latest: bigint) {
    super('JOB_REQUEST_DEADLINE_TOO_FAR', `The ${request} request's deadline ${deadline} is past the latest allowed, ${latest} (unix seconds).`, {
      details: { request, deadline: deadline.toString(), latest: latest.toString() },
      hint: 'Sign with a deadline minutes ahead of the chain\'s latest block time.',
    });
  }
}

/** A step (or finish) signed for another place in the job than the one it has reached: a replay, a reordering or a stale request. */
export class JobStepOutOfOrderError extends JobError {
  override name = 'JobStepOutOfOrderError' as const;
  constructor(jobId: string, request: string, expected: number, received: number) {
    super('JOB_STEP_OUT_OF_ORDER', `Job ${jobId} has run ${expected} step(s); the ${request} request is signed for ${received} step(s) run.`, {
      details: { jobId, request, expected, received },
      hint: 'Read the job status and sign for the step count it reports. Nothing was run.',
    });
  }
}

/**
 * The job was started before the enclave restarted: its model, the files it used and its releases
 * lived in memory and are gone, so it can neither take another step nor sign a receipt that pays
 * the contributors it used. Its submission and step signatures stay refused while they last.
 */
export class JobInterruptedError extends JobError {
  override name = 'JobInterruptedError' as const;
  constructor(jobId: string, releases: number, request: string) {
    super('JOB_INTERRUPTED', `Job ${jobId} was started before the enclave restarted (${releases} release(s) made); the ${request} request cannot continue it.`, {
      details: { jobId, releases, request },
      hint: 'Submit a new job (a new job id and payment); the budget already spent stays spent. Nothing was run.',
    });
  }
}

/** The enclave holds as many live job records as it may seal; a new job waits for the oldest submission to expire. */
export class JobRunsFullError extends JobError {
  override name = 'JobRunsFullError' as const;
  constructor(max: number, earliestExpiry: bigint) {
    super('JOB_RUNS_FULL', `The enclave already records ${max} jobs whose submissions have not expired.`, {
      details: { max, earliestExpiry: earliestExpiry.toString() },
      hint: 'Retry after the earliest submission deadline (unix seconds in details); nothing was run.',
    });
  }
}
