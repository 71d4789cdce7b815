// Check 5, policy: what the caller expects of a genuine document, checked only after the
// document is proven authentic: no debug-mode enclave unless allowed, the expected PCRs,
// nonce, public_key and user_data, and an age limit relative to the verification time.
import {
  DebugModeError,
  NonceMismatchError,
  PcrMismatchError,
  PublicKeyMismatchError,
  TimestampInFutureError,
  TooOldError,
  UserDataMismatchError,
} from './errors.ts';
import type { AttestationDocument } from './parse-attestation-document.ts';

export interface AttestationPolicy {
  /** PCR index -> expected value; any subset of the document's PCRs. */
  expectedPcrs?: ReadonlyMap<number, Uint8Array>;
  /** Accept a debug-mode enclave (PCR0 all zero). Never in production. */
  allowDebug?: boolean;
  expectedNonce?: Uint8Array;
  expectedPublicKey?: Uint8Array;
  expectedUserData?: Uint8Array;
  /** Refuse a document whose timestamp is more than this many ms before the verification time. */
  maxAgeMs?: number;
  /** With maxAgeMs: how far the document's timestamp may be ahead of the verification time (default 60 000). */
  clockToleranceMs?: number;
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const same = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && Buffer.from(a).equals(Buffer.from(b));

/** AWS: a debug-mode enclave reports PCR0 (and 1, 2, 8) as all zero. */
export function isDebugDocument(document: Pick<AttestationDocument, 'pcrs'>): boolean {
  const pcr0 = document.pcrs.get(0);
  return pcr0 !== undefined && pcr0.every((byte) => byte === 0);
}

export function checkPolicy(document: AttestationDocument, policy: AttestationPolicy, at: Date): void {
  if (isDebugDocument(document) && policy.allowDebug !== true) throw new DebugModeError();
  for (const [index, expected] of policy.expectedPcrs ?? []) {
    const received = document.pcrs.get(index);
    if (received === undefined || !same(received, expected)) throw new PcrMismatchError(index, hex(expected), received === undefined ? null : hex(received));
  }
  if (policy.expectedNonce !== undefined && (document.nonce === null || !same(document.nonce, policy.expectedNonce))) {
    throw new NonceMismatchError(hex(policy.expectedNonce), document.nonce === null ? null : hex(document.nonce));
  }
  if (policy.expectedPublicKey !== undefined && (document.publicKey === null || !same(document.publicKey, policy.expectedPublicKey))) {
    throw new PublicKeyMismatchError(hex(policy.expectedPublicKey), document.publicKey === null ? null : hex(document.publicKey));
  }
  if (policy.expectedUserData !== undefined && (document.userData === null || !same(document.userData, policy.expectedUserData))) {
    throw new UserDataMismatchError(hex(policy.expectedUserData), document.userData === null ? null : hex(document.userData));
  }
  if (policy.maxAgeMs !== undefined) {
    const age = at.getTime() - document.timestamp;
    if (-age > (policy.clockToleranceMs ?? 60_000)) throw new TimestampInFutureError(document.timestamp, at.getTime());
    if (age > policy.maxAgeMs) throw new TooOldError(policy.maxAgeMs, age);
  }
}
