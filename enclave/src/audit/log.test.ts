import { expect } from 'chai';
import { privateKeyToAccount } from 'viem/accounts';
import { keccak256, toHex } from 'viem';
import { auditDomain, verifyAuditLog, ZERO_HASH, type AuditEntry, type SignedAuditHead } from '@audata/verifier/audit';
import { AuditLog, AuditLogError, payloadDigest } from './log.ts';

const key = privateKeyToAccount(keccak256(toHex('audit log test enclave key')));
const domain = auditDomain(31337);

describe('enclave/audit/log', () => {
  it('chains entries, signs the head every N entries, and replays clean in the verifier', async () => {
    let now = 1_700_000_000_000;
    const seen: AuditEntry[] = [];
    const heads: SignedAuditHead[] = [];
    const log = new AuditLog({ signer: key, domain, signEvery: 3, clock: () => (now += 10), onEntry: (e) => seen.push(e), onHead: (h) => heads.push(h) });
    const kinds = ['key-release', 'proof', 'proof', 'job-start', 'release', 'receipt', 'proof'] as const;
    for (const [i, kind] of kinds.entries()) await log.append(kind, `payload ${i}`);
    const exported = log.export();
    expect(exported.entries.map((e) => e.seq)).to.deep.equal([0, 1, 2, 3, 4, 5, 6]);
    expect(exported.entries[0]!.prevHash).to.equal(ZERO_HASH);
    expect(exported.entries[1]!.payloadDigest).to.equal(payloadDigest('payload 1'));
    expect(exported.heads.map((h) => h.seq)).to.deep.equal([2, 5]);
    expect(heads).to.deep.equal(exported.heads);
    expect(seen).to.deep.equal(exported.entries);
    const final = await log.signHead();
    expect(final!.seq).to.equal(6);
    expect(await log.signHead()).to.deep.equal(final);
    const verdict = await verifyAuditLog(log.export(), { signers: [key.address], domain, anchors: [{ seq: 5, head: exported.heads[1]!.head }] });
    expect(verdict).to.include({ entries: 7, signedThrough: 6, anchoredThrough: 5 });
    expect(verdict.head).to.equal(log.head().head);
  });

  it('keeps entries ordered under concurrent appends and a clock that steps back', async () => {
    const times = [50, 40, 60, 10];
    const log = new AuditLog({ signer: key, domain, signEvery: 100, clock: () => times.shift() ?? 0 });
    await Promise.all(['proof', 'proof', 'receipt', 'release'].map((k) => log.append(k as 'proof', k)));
    const { entries } = log.export();
    expect(entries.map((e) => e.time)).to.deep.equal([50, 50, 60, 60]);
    expect((await verifyAuditLog(log.export(), { signers: [key.address], domain })).entries).to.equal(4);
  });

  it('logs digests only, never the payload', async () => {
    const log = new AuditLog({ signer: key, domain, signEvery: 1 });
    await log.append('key-release', 'file key 0123456789abcdef');
    expect(JSON.stringify(log.export())).to.not.include('0123456789abcdef');
    expect(await new AuditLog({ signer: key, domain, signEvery: 1 }).signHead()).to.equal(undefined);
  });

  it('refuses unknown kinds and bad options', async () => {
    const log = new AuditLog({ signer: key, domain, signEvery: 1 });
    let error: unknown;
    try {
      await log.append('exfiltrate' as 'proof', 'x');
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(AuditLogError).with.property('code', 'AUDIT_LOG_INVALID_INPUT');
    expect(() => new AuditLog({ signer: key, domain, signEvery: 0 })).to.throw(AuditLogError);
    expect(() => new AuditLog({ signer: key, domain, signEvery: 1, resume: { entries: 2, head: ZERO_HASH, lastTime: 0 } })).to.throw(AuditLogError);
  });

  it('resumes a chain after a restart: seq and hash links continue, and the whole replays clean', async () => {
    const before = new AuditLog({ signer: key, domain, signEvery: 2, clock: () => 1000 });
    await before.append('key-release', 'boot 1');
    await before.append('proof', 'p1');
    const nextKey = privateKeyToAccount(keccak256(toHex('second boot key')));
    const after = new AuditLog({ signer: nextKey, domain, signEvery: 2, clock: () => 500, resume: before.position() });
    await after.append('key-release', 'boot 2');
    await after.append('proof', 'p2');
    const [first, second] = [before.export(), after.export()];
    expect(second.entries.map((e) => e.seq)).to.deep.equal([2, 3]);
    expect(second.entries[0]!.prevHash).to.equal(before.head().head);
    expect(second.entries[0]!.time).to.equal(1000);
    const verdict = await verifyAuditLog(
      { entries: [...first.entries, ...second.entries], heads: [...first.heads, ...second.heads] },
      { signers: [key.address, nextKey.address], domain },
    );
    expect(verdict).to.include({ entries: 4, signedThrough: 3 });
  });

  it('holds only the latest maxHeld entries and heads; seq, position and signing go on past the window', async () => {
    const log = new AuditLog({ signer: key, domain, signEvery: 1, maxHeld: 3, clock: () => 7 });
    for (let i = 0; i < 5; i++) await log.append('proof', `p${i}`);
    expect(log.export().entries.map((e) => e.seq)).to.deep.equal([2, 3, 4]);
    expect(log.export().heads.map((h) => h.seq)).to.deep.equal([2, 3, 4]);
    expect(log.position().entries).to.equal(5);
    expect(log.entriesFrom(3, 4).map((e) => e.seq)).to.deep.equal([3]);
    expect(log.headsFrom(4).map((h) => h.seq)).to.deep.equal([4]);
    expect((await log.signHead())!.seq).to.equal(4);
    expect(() => new AuditLog({ signer: key, domain, signEvery: 1, maxHeld: 0 })).to.throw(AuditLogError);
  });
});
