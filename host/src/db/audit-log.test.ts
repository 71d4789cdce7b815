import { expect } from 'chai';
import sodium from 'libsodium-wrappers';
import { keccak256, toHex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { encodeStateBundle, type SealedStateRefJson } from '@audata/wire';
import { AUDIT_KINDS, auditDomain, verifyAuditLog, type AuditEntry, type SignedAuditHead } from '@audata/verifier/audit';
import { AuditLog } from '../../../enclave/src/audit/log.ts';
import { SegmentedStateSealer } from '../../../enclave/src/state/segmented-state.ts';
import { createApp } from '../app.ts';
import { FsBlobStore } from '../blobs/fs-store.ts';
import { SealedEnclaveStateStore } from '../enclave-state.ts';
import { listen } from '../listen.ts';
import { createLogger } from '../log.ts';
import { createHostMetrics } from '../metrics.ts';
import { ScoringQueue } from '../queue/scoring-queue.ts';
import { tempDatabase } from '../test-fixtures.ts';
import { ContributionStore } from './contributions.ts';
import { AuditLogStore } from './audit-log.ts';
import { codeOf } from '@audata/wire/testing';

const key = privateKeyToAccount(keccak256(toHex('host audit store test enclave')));
const domain = auditDomain(31337);

/** A real audit log and state sealer: each `state(n)` appends n entries and seals a root carrying them, as the enclave does. */
async function enclave() {
  await sodium.ready;
  const kp = sodium.crypto_box_keypair();
  const sealer = await SegmentedStateSealer.create({ datasetSecretKey: kp.privateKey, datasetPublicKey: kp.publicKey });
  let time = 1_000;
  const log = new AuditLog({ signer: key, domain, signEvery: 2, clock: () => (time += 1) });
  let counter = 0n;
  let from = 0;
  let headsFrom = 0;
  return {
    log,
    async state(appends: number, edit?: (entries: AuditEntry[], heads: SignedAuditHead[]) => void): Promise<{ ref: SealedStateRefJson; blob: Uint8Array }> {
      for (let i = 0; i < appends; i++) await log.append(AUDIT_KINDS[i % AUDIT_KINDS.length]!, `payload ${from + i}`);
      const position = log.position();
      const root = sealer.sealRoot((counter += 1n), position, []);
      const entries = log.entriesFrom(from, position.entries);
      const heads = log.headsFrom(headsFrom);
      edit?.(entries, heads);
      from = position.entries;
      headsFrom = (heads.at(-1)?.seq ?? headsFrom - 1) + 1;
      const blob = encodeStateBundle({ segments: [], root: root.bytes, audit: { entries: entries.map((e) => ({ ...e, kind: AUDIT_KINDS.indexOf(e.kind) })), heads } });
      return { ref: { counter: root.counter.toString(), sha256: root.sha256, bytes: blob.length }, blob };
    },
  };
}

describe('host audit log store (kept with the sealed states)', () => {
  let env: Awaited<ReturnType<typeof tempDatabase>>;
  beforeEach(async () => {
    env = await tempDatabase();
  });
  afterEach(() => env.cleanup());

  it('stores each state\'s entries and heads with it, the same bundle again changing nothing; the pages replay clean', async () => {
    const e = await enclave();
    const states = new SealedEnclaveStateStore(env.db);
    const audit = new AuditLogStore(env.db);
    const bundles = [await e.state(1), await e.state(3), await e.state(0), await e.state(2)];
    for (const b of bundles) states.save(b.ref, b.blob);
    states.save(bundles[1]!.ref, bundles[1]!.blob);
    const all = audit.page(0, 100);
    expect(all.next).to.equal(null);
    expect(all).to.not.have.property('gap');
    expect(all.entries).to.deep.equal(e.log.export().entries);
    expect(all.heads).to.deep.equal(e.log.export().heads);
    expect((await verifyAuditLog(all, { signers: [key.address], domain })).entries).to.equal(6);
    // Pages of 4: the heads travel with the page holding their entry.
    const first = audit.page(0, 4);
    expect(first.entries.map((x) => x.seq)).to.deep.equal([0, 1, 2, 3]);
    expect(first.next).to.equal(4);
    expect(first.heads.every((h) => h.seq <= 3)).to.equal(true);
    const second = audit.page(4, 4);
    expect(second.entries.map((x) => x.seq)).to.deep.equal([4, 5]);
    expect(second.next).to.equal(null);
    expect([...first.heads, ...second.heads]).to.deep.equal(all.heads);
    expect(audit.page(6, 4)).to.deep.equal({ entries: [], heads: [], next: null });
  });

  it('refuses a different entry or head under a stored seq (HOST_AUDIT_FORK) and keeps nothing of that bundle, its root included', async () => {
    const e = await enclave();
    const states = new SealedEnclaveStateStore(env.db);
    const audit = new AuditLogStore(env.db);
    const a = await e.state(2);
    states.save(a.ref, a.blob);
    const before = { page: audit.page(0, 100), latest: states.latest() };
    // Another enclave booted from an older state reuses seq 1 with its own entry.
    const forked = await enclave();
    await forked.state(1);
    const fork = await forked.state(1);
    expect(codeOf(() => states.save(fork.ref, fork.blob))).to.equal('HOST_AUDIT_FORK');
    const head = await e.state(0, (_entries, heads) => {
      heads.push({ seq: 1, head: `0x${'ee'.repeat(32)}`, signer: key.address, signature: `0x${'11'.repeat(65)}` });
    });
    expect(codeOf(() => states.save(head.ref, head.blob))).to.equal('HOST_AUDIT_FORK');
    expect({ page: audit.page(0, 100), latest: states.latest() }).to.deep.equal(before);
  });

  it('stores entries that arrive after a gap (replies kept out of order) and a page stops at the gap, saying where it is', async () => {
    const e = await enclave();
    const states = new SealedEnclaveStateStore(env.db);
    const audit = new AuditLogStore(env.db);
    const [a, b, c] = [await e.state(2), await e.state(2), await e.state(2)];
    states.save(a.ref, a.blob);
    states.save(c.ref, c.blob);
    expect(audit.page(0, 100)).to.deep.include({ next: null, gap: { from: 2, to: 4 } });
    expect(audit.page(0, 100).entries.map((x) => x.seq)).to.deep.equal([0, 1]);
    expect(audit.page(0, 2)).to.deep.include({ next: null, gap: { from: 2, to: 4 } });
    expect(audit.page(2, 100)).to.deep.include({ entries: [], heads: [], next: null, gap: { from: 2, to: 4 } });
    states.save(b.ref, b.blob);
    expect(audit.page(0, 100)).to.not.have.property('gap');
    expect((await verifyAuditLog(audit.page(0, 100), { signers: [key.address], domain })).entries).to.equal(6);
  });

  it('refuses an audit kind this host does not know, storing nothing', async () => {
    const e = await enclave();
    const states = new SealedEnclaveStateStore(env.db);
    const good = await e.state(1);
    const bytes = good.blob.slice();
    // The kind byte of the only entry: after the root and the entry count, past seq and prevHash.
    bytes[bytes.length - 4 - 81 + 40] = 200;
    expect(codeOf(() => states.save(good.ref, bytes))).to.equal('HOST_ENCLAVE_STATE_MISMATCH');
    expect(states.latest()).to.equal(undefined);
    expect(new AuditLogStore(env.db).page(0, 10).entries).to.deep.equal([]);
  });

  describe('GET /v1/audit', () => {
    async function serve(audit: AuditLogStore | undefined) {
      const queue = new ScoringQueue(env.db, { leaseMs: 1000, maxAttempts: 1 });
      const app = createApp({
        enclave: { attest: async () => ({ document: new Uint8Array() }) },
        ...(audit === undefined ? {} : { audit }),
        blobs: new FsBlobStore('/nonexistent'),
        contributions: new ContributionStore(env.db, queue),
        queue,
        metrics: createHostMetrics(() => ({})),
        logger: createLogger({ sink: () => {} }),
        maxUploadBytes: 1,
      });
      return listen(app, { port: 0, bind: '127.0.0.1' });
    }

    it('serves pages in the verifier\'s form, and refuses a bad query with HOST_INVALID_REQUEST', async () => {
      const e = await enclave();
      const states = new SealedEnclaveStateStore(env.db);
      for (const n of [3, 3, 1]) {
        const b = await e.state(n);
        states.save(b.ref, b.blob);
      }
      const running = await serve(new AuditLogStore(env.db));
      try {
        const get = async (query: string) => {
          const res = await fetch(`${running.url}/v1/audit${query}`);
          return { status: res.status, body: (await res.json()) as Record<string, unknown> };
        };
        const page = await get('?from=2&limit=3');
        expect(page.status).to.equal(200);
        expect(page.body).to.deep.equal(JSON.parse(JSON.stringify(new AuditLogStore(env.db).page(2, 3))));
        expect(page.body['next']).to.equal(5);
        expect(((await get('')).body['entries'] as unknown[]).length).to.equal(7);
        for (const bad of ['?from=-1', '?from=x', '?limit=0', '?limit=5001', '?from=1&from=2', '?from=01', '?since=3', `?from=${2 ** 53}`]) {
          const refused = await get(bad);
          expect(refused.status, bad).to.equal(400);
          expect((refused.body['error'] as { code: string }).code, bad).to.equal('HOST_INVALID_REQUEST');
        }
      } finally {
        await running.close();
      }
      const none = await serve(undefined);
      try {
        expect((await fetch(`${none.url}/v1/audit`)).status).to.equal(503);
      } finally {
        await none.close();
      }
    });
  });
});
