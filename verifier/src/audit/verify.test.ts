import { expect } from 'chai';
import { privateKeyToAccount } from 'viem/accounts';
import { keccak256, toHex, type Hex } from 'viem';
import { auditDomain, auditHeadMessage, auditHeadTypes, hashAuditEntry, ZERO_HASH, type AuditEntry, type SignedAuditHead } from './entry.ts';
import { verifyAuditLog } from './verify.ts';
import {
  AuditAnchorMismatchError,
  AuditAnchorSignerError,
  AuditBadSignatureError,
  AuditBrokenLinkError,
  AuditMalformedError,
  AuditSequenceError,
  AuditTimeOrderError,
} from './errors.ts';

// Test keys: keccak256 of fixed labels, never used anywhere else.
const enclave = privateKeyToAccount(keccak256(toHex('audit test enclave key')));
const stranger = privateKeyToAccount(keccak256(toHex('audit test stranger key')));
const domain = auditDomain(31337);
const kinds = ['key-release', 'proof', 'job-start', 'release', 'receipt'] as const;

/** Builds a log independently of the enclave's writer: entries chained by hand, heads signed at the given seqs. */
async function buildLog(count: number, signAt: number[], signer = enclave) {
  const entries: AuditEntry[] = [];
  let prev: Hex = ZERO_HASH;
  for (let seq = 0; seq < count; seq++) {
    const entry: AuditEntry = { seq, prevHash: prev, kind: kinds[seq % kinds.length]!, payloadDigest: keccak256(toHex(`payload ${seq}`)), time: 1_700_000_000_000 + seq * 1000 };
    entries.push(entry);
    prev = hashAuditEntry(entry);
  }
  const heads: SignedAuditHead[] = [];
  for (const seq of signAt) {
    const head = hashAuditEntry(entries[seq]!);
    const signature = await signer.signTypedData({ domain, types: auditHeadTypes, primaryType: 'AuditHead', message: auditHeadMessage({ head, seq }) });
    heads.push({ seq, head, signer: signer.address, signature });
  }
  return { entries, heads };
}

async function rejection(promise: Promise<unknown>): Promise<Error & { code: string; details: Record<string, unknown> }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code: string; details: Record<string, unknown> };
  }
  throw new Error('expected a rejection');
}

describe('verifier/audit', () => {
  it('accepts an intact log with its signed heads and anchors', async () => {
    const log = await buildLog(12, [4, 9, 11]);
    const verdict = await verifyAuditLog(log, { signers: [stranger.address, enclave.address], domain, anchors: [{ seq: 4, head: log.heads[0]!.head }, { seq: 9, head: log.heads[1]!.head.toUpperCase().replace('0X', '0x') as Hex }] });
    expect(verdict).to.deep.equal({ entries: 12, head: hashAuditEntry(log.entries[11]!), signedThrough: 11, anchoredThrough: 9 });
    expect(await verifyAuditLog({ entries: [], heads: [] }, { signers: [enclave.address], domain })).to.deep.equal({ entries: 0, head: ZERO_HASH, signedThrough: -1, anchoredThrough: -1 });
  });

  it('finds an altered entry by its broken link', async () => {
    const log = await buildLog(6, []);
    log.entries[2] = { ...log.entries[2]!, payloadDigest: keccak256(toHex('forged')) };
    const error = await rejection(verifyAuditLog(log, { signers: [enclave.address], domain }));
    expect(error).to.be.instanceOf(AuditBrokenLinkError);
    expect(error.code).to.equal('AUDIT_BROKEN_LINK');
    expect(error.details['seq']).to.equal(3);
  });

  it('finds reordered, missing and duplicated entries', async () => {
    const log = await buildLog(6, []);
    for (const entries of [
      [log.entries[0]!, log.entries[2]!, log.entries[1]!, ...log.entries.slice(3)],
      [...log.entries.slice(0, 3), ...log.entries.slice(4)],
      [...log.entries.slice(0, 3), log.entries[2]!, ...log.entries.slice(3)],
    ]) {
      const error = await rejection(verifyAuditLog({ entries, heads: [] }, { signers: [], domain }));
      expect(error).to.be.instanceOf(AuditSequenceError);
      expect(error.code).to.equal('AUDIT_SEQUENCE');
    }
  });

  it('finds a signature by a key outside the signer set, and one that does not parse', async () => {
    const log = await buildLog(5, [4], stranger);
    const error = await rejection(verifyAuditLog(log, { signers: [enclave.address], domain }));
    expect(error).to.be.instanceOf(AuditBadSignatureError);
    expect(error.code).to.equal('AUDIT_BAD_SIGNATURE');
    expect(error.details['received']).to.equal(stranger.address);
    const good = await buildLog(5, [4]);
    // Signed for another chain: recovers to some other address.
    const otherDomain = await rejection(verifyAuditLog(good, { signers: [enclave.address], domain: auditDomain(1) }));
    expect(otherDomain).to.be.instanceOf(AuditBadSignatureError);
    good.heads[0] = { ...good.heads[0]!, signature: '0x1234' };
    expect(await rejection(verifyAuditLog(good, { signers: [enclave.address], domain }))).to.be.instanceOf(AuditBadSignatureError);
  });

  it('finds a signed head or an anchor that the replayed log does not match, and truncation', async () => {
    const log = await buildLog(8, [3, 7]);
    // Rewrite history after seq 3 consistently (a re-chained forgery): the signed head at 7 no longer matches.
    const forged = await buildLog(8, []);
    forged.entries[5] = { ...forged.entries[5]!, kind: 'release' === forged.entries[5]!.kind ? 'proof' : 'release' };
    for (let i = 6; i < 8; i++) forged.entries[i] = { ...forged.entries[i]!, prevHash: hashAuditEntry(forged.entries[i - 1]!) };
    const error = await rejection(verifyAuditLog({ entries: forged.entries, heads: log.heads }, { signers: [enclave.address], domain }));
    expect(error).to.be.instanceOf(AuditAnchorMismatchError);
    expect(error.code).to.equal('AUDIT_ANCHOR_MISMATCH');
    expect(error.details).to.include({ source: 'signed head', seq: 7 });
    // The same forgery without heads is caught by the on-chain anchor.
    const anchored = await rejection(verifyAuditLog({ entries: forged.entries, heads: [] }, { signers: [], domain, anchors: [{ seq: 7, head: log.heads[1]!.head }] }));
    expect(anchored.details).to.include({ source: 'anchor', seq: 7 });
    // A log cut short of an anchor.
    const truncated = await rejection(verifyAuditLog({ entries: log.entries.slice(0, 5), heads: [] }, { signers: [], domain, anchors: [{ seq: 7, head: log.heads[1]!.head }] }));
    expect(truncated).to.be.instanceOf(AuditAnchorMismatchError);
  });

  it('checks each anchor\'s signer against the anchor signers (default: the head signers)', async () => {
    const log = await buildLog(6, []);
    const head = hashAuditEntry(log.entries[4]!);
    const ok = await verifyAuditLog(log, { signers: [enclave.address], domain, anchors: [{ seq: 4, head, signer: enclave.address }] });
    expect(ok.anchoredThrough).to.equal(4);
    const error = await rejection(verifyAuditLog(log, { signers: [enclave.address], domain, anchors: [{ seq: 4, head, signer: stranger.address }] }));
    expect(error).to.be.instanceOf(AuditAnchorSignerError);
    expect(error.code).to.equal('AUDIT_ANCHOR_SIGNER');
    expect(error.details).to.include({ seq: 4, received: stranger.address });
    // Registered signers of earlier boots, passed as anchor signers, are accepted.
    const registered = await verifyAuditLog(log, { signers: [enclave.address], anchorSigners: [enclave.address, stranger.address], domain, anchors: [{ seq: 4, head, signer: stranger.address }] });
    expect(registered.anchoredThrough).to.equal(4);
  });

  it('finds time going backwards and malformed records', async () => {
    const log = await buildLog(3, []);
    log.entries[2] = { ...log.entries[2]!, time: 1 };
    const error = await rejection(verifyAuditLog(log, { signers: [], domain }));
    expect(error).to.be.instanceOf(AuditTimeOrderError);
    expect(error.code).to.equal('AUDIT_TIME_ORDER');
    const good = await buildLog(2, []);
    for (const bad of [null, { ...good.entries[0], kind: 'exfiltrate' }, { ...good.entries[0], seq: -1 }, { ...good.entries[0], payloadDigest: '0x12' }, { ...good.entries[0], time: 1.5 }]) {
      const e = await rejection(verifyAuditLog({ entries: [bad as unknown as AuditEntry], heads: [] }, { signers: [], domain }));
      expect(e).to.be.instanceOf(AuditMalformedError);
      expect(e.code).to.equal('AUDIT_MALFORMED');
    }
    expect(await rejection(verifyAuditLog({ entries: good.entries, heads: [{ seq: 0 } as unknown as SignedAuditHead] }, { signers: [], domain }))).to.be.instanceOf(AuditMalformedError);
  });
});
