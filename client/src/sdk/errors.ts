// The client's error family: what a contributor or auditor sees when a check fails, with the
// expected and received values, so a refusal says exactly what was wrong.
import { AudataError, type AudataErrorOptions } from '@audata/wire';

export class ClientError extends AudataError {
  override name = 'ClientError';
  constructor(code: string, message: string, options: AudataErrorOptions = {}) {
    super(code, message, options);
  }
}

/** The client configuration file is missing, unreadable or malformed. */
export class ClientConfigError extends ClientError {
  override name = 'ClientConfigError' as const;
  constructor(path: string, problem: string) {
    super('CLIENT_CONFIG_INVALID', `The client configuration ${path} ${problem}.`, {
      details: { path, problem },
      hint: 'Pass --config FILE (make run writes .data/devnet/client.json) or set AUDATA_CLIENT_CONFIG.',
    });
  }
}

/** The dev root on disk is not the one the configuration pins by fingerprint. */
export class DevRootMismatchError extends ClientError {
  override name = 'DevRootMismatchError' as const;
  constructor(path: string, expected: string, received: string) {
    super('CLIENT_DEV_ROOT_MISMATCH', `The dev root ${path} has SHA-256 ${received}, the configuration pins ${expected}.`, {
      details: { path, expected, received },
      hint: 'Someone replaced the dev root; take the fingerprint from whoever runs the devnet.',
    });
  }
}

/** No measurement approved on chain matches the enclave's PCRs. */
export class MeasurementNotApprovedError extends ClientError {
  override name = 'MeasurementNotApprovedError' as const;
  constructor(pcr0: string, approved: number) {
    super('CLIENT_MEASUREMENT_NOT_APPROVED', `The enclave's PCR0 ${pcr0} matches none of the ${approved} measurements approved on chain.`, {
      details: { pcr0, approved },
      hint: 'Do not upload: this enclave is not a build the DAO approved.',
    });
  }
}

/** The signer is not registered (or not active) under the measurement it attests to. */
export class SignerNotRegisteredError extends ClientError {
  override name = 'SignerNotRegisteredError' as const;
  constructor(signer: string, expected: string, received: string) {
    super('CLIENT_SIGNER_NOT_REGISTERED', `Enclave signer ${signer} is registered under ${received}, expected an active registration under ${expected}.`, {
      details: { signer, expected, received },
      hint: 'Wait for the operator to register the enclave, or do not trust it.',
    });
  }
}

/** The attestation binds other keys than the client expected (public_key and user_data disagree). */
export class BindingMismatchError extends ClientError {
  override name = 'BindingMismatchError' as const;
  constructor(field: string, expected: string, received: string) {
    super('CLIENT_BINDING_MISMATCH', `The attestation's ${field} is ${received}, expected ${expected}.`, {
      details: { field, expected, received },
      hint: 'The document does not bind what it must; do not upload to this enclave.',
    });
  }
}

/** The host answered with an error or something that is not the API. */
export class HostRequestError extends ClientError {
  override name = 'HostRequestError' as const;
  constructor(what: string, status: number, code: string, message: string) {
    super('CLIENT_HOST_REQUEST_FAILED', `${what} failed: HTTP ${status} ${code}: ${message}`, {
      details: { status, code },
      hint: 'Check --host; the error code above comes from the host.',
    });
  }
}

/** The host did not report a proof in time, or reported a failure. */
export class ProofNotReadyError extends ClientError {
  override name = 'ProofNotReadyError' as const;
  constructor(fileId: string, state: string, errorCode: string | null) {
    super('CLIENT_PROOF_NOT_READY', `File ${fileId} is ${state}${errorCode === null ? '' : ` (${errorCode})`}, not on chain.`, {
      details: { fileId, state, errorCode },
      hint: 'Run `audata proof FILE_ID` later; a refused file never gets a proof.',
    });
  }
}

/** An audit check failed: the chain, the signature or the attestation does not back the proof. */
export class ProofCheckError extends ClientError {
  override name = 'ProofCheckError' as const;
  constructor(check: string, expected: string, received: string) {
    super('CLIENT_PROOF_CHECK_FAILED', `Check "${check}" failed: expected ${expected}, received ${received}.`, {
      details: { check, expected, received },
      hint: 'This proof is not backed by an approved enclave; do not rely on it.',
    });
  }
}

/** The key or keystore could not be used. */
export class KeyInputError extends ClientError {
  override name = 'KeyInputError' as const;
  constructor(problem: string) {
    super('CLIENT_KEY_INVALID', `The contributor key ${problem}.`, {
      details: { problem },
      hint: 'Pass --key with 32 bytes of hex, or --keystore FILE with AUDATA_KEYSTORE_PASSWORD set.',
    });
  }
}

/** The registry refused the revocation (unknown file, not the contributor, already revoked). */
export class RevokeRefusedError extends ClientError {
  override name = 'RevokeRefusedError' as const;
  constructor(fileId: string, reason: string) {
    super('CLIENT_REVOKE_REFUSED', `The registry refused to revoke ${fileId}: ${reason}.`, {
      details: { fileId, reason },
      hint: 'Only the contributor of a recorded file can revoke it, once.',
    });
  }
}

/** The host's copy of the audit log has a hole: entries from `from` up to `to` are not stored there. */
export class AuditLogIncompleteError extends ClientError {
  override name = 'AuditLogIncompleteError' as const;
  constructor(from: number, to: number) {
    super('CLIENT_AUDIT_LOG_INCOMPLETE', `The host's audit log lacks entries ${from} to ${to - 1}; later ones are stored.`, {
      details: { from, to },
      hint: 'The host has not stored a state reply yet (retry shortly), or lost it; without those entries the log cannot be replayed.',
    });
  }
}
