// Every way an attestation document can fail verification, one typed error per cause, so
// callers and the CLI branch on a stable `code` and show expected versus received values.
import { AudataError, type ErrorDetails } from '@audata/wire';

/** The check of the verification chain that raised the error (see README, "Check order"). */
export type VerifierCheck = 'input' | 'decode' | 'structure' | 'chain' | 'signature' | 'policy';

export class VerifierError extends AudataError {
  override name = 'VerifierError';
  readonly check: VerifierCheck;

  constructor(code: string, check: VerifierCheck, message: string, details: ErrorDetails = {}, hint?: string, cause?: unknown) {
    super(code, message, {
      details,
      ...(hint === undefined ? {} : { hint }),
      ...(cause === undefined ? {} : { cause }),
    });
    this.check = check;
  }
}

// ---- input (options and arguments given by the caller) ----

export class OptionsInvalidError extends VerifierError {
  override name = 'OptionsInvalidError' as const;
  constructor(option: string, expected: string, received: string) {
    super('ATTESTATION_OPTIONS_INVALID', 'input', `Option ${option} is invalid: expected ${expected}, received ${received}.`, { option, expected, received }, 'Fix the verification options.');
  }
}

// ---- decode (CBOR and COSE_Sign1 framing) ----

export class CborMalformedError extends VerifierError {
  override name = 'CborMalformedError' as const;
  constructor(reason: string, offset: number) {
    super('ATTESTATION_CBOR_MALFORMED', 'decode', `The document is not well-formed CBOR: ${reason} (at byte ${offset}).`, { reason, offset }, 'Pass the attestation document bytes exactly as the NSM returned them.');
  }
}

export class CoseMalformedError extends VerifierError {
  override name = 'CoseMalformedError' as const;
  constructor(expected: string, received: string) {
    super('ATTESTATION_COSE_MALFORMED', 'decode', `The document is not a COSE_Sign1 structure: expected ${expected}, received ${received}.`, { expected, received }, 'An attestation document is a COSE_Sign1 (RFC 9052), untagged or with CBOR tag 18.');
  }
}

export class UnsupportedAlgorithmError extends VerifierError {
  override name = 'UnsupportedAlgorithmError' as const;
  constructor(received: string) {
    super('ATTESTATION_UNSUPPORTED_ALGORITHM', 'decode', `The protected header must be exactly {1: -35} (ES384), received ${received}.`, { expected: '{1: -35}', received });
  }
}

export class SignatureMalformedError extends VerifierError {
  override name = 'SignatureMalformedError' as const;
  constructor(received: number) {
    super('ATTESTATION_SIGNATURE_MALFORMED', 'decode', `The ES384 signature must be 96 bytes (r || s), received ${received}.`, { expected: 96, received });
  }
}

export class PayloadNotMapError extends VerifierError {
  override name = 'PayloadNotMapError' as const;
  constructor(received: string) {
    super('ATTESTATION_PAYLOAD_NOT_MAP', 'decode', `The COSE payload must hold a CBOR map, received ${received}.`, { expected: 'map', received });
  }
}

export class DuplicateKeyError extends VerifierError {
  override name = 'DuplicateKeyError' as const;
  constructor(key: string, offset: number) {
    super('ATTESTATION_DUPLICATE_KEY', 'decode', `A CBOR map repeats the key ${key} (at byte ${offset}).`, { key, offset }, 'A map with repeated keys is ambiguous and is refused.');
  }
}

// ---- structure (fields of the attestation document) ----

export class UnknownFieldError extends VerifierError {
  override name = 'UnknownFieldError' as const;
  constructor(field: string) {
    super('ATTESTATION_UNKNOWN_FIELD', 'structure', `The document has a field the Nitro specification does not define: ${field}.`, { received: field });
  }
}

export class MissingFieldError extends VerifierError {
  override name = 'MissingFieldError' as const;
  constructor(field: string) {
    super('ATTESTATION_MISSING_FIELD', 'structure', `The document lacks the mandatory field ${field}.`, { field });
  }
}

export class FieldInvalidError extends VerifierError {
  override name = 'FieldInvalidError' as const;
  constructor(field: string, expected: string, received: string) {
    super('ATTESTATION_FIELD_INVALID', 'structure', `Field ${field} is invalid: expected ${expected}, received ${received}.`, { field, expected, received });
  }
}

export class DigestUnsupportedError extends VerifierError {
  override name = 'DigestUnsupportedError' as const;
  constructor(received: string) {
    super('ATTESTATION_DIGEST_UNSUPPORTED', 'structure', `Field digest must be "SHA384", received ${JSON.stringify(received)}.`, { expected: 'SHA384', received });
  }
}

export class PcrInvalidError extends VerifierError {
  override name = 'PcrInvalidError' as const;
  constructor(expected: string, received: string) {
    super('ATTESTATION_PCR_INVALID', 'structure', `Field pcrs is invalid: expected ${expected}, received ${received}.`, { expected, received });
  }
}

// ---- chain (X.509 certificates up to the trusted root) ----

/** Position of a certificate in the path: "root", "cabundle[i]" or "certificate" (the leaf). */
export type CertPosition = string;

export class CertMalformedError extends VerifierError {
  override name = 'CertMalformedError' as const;
  constructor(position: CertPosition, reason: string) {
    super('ATTESTATION_CERT_MALFORMED', 'chain', `Certificate ${position} cannot be parsed: ${reason}.`, { position, reason });
  }
}

export class RootMismatchError extends VerifierError {
  override name = 'RootMismatchError' as const;
  constructor(expected: string, received: string) {
    super('ATTESTATION_ROOT_MISMATCH', 'chain', `cabundle[0] is not the trusted root: expected DER SHA-256 ${expected}, received ${received}.`, { expected, received }, 'Real documents chain to the AWS Nitro root G1; documents from a development CA need that CA\'s root passed explicitly.');
  }
}

export class CertExpiredError extends VerifierError {
  override name = 'CertExpiredError' as const;
  constructor(position: CertPosition, notAfter: Date, at: Date) {
    super('ATTESTATION_CERT_EXPIRED', 'chain', `Certificate ${position} expired at ${notAfter.toISOString()}, before the verification time ${at.toISOString()}.`, { position, expected: `at or before ${notAfter.toISOString()}`, received: at.toISOString() }, 'Nitro leaf certificates live about 3 hours: verify a live document now, or an archived one explicitly at its document time.');
  }
}

export class CertNotYetValidError extends VerifierError {
  override name = 'CertNotYetValidError' as const;
  constructor(position: CertPosition, notBefore: Date, at: Date) {
    super('ATTESTATION_CERT_NOT_YET_VALID', 'chain', `Certificate ${position} is valid only from ${notBefore.toISOString()}, after the verification time ${at.toISOString()}.`, { position, expected: `at or after ${notBefore.toISOString()}`, received: at.toISOString() });
  }
}

export class CertIssuerMismatchError extends VerifierError {
  override name = 'CertIssuerMismatchError' as const;
  constructor(position: CertPosition, expected: string, received: string) {
    super('ATTESTATION_CERT_ISSUER_MISMATCH', 'chain', `Certificate ${position} names issuer "${received}", but the certificate above it is "${expected}".`, { position, expected, received });
  }
}

export class CertNotCaError extends VerifierError {
  override name = 'CertNotCaError' as const;
  constructor(position: CertPosition, received: string) {
    super('ATTESTATION_CERT_NOT_CA', 'chain', `Certificate ${position} issues certificates but is not a CA: expected a critical basicConstraints with cA true, received ${received}.`, { position, expected: 'critical basicConstraints cA=true', received });
  }
}

export class CertPathLengthError extends VerifierError {
  override name = 'CertPathLengthError' as const;
  constructor(position: CertPosition, expected: string, received: string) {
    super('ATTESTATION_CERT_PATH_LENGTH', 'chain', `Certificate ${position} breaks the path length constraint: expected ${expected}, received ${received}.`, { position, expected, received });
  }
}

export class CertLeafConstraintsError extends VerifierError {
  override name = 'CertLeafConstraintsError' as const;
  constructor(received: string) {
    super('ATTESTATION_CERT_LEAF_CONSTRAINTS', 'chain', `The signing certificate must be an end entity (no cA, no pathLenConstraint), received ${received}.`, { position: 'certificate', expected: 'cA=false, no pathLenConstraint', received });
  }
}

export class CertKeyUsageError extends VerifierError {
  override name = 'CertKeyUsageError' as const;
  constructor(position: CertPosition, expected: string, received: string) {
    super('ATTESTATION_CERT_KEY_USAGE', 'chain', `Certificate ${position} lacks the key usage ${expected}; it has ${received}.`, { position, expected, received });
  }
}

export class CertCriticalExtensionError extends VerifierError {
  override name = 'CertCriticalExtensionError' as const;
  constructor(position: CertPosition, oid: string) {
    super('ATTESTATION_CERT_CRITICAL_EXTENSION', 'chain', `Certificate ${position} has a critical extension this verifier does not understand: ${oid} (RFC 5280, 4.2).`, { position, received: oid });
  }
}

export class CertUnsupportedKeyError extends VerifierError {
  override name = 'CertUnsupportedKeyError' as const;
  constructor(position: CertPosition, expected: string, received: string) {
    super('ATTESTATION_CERT_UNSUPPORTED_KEY', 'chain', `Certificate ${position} uses an unsupported key or algorithm: expected ${expected}, received ${received}.`, { position, expected, received });
  }
}

export class CertSignatureInvalidError extends VerifierError {
  override name = 'CertSignatureInvalidError' as const;
  constructor(position: CertPosition, issuer: CertPosition) {
    super('ATTESTATION_CERT_SIGNATURE_INVALID', 'chain', `The signature on certificate ${position} does not verify with the key of ${issuer}.`, { position, issuer });
  }
}

// ---- signature (the COSE_Sign1 signature itself) ----

export class SignatureInvalidError extends VerifierError {
  override name = 'SignatureInvalidError' as const;
  constructor() {
    super('ATTESTATION_SIGNATURE_INVALID', 'signature', 'The COSE_Sign1 ES384 signature does not verify with the signing certificate\'s key.', { expected: 'valid ES384 signature', received: 'invalid' }, 'The document was altered or was not signed by the certificate it carries.');
  }
}

// ---- policy (what the caller expects of a genuine document) ----

export class PcrMismatchError extends VerifierError {
  override name = 'PcrMismatchError' as const;
  constructor(index: number, expected: string, received: string | null) {
    super('ATTESTATION_PCR_MISMATCH', 'policy', `PCR${index} is ${received ?? 'absent'}, expected ${expected}.`, { pcr: index, expected, received });
  }
}

export class DebugModeError extends VerifierError {
  override name = 'DebugModeError' as const;
  constructor() {
    super('ATTESTATION_DEBUG_MODE', 'policy', 'The document comes from a debug-mode enclave (PCR0 is all zero): its memory is readable by the host.', { expected: 'production enclave', received: 'debug enclave' }, 'Allow debug documents only for development (allowDebug / --allow-debug).');
  }
}

export class NonceMismatchError extends VerifierError {
  override name = 'NonceMismatchError' as const;
  constructor(expected: string, received: string | null) {
    super('ATTESTATION_NONCE_MISMATCH', 'policy', `The document's nonce is ${received ?? 'absent'}, expected ${expected}.`, { expected, received }, 'Request a fresh document with the nonce you just generated.');
  }
}

export class TooOldError extends VerifierError {
  override name = 'TooOldError' as const;
  constructor(maxAgeMs: number, ageMs: number) {
    super('ATTESTATION_TOO_OLD', 'policy', `The document is ${ageMs} ms old at the verification time, more than the allowed ${maxAgeMs} ms.`, { expected: maxAgeMs, received: ageMs });
  }
}

export class TimestampInFutureError extends VerifierError {
  override name = 'TimestampInFutureError' as const;
  constructor(timestamp: number, at: number) {
    super('ATTESTATION_TIMESTAMP_IN_FUTURE', 'policy', `The document's timestamp ${timestamp} is after the verification time ${at}.`, { expected: `at most ${at}`, received: timestamp }, 'Check the verifier\'s clock.');
  }
}

export class PublicKeyMismatchError extends VerifierError {
  override name = 'PublicKeyMismatchError' as const;
  constructor(expected: string, received: string | null) {
    super('ATTESTATION_PUBLIC_KEY_MISMATCH', 'policy', `The document's public_key is ${received ?? 'absent'}, expected ${expected}.`, { expected, received });
  }
}

export class UserDataMismatchError extends VerifierError {
  override name = 'UserDataMismatchError' as const;
  constructor(expected: string, received: string | null) {
    super('ATTESTATION_USER_DATA_MISMATCH', 'policy', `The document's user_data is ${received ?? 'absent'}, expected ${expected}.`, { expected, received });
  }
}
