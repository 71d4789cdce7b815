import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keccak256, toHex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { auditDomain } from '@audata/verifier/audit';
import { AuditLog } from '../../../enclave/src/audit/log.ts';
import { main } from './main.ts';

function capture() {
  const io = { out: '', err: '', stdout: (t: string) => void (io.out += t), stderr: (t: string) => void (io.err += t) };
  return io;
}

describe('audata audit verify', () => {
  const enclave = privateKeyToAccount(keccak256(toHex('audit cli enclave')));
  const other = privateKeyToAccount(keccak256(toHex('someone else')));
  const dir = mkdtempSync(join(tmpdir(), 'audata-audit-'));
  let logPath = '';
  let exported: ReturnType<AuditLog['export']>;

  before(async () => {
    let time = 1_000;
    const log = new AuditLog({ signer: enclave, domain: auditDomain(31337), signEvery: 2, clock: () => (time += 5) });
    for (const [kind, payload] of [['job-start', 'a'], ['release', 'b'], ['release', 'c'], ['receipt', 'd'], ['job-start', 'e']] as const) await log.append(kind, payload);
    exported = log.export();
    logPath = join(dir, 'log.json');
    writeFileSync(logPath, JSON.stringify(exported));
  });

  const run = async (...argv: string[]) => {
    const io = capture();
    const code = await main(['audit', ...argv], io);
    return { code, ...io };
  };

  it('accepts a good log, reports how far signatures and anchors reach', async () => {
    const anchors = join(dir, 'anchors.json');
    writeFileSync(anchors, JSON.stringify([{ seq: exported.heads[0]!.seq, head: exported.heads[0]!.head }]));
    const result = await run('verify', logPath, '--signer', enclave.address, '--chain-id', '31337', '--anchors', anchors, '--json');
    expect(result.code, result.err).to.equal(0);
    expect(JSON.parse(result.out)).to.deep.include({ entries: 5, signedThrough: 3, anchoredThrough: 1 });
    const text = await run('verify', logPath, '--signer', enclave.address, '--chain-id', '31337');
    expect(text.out).to.contain('covered by the hash chain only');
  });

  it('refuses an edited entry, a foreign signer, another chain and a wrong anchor', async () => {
    const edited = structuredClone(exported);
    edited.entries[1]!.payloadDigest = `0x${'00'.repeat(32)}`;
    const editedPath = join(dir, 'edited.json');
    writeFileSync(editedPath, JSON.stringify(edited));
    expect((await run('verify', editedPath, '--signer', enclave.address, '--chain-id', '31337')).err).to.match(/^AUDIT_(BROKEN_LINK|ANCHOR_MISMATCH)/);
    const foreign = await run('verify', logPath, '--signer', other.address, '--chain-id', '31337');
    expect(foreign.code).to.equal(1);
    expect(foreign.err).to.match(/^AUDIT_BAD_SIGNATURE/);
    expect((await run('verify', logPath, '--signer', enclave.address, '--chain-id', '1')).err).to.match(/^AUDIT_BAD_SIGNATURE/);
    const anchors = join(dir, 'bad-anchors.json');
    writeFileSync(anchors, JSON.stringify([{ seq: 1, head: `0x${'11'.repeat(32)}` }]));
    expect((await run('verify', logPath, '--signer', enclave.address, '--chain-id', '31337', '--anchors', anchors)).err).to.match(/^AUDIT_ANCHOR_MISMATCH/);
  });

  it('refuses unreadable input with CLIENT_JOB_INPUT_INVALID and a bad command line with exit 2', async () => {
    const missing = await run('verify', join(dir, 'absent.json'), '--signer', enclave.address, '--chain-id', '31337');
    expect(missing.code).to.equal(1);
    expect(missing.err).to.match(/^CLIENT_JOB_INPUT_INVALID/);
    const notJson = join(dir, 'junk.json');
    writeFileSync(notJson, 'not json');
    expect((await run('verify', notJson, '--signer', enclave.address, '--chain-id', '31337')).err).to.match(/^CLIENT_JOB_INPUT_INVALID/);
    expect((await run('verify', logPath, '--chain-id', '31337')).code).to.equal(2);
    expect((await run('verify', logPath, '--signer', enclave.address)).code).to.equal(2);
  });
});
