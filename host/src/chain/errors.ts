// Typed failures of the chain writer, so the worker and the operator branch on a code rather
// than on a node's error text.
import type { Hex } from 'viem';
import { HostError } from '../errors.ts';

/** The enclave's measurement is not approved on chain: the operator must not register its signer. */
export class MeasurementNotApprovedError extends HostError {
  override name = 'MeasurementNotApprovedError' as const;
  constructor(measurementId: Hex, status: string) {
    super('HOST_MEASUREMENT_NOT_APPROVED', `Measurement ${measurementId} is ${status} on EnclaveRegistry, not approved.`, {
      details: { measurementId, status },
      hint: 'Run an enclave build whose measurement governance approved, or have governance approve this one.',
    });
  }
}

/** The attestation document names other PCRs than the approved measurement pins. */
export class MeasurementMismatchError extends HostError {
  override name = 'MeasurementMismatchError' as const;
  constructor(index: number, expected: string, received: string) {
    super('HOST_MEASUREMENT_MISMATCH', `The enclave's PCR${index} is ${received}, the approved measurement pins ${expected}.`, {
      details: { pcr: index, expected, received },
      hint: 'The running enclave is not the approved build; rebuild it from the approved source.',
    });
  }
}

/** The signer is already registered under another measurement (keys are fresh per boot, so this is a misconfiguration). */
export class SignerConflictError extends HostError {
  override name = 'SignerConflictError' as const;
  constructor(signer: string, registered: Hex, expected: Hex) {
    super('HOST_SIGNER_CONFLICT', `Signer ${signer} is registered under measurement ${registered}, not ${expected}.`, {
      details: { signer, expected, received: registered },
      hint: 'Restart the enclave: every boot makes a fresh key.',
    });
  }
}

/** The registry refused the transaction for a reason no retry can fix. */
export class ChainRejectedError extends HostError {
  override name = 'ChainRejectedError' as const;
  constructor(action: string, reason: string, cause?: unknown) {
    super('HOST_CHAIN_REJECTED', `The chain refused ${action}: ${reason}.`, {
      details: { action, reason },
      hint: 'The reason names the contract error; the proof or the registration must change before it is sent again.',
      cause,
    });
  }
}

/** The node could not be reached (or kept failing) after every retry. */
export class ChainUnavailableError extends HostError {
  override name = 'ChainUnavailableError' as const;
  constructor(action: string, attempts: number, cause?: unknown) {
    super('HOST_CHAIN_UNAVAILABLE', `${action} failed after ${attempts} attempts: ${cause instanceof Error ? ((cause as { shortMessage?: string }).shortMessage ?? cause.message) : String(cause)}.`, {
      details: { action, attempts },
      hint: 'Check the RPC URL and that the node is running; the queue keeps the proof and retries later.',
      cause,
    });
  }
}
