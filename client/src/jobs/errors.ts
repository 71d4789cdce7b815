// Failures of the buyer, contributor and auditor job commands, in the client's error family.
import { ClientError } from '../sdk/errors.ts';

/** A shares file, audit log, anchors file or buyer key file is not what it must be. */
export class JobInputError extends ClientError {
  override name = 'JobInputError' as const;
  constructor(what: string, problem: string) {
    super('CLIENT_JOB_INPUT_INVALID', `${what} ${problem}.`, { details: { what, problem }, hint: 'Check the file; nothing was sent.' });
  }
}

/** The account has no share in the job's shares file. */
export class ShareNotFoundError extends ClientError {
  override name = 'ShareNotFoundError' as const;
  constructor(jobId: string, account: string) {
    super('CLIENT_SHARE_NOT_FOUND', `Account ${account} has no share in job ${jobId}.`, {
      details: { jobId, account },
      hint: 'Only contributors whose files the job used have a share.',
    });
  }
}

/** The shares file's root is not the root the escrow settled the job on (or the job is not settled). */
export class SharesRootMismatchError extends ClientError {
  override name = 'SharesRootMismatchError' as const;
  constructor(jobId: string, expected: string, received: string) {
    super('CLIENT_SHARES_ROOT_MISMATCH', `Job ${jobId} is settled on root ${expected}; the shares file has ${received}.`, {
      details: { jobId, expected, received },
      hint: 'Get the shares file of this job\'s receipt; a job not yet settled has a zero root.',
    });
  }
}

/** JobEscrow refused the claim (already claimed, not settled, ...). */
export class ClaimRefusedError extends ClientError {
  override name = 'ClaimRefusedError' as const;
  constructor(jobId: string, reason: string) {
    super('CLIENT_CLAIM_REFUSED', `JobEscrow refused the claim for job ${jobId}: ${reason}.`, { details: { jobId, reason } });
  }
}

/** A sealed release does not open with the buyer's key, or is not a release. */
export class ReleaseUnreadableError extends ClientError {
  override name = 'ReleaseUnreadableError' as const;
  constructor(problem: string) {
    super('CLIENT_RELEASE_UNREADABLE', `The sealed release ${problem}.`, { details: { problem }, hint: 'Use the X25519 key the job was submitted with.' });
  }
}
