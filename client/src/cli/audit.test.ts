import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keccak256, toHex, type Hex } from 'viem';
import { privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts';
import { auditDomain, hashAuditEntry } from '@audata/verifier/audit';
import { anchorDomain, stateAnchorTypes, type StateAnchorMessage } from '@audata/wire';
import { auditAnchorAbi, enclaveRegistryAbi } from '../../../contracts/src/generated/abi.ts';
import { bytes32, startAudata, testKey, type AudataFixture } from '../../../contracts/src/testing/fixture.ts';
import { AuditLog } from '../../../enclave/src/audit/log.ts';
import { main } from './main.ts';
import { createApp } from '../../../host/src/app.ts';
import { FsBlobStore } from '../../../host/src/blobs/fs-store.ts';
import { AuditLogStore } from '../../../host/src/db/audit-log.ts';
import { ContributionStore } from '../../../host/src/db/contributions.ts';
import { openDatabase } from '../../../host/src/db/open-database.ts';
import { listen, type Listening } from '../../../host/src/listen.ts';
import { createLogger } from '../../../host/src/log.ts';
import { createHostMetrics } from '../../../host/src/metrics.ts';
import { ScoringQueue } from '../../../host/src/queue/scoring-queue.ts';
import { HostApi } from '../sdk/host-api.ts';

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

  describe('--host (the log a real host app keeps and serves, GET /v1/audit)', () => {
    let db: ReturnType<typeof openDatabase>;
    let running: Listening;
    before(async () => {
      db = openDatabase(join(dir, 'host.sqlite'));
      new AuditLogStore(db).insert(exported.entries, exported.heads);
      const queue = new ScoringQueue(db, { leaseMs: 1000, maxAttempts: 1 });
      const app = createApp({
        enclave: { attest: async () => ({ document: new Uint8Array() }) },
        audit: new AuditLogStore(db),
        blobs: new FsBlobStore(join(dir, 'blobs')),
        contributions: new ContributionStore(db, queue),
        queue,
        metrics: createHostMetrics(() => ({})),
        logger: createLogger({ sink: () => {} }),
        maxUploadBytes: 1,
      });
      running = await listen(app, { port: 0, bind: '127.0.0.1' });
    });
    after(async () => {
      await running.close();
      db.close();
    });

    it('fetches every page from the host and replays it as it replays a file', async () => {
      const result = await run('verify', '--host', running.url, '--signer', enclave.address, '--chain-id', '31337', '--json');
      expect(result.code, result.err).to.equal(0);
      expect(JSON.parse(result.out)).to.deep.include({ entries: 5, signedThrough: 3 });
      // Pages of two: the same log, heads included, in order.
      expect(await new HostApi(running.url).auditLog(2)).to.deep.equal(exported);
    });

    it('refuses what the host altered, a log with a hole (CLIENT_AUDIT_LOG_INCOMPLETE), and a bad command line with exit 2', async () => {
      const original = db.prepare('SELECT payload_digest FROM audit_entries WHERE seq = 1').pluck().get() as string;
      db.prepare('UPDATE audit_entries SET payload_digest = ? WHERE seq = 1').run(`0x${'00'.repeat(32)}`);
      try {
        expect((await run('verify', '--host', running.url, '--signer', enclave.address, '--chain-id', '31337')).err).to.match(/^AUDIT_(BROKEN_LINK|ANCHOR_MISMATCH)/);
      } finally {
        db.prepare('UPDATE audit_entries SET payload_digest = ? WHERE seq = 1').run(original);
      }
      db.prepare('INSERT INTO audit_entries (seq, prev_hash, kind, payload_digest, time) VALUES (7, ?, ?, ?, 2000)').run(`0x${'11'.repeat(32)}`, 'proof', `0x${'22'.repeat(32)}`);
      try {
        const holed = await run('verify', '--host', running.url, '--signer', enclave.address, '--chain-id', '31337');
        expect(holed.code).to.equal(1);
        expect(holed.err).to.match(/^CLIENT_AUDIT_LOG_INCOMPLETE: .*entries 5 to 6/);
      } finally {
        db.prepare('DELETE FROM audit_entries WHERE seq = 7').run();
      }
      expect((await run('verify', logPath, '--host', running.url, '--signer', enclave.address, '--chain-id', '31337')).code).to.equal(2);
      expect((await run('verify', '--host', 'ftp://example', '--signer', enclave.address, '--chain-id', '31337')).code).to.equal(2);
      const down = await run('verify', '--host', 'http://127.0.0.1:1', '--signer', enclave.address, '--chain-id', '31337');
      expect(down.code).to.equal(1);
      expect(down.err).to.match(/^CLIENT_HOST_REQUEST_FAILED: Fetching the audit log failed: HTTP 0 NETWORK/);
    });
  });
});

describe('audata audit verify against anchors on chain (anvil)', function () {
  this.timeout(60_000);
  let f: AudataFixture;
  const dir = mkdtempSync(join(tmpdir(), 'audata-audit-chain-'));
  const datasetKey = bytes32('audit cli dataset');
  let logPath = '';
  let exported: ReturnType<AuditLog['export']>;

  const anchor = async (auditEntries: number, auditHead: Hex, signer: PrivateKeyAccount, stateCounter: bigint, key: Hex = datasetKey) => {
    const message: StateAnchorMessage = { datasetKey: key, stateCounter, stateSha256: bytes32(`state ${stateCounter}`), auditEntries: BigInt(auditEntries), auditHead };
    const signature = await signer.signTypedData({ domain: anchorDomain(f.anvil.chain.id, f.addresses.auditAnchor), types: stateAnchorTypes, primaryType: 'StateAnchor', message });
    await f.send(f.wallet(f.users[5]!), { address: f.addresses.auditAnchor, abi: auditAnchorAbi, functionName: 'anchorState', args: [message, signature] });
  };
  const run = async (...argv: string[]) => {
    const io = capture();
    const code = await main(['audit', 'verify', logPath, '--chain-id', String(f.anvil.chain.id), '--rpc', f.anvil.rpcUrl, '--audit-anchor', f.addresses.auditAnchor, ...argv], io);
    return { code, ...io };
  };

  before(async () => {
    f = await startAudata();
    let time = 1_000;
    const log = new AuditLog({ signer: f.enclave, domain: auditDomain(f.anvil.chain.id), signEvery: 100, clock: () => (time += 5) });
    for (const kind of ['key-release', 'proof', 'proof', 'job-start', 'release'] as const) await log.append(kind, kind);
    exported = log.export();
    logPath = join(dir, 'log.json');
    writeFileSync(logPath, JSON.stringify(exported));
    await anchor(3, hashAuditEntry(exported.entries[2]!), f.enclave, 1n);
    await anchor(5, hashAuditEntry(exported.entries[4]!), f.enclave, 2n);
    await f.snapshot();
  });
  beforeEach(async () => {
    await f.restore();
  });
  after(async () => {
    await f.stop();
  });

  it('checks every anchored head of the dataset against the replayed log', async () => {
    const result = await run('--signer', f.enclave.address, '--dataset-key', datasetKey, '--json');
    expect(result.code, result.err).to.equal(0);
    expect(JSON.parse(result.out)).to.deep.include({ entries: 5, anchoredThrough: 4, chainAnchors: 2 });
    const text = await run('--signer', f.enclave.address, '--dataset-key', datasetKey);
    expect(text.out).to.contain('2 anchor(s) read from AuditAnchor');
    // Another dataset's anchors are not this log's.
    const other = await run('--signer', f.enclave.address, '--dataset-key', bytes32('another dataset'), '--json');
    expect(JSON.parse(other.out)).to.deep.include({ anchoredThrough: -1, chainAnchors: 0 });
  });

  it('refuses a log that differs from an anchored head, or was cut short of it', async () => {
    const edited = structuredClone(exported);
    // Re-chained after entry 3: links hold, but the head anchored over 5 entries no longer matches.
    edited.entries[4]!.payloadDigest = `0x${'00'.repeat(32)}`;
    const editedPath = join(dir, 'rechained.json');
    writeFileSync(editedPath, JSON.stringify({ entries: edited.entries, heads: [] }));
    const io = capture();
    await main(['audit', 'verify', editedPath, '--chain-id', String(f.anvil.chain.id), '--rpc', f.anvil.rpcUrl, '--audit-anchor', f.addresses.auditAnchor, '--signer', f.enclave.address, '--dataset-key', datasetKey], io);
    expect(io.err).to.match(/^AUDIT_ANCHOR_MISMATCH/);
    const shortPath = join(dir, 'short.json');
    writeFileSync(shortPath, JSON.stringify({ entries: exported.entries.slice(0, 4), heads: [] }));
    const cut = capture();
    await main(['audit', 'verify', shortPath, '--chain-id', String(f.anvil.chain.id), '--rpc', f.anvil.rpcUrl, '--audit-anchor', f.addresses.auditAnchor, '--signer', f.enclave.address, '--dataset-key', datasetKey], cut);
    expect(cut.err).to.match(/^AUDIT_ANCHOR_MISMATCH/);
  });

  it('takes an anchor by another registered enclave key only when told of it or of the registry', async () => {
    const later = testKey('later boot');
    await f.send(f.wallet(f.operator), { address: f.addresses.enclaveRegistry, abi: enclaveRegistryAbi, functionName: 'registerSigner', args: [later.address, f.measurementId, bytes32('doc'), ''] });
    await anchor(5, hashAuditEntry(exported.entries[4]!), later, 3n);
    const unknown = await run('--signer', f.enclave.address, '--dataset-key', datasetKey);
    expect(unknown.code).to.equal(1);
    expect(unknown.err).to.match(/^AUDIT_ANCHOR_SIGNER/);
    const viaRegistry = await run('--signer', f.enclave.address, '--dataset-key', datasetKey, '--enclave-registry', f.addresses.enclaveRegistry, '--json');
    expect(viaRegistry.code, viaRegistry.err).to.equal(0);
    expect(JSON.parse(viaRegistry.out)).to.deep.include({ chainAnchors: 3 });
  });

  it('refuses an incomplete chain command line with exit 2', async () => {
    expect((await run('--signer', f.enclave.address)).code).to.equal(2);
    expect((await run('--signer', f.enclave.address, '--dataset-key', '0x12')).code).to.equal(2);
    expect((await run('--signer', f.enclave.address, '--dataset-key', datasetKey, '--from-block', 'soon')).code).to.equal(2);
  });
});
