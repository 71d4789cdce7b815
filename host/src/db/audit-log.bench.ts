// What keeping the enclave's audit log costs the host: a state save with its audit section
// against the same save without one (one entry and one head per reply, the usual case), and
// serving a page of GET /v1/audit's largest size from a store of 100,000 entries.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sodium from 'libsodium-wrappers';
import { bytesToHex, type Hex } from 'viem';
import { encodeStateBundle, type BundleAuditEntry, type BundleAuditHead } from '@audata/wire';
import { EMPTY_AUDIT } from '../../../enclave/src/state/sealed-state.ts';
import { SegmentedStateSealer } from '../../../enclave/src/state/segmented-state.ts';
import { SealedEnclaveStateStore } from '../enclave-state.ts';
import { AuditLogStore } from './audit-log.ts';
import { openDatabase } from './open-database.ts';

const RUNS = 400;
const STORED = 100_000;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const hash = (): Hex => bytesToHex(randomBytes(32));
const entry = (seq: number): BundleAuditEntry => ({ seq, prevHash: hash(), kind: 1, payloadDigest: hash(), time: 1_700_000_000_000 + seq });
const head = (seq: number): BundleAuditHead => ({ seq, head: hash(), signer: bytesToHex(randomBytes(20)), signature: bytesToHex(randomBytes(65)) });

await sodium.ready;
const dir = mkdtempSync(join(tmpdir(), 'audata-audit-bench-'));
try {
  const kp = sodium.crypto_box_keypair();
  const sealer = await SegmentedStateSealer.create({ datasetSecretKey: kp.privateKey, datasetPublicKey: kp.publicKey });
  let counter = 0n;
  const bundle = (audit: boolean, seq: number) => {
    const segment = sealer.sealSegment({ fingerprints: [new Uint8Array(randomBytes(6800))], records: [] }).bytes;
    const root = sealer.sealRoot((counter += 1n), EMPTY_AUDIT, []);
    const blob = encodeStateBundle({ segments: [segment], root: root.bytes, ...(audit ? { audit: { entries: [entry(seq)], heads: [head(seq)] } } : {}) });
    return { ref: { counter: root.counter.toString(), sha256: root.sha256, bytes: blob.length }, blob };
  };
  const db = openDatabase(join(dir, 'host.sqlite'));
  const states = new SealedEnclaveStateStore(db);
  const times: Record<'without' | 'with', number[]> = { without: [], with: [] };
  const sizes: Record<'without' | 'with', number> = { without: 0, with: 0 };
  for (let i = 0; i < RUNS; i++) {
    // Alternated, so both see the same database growth and disk state.
    for (const kind of ['without', 'with'] as const) {
      const b = bundle(kind === 'with', i);
      sizes[kind] = b.blob.length;
      const t0 = performance.now();
      states.save(b.ref, b.blob);
      times[kind].push(performance.now() - t0);
    }
  }
  console.log(`state save (one 6.8 KB segment, synchronous = FULL), median of ${RUNS}:`);
  console.log(`  without audit section: ${median(times.without).toFixed(3)} ms, ${sizes.without} bytes`);
  console.log(`  with 1 entry and 1 head: ${median(times.with).toFixed(3)} ms, ${sizes.with} bytes (+${sizes.with - sizes.without})`);

  const audit = new AuditLogStore(db);
  const fill = db.transaction((from: number, to: number) => {
    const rows = [];
    for (let seq = from; seq < to; seq++) rows.push({ ...entry(seq), kind: 'proof' as const });
    audit.insert(rows, []);
  });
  for (let from = RUNS; from < STORED; from += 10_000) fill(from, Math.min(STORED, from + 10_000));
  const pageTimes: number[] = [];
  let bytes = 0;
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    const page = audit.page(50_000, 5000);
    bytes = JSON.stringify(page).length;
    pageTimes.push(performance.now() - t0);
  }
  console.log(`GET /v1/audit page of 5000 from ${STORED} stored entries (query and JSON): ${median(pageTimes).toFixed(1)} ms, ${(bytes / 1e6).toFixed(2)} MB`);
  db.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
