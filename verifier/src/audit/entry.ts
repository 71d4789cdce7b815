// The audit log's entry format and head signature, shared by the enclave that writes the
// log and the auditors who replay it. An entry is hashed as keccak256(abi.encode(...)) so
// a contract can recompute it; a head is signed as EIP-712 typed data.
import { encodeAbiParameters, keccak256, type Address, type Hex, type TypedDataDomain } from 'viem';

/**
 * What the enclave logs; the order is part of the format (the kind is hashed as its index), so a
 * new kind goes at the end. 'proof-reissue': a recorded result signed again for a host that lost
 * the first reply (same scores, this boot's key, a fresh deadline).
 */
export const AUDIT_KINDS = ['key-release', 'proof', 'job-start', 'release', 'receipt', 'proof-reissue'] as const;
export type AuditKind = (typeof AUDIT_KINDS)[number];

export const ZERO_HASH: Hex = `0x${'00'.repeat(32)}`;

/** Domain separation: a hash of another structure can never pass for an entry hash. */
const ENTRY_TAG = keccak256(new TextEncoder().encode('Audata audit entry v1'));

export interface AuditEntry {
  /** 0 for the first entry, then +1 each. */
  seq: number;
  /** Hash of the previous entry; ZERO_HASH for seq 0. */
  prevHash: Hex;
  kind: AuditKind;
  /** SHA-256 of the logged payload; the payload itself (which may be sensitive) is not in the log. */
  payloadDigest: Hex;
  /** Unix milliseconds from the enclave's clock. */
  time: number;
}

export function hashAuditEntry(entry: AuditEntry): Hex {
  return keccak256(
    encodeAbiParameters(
      [{ type: 'bytes32' }, { type: 'uint64' }, { type: 'bytes32' }, { type: 'uint8' }, { type: 'bytes32' }, { type: 'uint64' }],
      [ENTRY_TAG, BigInt(entry.seq), entry.prevHash, AUDIT_KINDS.indexOf(entry.kind), entry.payloadDigest, BigInt(entry.time)],
    ),
  );
}

export const auditHeadTypes = {
  AuditHead: [
    { name: 'head', type: 'bytes32' },
    { name: 'seq', type: 'uint64' },
  ],
} as const;

/** The enclave's signature over the chain up to entry `seq`, whose hash is `head`. */
export interface SignedAuditHead {
  seq: number;
  head: Hex;
  signer: Address;
  signature: Hex;
}

/** An (seq, head) pair the chain recorded, read by the caller from the anchoring contract. */
export interface AuditAnchor {
  seq: number;
  head: Hex;
  /** The enclave key that signed it (AuditAnchor's StateAnchored event), checked against the anchor signers. */
  signer?: Address;
}

export function auditDomain(chainId: number): TypedDataDomain {
  return { name: 'Audata AuditLog', version: '1', chainId };
}

export function auditHeadMessage(head: { head: Hex; seq: number }): { head: Hex; seq: bigint } {
  return { head: head.head, seq: BigInt(head.seq) };
}
