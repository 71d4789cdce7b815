// Typed failures of the privacy accountant, so a job runner can refuse a step by code
// before anything leaves the enclave.
import { AudataError, type AudataErrorOptions } from '@audata/wire';

export class PrivacyError extends AudataError {
  override name = 'PrivacyError';
  constructor(code: string, message: string, options: AudataErrorOptions = {}) {
    super(code, message, options);
  }
}

/** A mechanism parameter is outside the range the analysis covers (e.g. q > 1, sigma <= 0). */
export class PrivacyParameterError extends PrivacyError {
  override name = 'PrivacyParameterError' as const;
  constructor(field: string, expected: string, received: number | string) {
    super('PRIVACY_INVALID_PARAMETER', `${field} must be ${expected}; received ${String(received)}.`, {
      details: { field, expected, received },
      hint: 'Check the job parameters against the policy.',
    });
  }
}

/** Taking the step would push the (policy, buyer) spend past the policy's (epsilon, delta). */
export class PrivacyBudgetExceededError extends PrivacyError {
  override name = 'PrivacyBudgetExceededError' as const;
  constructor(details: { policyId: string; buyer: string; budgetEpsilon: number; epsilonAfter: number; delta: number }) {
    super(
      'PRIVACY_BUDGET_EXCEEDED',
      `This step would spend epsilon ${details.epsilonAfter.toFixed(4)} at delta ${details.delta}, over the policy budget of ${details.budgetEpsilon}.`,
      { details, hint: 'Nothing was released. Ask the DAO for a policy with a larger budget, or use more noise or a lower sample rate.' },
    );
  }
}

/** Stored ledger bytes do not parse or do not describe a consistent ledger. */
export class PrivacyLedgerCorruptError extends PrivacyError {
  override name = 'PrivacyLedgerCorruptError' as const;
  constructor(reason: string) {
    super('PRIVACY_LEDGER_CORRUPT', `The stored privacy ledger is unreadable: ${reason}.`, {
      details: { reason },
      hint: 'Refuse further steps for this policy and buyer until the ledger is restored from a trusted copy.',
    });
  }
}

/** A stored ledger belongs to another (policy, buyer) or budget than the one asked for. */
export class PrivacyLedgerMismatchError extends PrivacyError {
  override name = 'PrivacyLedgerMismatchError' as const;
  constructor(field: string, expected: string, received: string) {
    super('PRIVACY_LEDGER_MISMATCH', `The stored ledger's ${field} is ${received}, expected ${expected}.`, {
      details: { field, expected, received },
      hint: 'A ledger is bound to one policy, one buyer and one budget; never reuse it for another.',
    });
  }
}
