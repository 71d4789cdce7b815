// Every way a replayed audit log can fail, one typed error per cause, each naming the
// entry where replay stopped.
import type { ErrorDetails } from '@audata/wire';
import { VerifierError } from '../errors.ts';

export class AuditMalformedError extends VerifierError {
  override name = 'AuditMalformedError' as const;
  constructor(index: number, reason: string) {
    super('AUDIT_MALFORMED', 'decode', `Audit record ${index} is malformed: ${reason}.`, { index, reason }, 'The log was not written by an Audata enclave, or was damaged.');
  }
}

/** An entry is out of place: its seq is not its position (reordered, missing or duplicated entries). */
export class AuditSequenceError extends VerifierError {
  override name = 'AuditSequenceError' as const;
  constructor(index: number, expected: number, received: number) {
    super('AUDIT_SEQUENCE', 'structure', `Audit entry at position ${index} has seq ${received}, expected ${expected}.`, { index, expected, received } satisfies ErrorDetails, 'Entries were removed, inserted or reordered.');
  }
}

/** An entry's prevHash is not the hash of the entry before it. */
export class AuditBrokenLinkError extends VerifierError {
  override name = 'AuditBrokenLinkError' as const;
  constructor(seq: number, expected: string, received: string) {
    super('AUDIT_BROKEN_LINK', 'structure', `Audit entry ${seq} links to ${received}, expected ${expected}.`, { seq, expected, received }, 'An earlier entry was altered.');
  }
}

/** Entry times go backwards. */
export class AuditTimeOrderError extends VerifierError {
  override name = 'AuditTimeOrderError' as const;
  constructor(seq: number, previous: number, received: number) {
    super('AUDIT_TIME_ORDER', 'structure', `Audit entry ${seq} is dated ${received}, before the previous entry's ${previous}.`, { seq, previous, received });
  }
}

/** A signed head's signature does not verify, or its signer is not an expected enclave key. */
export class AuditBadSignatureError extends VerifierError {
  override name = 'AuditBadSignatureError' as const;
  constructor(seq: number, reason: string, received: string) {
    super('AUDIT_BAD_SIGNATURE', 'signature', `The head signed at seq ${seq} does not verify: ${reason}.`, { seq, reason, received }, 'Check the expected enclave signer set against the attestation.');
  }
}

/** An on-chain anchor was signed by a key that is not a registered enclave signer. */
export class AuditAnchorSignerError extends VerifierError {
  override name = 'AuditAnchorSignerError' as const;
  constructor(seq: number, received: string) {
    super('AUDIT_ANCHOR_SIGNER', 'signature', `The anchor at seq ${seq} was signed by ${received}, not a registered enclave signer.`, { seq, received }, 'Pass the enclave signers (or the EnclaveRegistry) the anchors should come from.');
  }
}

/** A signed head or an on-chain anchor does not match the replayed chain. */
export class AuditAnchorMismatchError extends VerifierError {
  override name = 'AuditAnchorMismatchError' as const;
  constructor(source: 'anchor' | 'signed head', seq: number, expected: string, received: string) {
    super('AUDIT_ANCHOR_MISMATCH', 'policy', `The ${source} at seq ${seq} is ${expected}, but the replayed log gives ${received}.`, { source, seq, expected, received }, 'The log differs from what was signed or anchored: entries were altered or truncated.');
  }
}
