import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keccak256, toHex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { auditDomain, verifyAuditLog } from '@audata/verifier/audit';
import { AuditLog } from './log.ts';
import { auditFileHooks, auditFileHooksFromEnv, readAuditFile } from './log-file.ts';

describe('enclave audit log file (development)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'audata-audit-file-'));
  const signer = privateKeyToAccount(keccak256(toHex('audit file test key')));

  it('appends entries and heads across two boots and reads back a log that replays', async () => {
    const path = join(dir, 'audit.jsonl');
    const domain = auditDomain(31337);
    const first = new AuditLog({ signer, domain, signEvery: 2, ...auditFileHooks(path) });
    for (const kind of ['key-release', 'proof', 'proof'] as const) await first.append(kind, kind);
    const second = new AuditLog({ signer, domain, signEvery: 2, resume: first.position(), ...auditFileHooks(path) });
    for (const kind of ['key-release', 'job-start'] as const) await second.append(kind, kind);
    const log = readAuditFile(path);
    expect(log.entries.map((e) => e.seq)).to.deep.equal([0, 1, 2, 3, 4]);
    expect(log.heads.map((h) => h.seq)).to.deep.equal([1, 4]);
    expect(await verifyAuditLog(log, { signers: [signer.address], domain })).to.deep.include({ entries: 5, signedThrough: 4 });
  });

  it('is off without AUDATA_AUDIT_LOG_FILE and refuses a line that is not a record', () => {
    expect(auditFileHooksFromEnv({})).to.deep.equal({});
    expect(auditFileHooksFromEnv({ AUDATA_AUDIT_LOG_FILE: join(dir, 'x.jsonl') })).to.have.keys(['onEntry', 'onHead']);
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, '{"entry":{}}\nnot json\n');
    expect(() => readAuditFile(bad)).to.throw().with.property('code', 'AUDIT_LOG_INVALID_INPUT');
    writeFileSync(bad, '{"other":1}\n');
    expect(() => readAuditFile(bad)).to.throw().with.property('code', 'AUDIT_LOG_INVALID_INPUT');
  });
});
