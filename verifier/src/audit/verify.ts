// Replays an enclave's audit log: checks, in this order, (1) each entry's form, (2) its
// position, (3) its link to the previous entry and (4) its time; then (5) each signed head
// against the replayed chain and (6) its EIP-712 signature against the expected enclave
// signers; then (7) each on-chain anchor against the replayed chain and (8) its signer against
// the registered enclave signers. The first failure throws.
import { isAddressEqual, recoverTypedDataAddress, type Address, type Hex, type TypedDataDomain } from 'viem';
import {
  AUDIT_KINDS,
  ZERO_HASH,
  auditHeadMessage,
  auditHeadTypes,
  hashAuditEntry,
  type AuditAnchor,
  type AuditEntry,
  type SignedAuditHead,
} from './entry.ts';
import {
  AuditAnchorMismatchError,
  AuditAnchorSignerError,
  AuditBadSignatureError,
  AuditBrokenLinkError,
  AuditMalformedError,
  AuditSequenceError,
  AuditTimeOrderError,
} from './errors.ts';

export interface AuditLogExport {
  entries: readonly AuditEntry[];
  heads: readonly SignedAuditHead[];
}

export interface VerifyAuditLogOptions {
  /** Enclave signing addresses taken from verified attestations. */
  signers: readonly Address[];
  domain: TypedDataDomain;
  /** (seq, head) pairs read from the anchoring contract (chain-anchors.ts reads them). */
  anchors?: readonly AuditAnchor[];
  /** Keys an anchor's signer must be one of, e.g. every signer the EnclaveRegistry registered; default `signers`. */
  anchorSigners?: readonly Address[];
}

export interface AuditLogVerdict {
  entries: number;
  /** Hash of the last entry; ZERO_HASH for an empty log. */
  head: Hex;
  /** Highest seq covered by a valid signed head, -1 if none. */
  signedThrough: number;
  /** Highest seq matched by an anchor, -1 if none. */
  anchoredThrough: number;
}

const isHash = (v: unknown): v is Hex => typeof v === 'string' && /^0x[0-9a-f]{64}$/.test(v);
const isSeq = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

function checkEntryForm(raw: unknown, index: number): AuditEntry {
  if (typeof raw !== 'object' || raw === null) throw new AuditMalformedError(index, 'not an object');
  const e = raw as Record<string, unknown>;
  if (!isSeq(e['seq'])) throw new AuditMalformedError(index, 'seq is not a non-negative integer');
  if (!isHash(e['prevHash'])) throw new AuditMalformedError(index, 'prevHash is not a lower-case 32-byte hex string');
  if (!AUDIT_KINDS.includes(e['kind'] as never)) throw new AuditMalformedError(index, `kind is not one of ${AUDIT_KINDS.join(', ')}`);
  if (!isHash(e['payloadDigest'])) throw new AuditMalformedError(index, 'payloadDigest is not a lower-case 32-byte hex string');
  if (!isSeq(e['time'])) throw new AuditMalformedError(index, 'time is not a non-negative integer');
  return { seq: e['seq'], prevHash: e['prevHash'], kind: e['kind'] as AuditEntry['kind'], payloadDigest: e['payloadDigest'], time: e['time'] };
}

export async function verifyAuditLog(log: AuditLogExport, options: VerifyAuditLogOptions): Promise<AuditLogVerdict> {
  if (!Array.isArray(log.entries) || !Array.isArray(log.heads)) throw new AuditMalformedError(-1, 'entries and heads must be lists');
  const hashes: Hex[] = [];
  let previousTime = 0;
  log.entries.forEach((raw, index) => {
    const entry = checkEntryForm(raw, index);
    if (entry.seq !== index) throw new AuditSequenceError(index, index, entry.seq);
    const expectedPrev = index === 0 ? ZERO_HASH : hashes[index - 1]!;
    if (entry.prevHash !== expectedPrev) throw new AuditBrokenLinkError(entry.seq, expectedPrev, entry.prevHash);
    if (entry.time < previousTime) throw new AuditTimeOrderError(entry.seq, previousTime, entry.time);
    previousTime = entry.time;
    hashes.push(hashAuditEntry(entry));
  });

  let signedThrough = -1;
  for (const [index, head] of log.heads.entries()) {
    if (typeof head !== 'object' || head === null || !isSeq(head.seq) || !isHash(head.head) || typeof head.signature !== 'string' || typeof head.signer !== 'string') {
      throw new AuditMalformedError(index, 'a signed head needs seq, head, signer and signature');
    }
    const replayed = hashes[head.seq];
    if (replayed !== head.head) throw new AuditAnchorMismatchError('signed head', head.seq, head.head, replayed ?? 'no such entry');
    let recovered: Address;
    try {
      recovered = await recoverTypedDataAddress({
        domain: options.domain,
        types: auditHeadTypes,
        primaryType: 'AuditHead',
        message: auditHeadMessage(head),
        signature: head.signature,
      });
    } catch {
      throw new AuditBadSignatureError(head.seq, 'the signature does not parse', head.signature.slice(0, 20));
    }
    if (!options.signers.some((s) => isAddressEqual(s, recovered))) throw new AuditBadSignatureError(head.seq, 'signed by a key outside the expected signer set', recovered);
    signedThrough = Math.max(signedThrough, head.seq);
  }

  let anchoredThrough = -1;
  for (const anchor of options.anchors ?? []) {
    const replayed = hashes[anchor.seq];
    if (replayed !== anchor.head.toLowerCase()) throw new AuditAnchorMismatchError('anchor', anchor.seq, anchor.head, replayed ?? 'no such entry (the log is truncated)');
    const signer = anchor.signer;
    if (signer !== undefined && !(options.anchorSigners ?? options.signers).some((s) => isAddressEqual(s, signer))) throw new AuditAnchorSignerError(anchor.seq, signer);
    anchoredThrough = Math.max(anchoredThrough, anchor.seq);
  }
  return { entries: hashes.length, head: hashes.at(-1) ?? ZERO_HASH, signedThrough, anchoredThrough };
}
