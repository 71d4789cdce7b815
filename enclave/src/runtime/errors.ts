// Why the runtime refused a request: the enclave's state (not booted, busy) or a session the
// host got wrong. Envelope and key-release failures keep their own codes.
import { AudataError, type AudataErrorOptions } from '@audata/wire';

export class RuntimeError extends AudataError {
  override name = 'RuntimeError';
  constructor(code: string, message: string, options: AudataErrorOptions = {}) {
    super(code, message, options);
  }
}

export class NotBootedError extends RuntimeError {
  override name = 'NotBootedError' as const;
  constructor(type: string) {
    super('ENCLAVE_NOT_BOOTED', `${type} needs the dataset key, which is released at boot.`, { details: { type }, hint: 'Send boot first (with the sealed dataset key, after genesis).' });
  }
}

export class AlreadyBootedError extends RuntimeError {
  override name = 'AlreadyBootedError' as const;
  constructor() {
    super('ENCLAVE_ALREADY_BOOTED', 'This enclave has its dataset key; a second boot would replace it.', { hint: 'Restart the enclave to boot again.' });
  }
}

export class SessionUnknownError extends RuntimeError {
  override name = 'SessionUnknownError' as const;
  constructor(session: string) {
    super('ENCLAVE_SESSION_UNKNOWN', `No open contribution session ${session}.`, { details: { session }, hint: 'Start with contribution.begin; a failed or finished session is gone.' });
  }
}

export class BusyError extends RuntimeError {
  override name = 'BusyError' as const;
  constructor(limit: number) {
    super('ENCLAVE_BUSY', `${limit} contributions are already being opened.`, { details: { limit }, hint: 'Finish a session before beginning another.' });
  }
}

export class JobsDisabledError extends RuntimeError {
  override name = 'JobsDisabledError' as const;
  constructor(type: string) {
    super('ENCLAVE_JOBS_DISABLED', `${type}: this enclave runs no buyer jobs.`, { details: { type }, hint: 'Configure AUDATA_RPC_URL, AUDATA_ACCESS_POLICY_REGISTRY and AUDATA_JOB_ESCROW (enclave/README.md).' });
  }
}

/** contribution.reissue for a manifest this enclave never finished (or is opening right now). */
export class ContributionNotFinishedError extends RuntimeError {
  override name = 'ContributionNotFinishedError' as const;
  constructor(manifestHash: string) {
    super('ENCLAVE_CONTRIBUTION_NOT_FINISHED', `No finished contribution has manifest ${manifestHash}, so there is no proof to sign again.`, {
      details: { manifestHash },
      hint: 'Send it through contribution.begin, chunk and finish; reissue is only for a file whose finish reply was lost.',
    });
  }
}

/** A finished manifest with no recorded result: opened under sealed-state format 2, or by an enclave without a scorer. */
export class ResultNotRecordedError extends RuntimeError {
  override name = 'ResultNotRecordedError' as const;
  constructor(manifestHash: string) {
    super('ENCLAVE_RESULT_NOT_RECORDED', `Manifest ${manifestHash} was finished, but its result was not recorded, so its proof cannot be signed again.`, {
      details: { manifestHash },
      hint: 'Results are recorded from sealed-state format 3 on; a file finished before that keeps whatever proof the host stored.',
    });
  }
}
