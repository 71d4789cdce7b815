// What persisting the enclave's state costs per finished file, and what a boot costs, at several
// dataset sizes: the segmented state (one segment with the file's fingerprint entry and record,
// and a new root) against the one-blob format 3 it replaced (the whole index and every record
// re-sealed after each file), both measured in this run. Format 3 is measured past its 16 MiB
// cap (maxBytes lifted) to show what it would have cost; in service it stopped there.
import sodium from 'libsodium-wrappers';
import { keccak256, toHex, type Hex } from 'viem';
import { encodeStateBundle } from '@audata/wire';
import { FingerprintIndex } from '../audio/uniqueness.ts';
import { encodeFingerprintEntry, FingerprintIndexSlot } from './fingerprint-slot.ts';
import { MAX_SEALED_STATE_BYTES, StateSealer, sha256Hex, type FileRecord } from './sealed-state.ts';
import { SegmentChainReader, SegmentedStateSealer } from './segmented-state.ts';

const WORDS_PER_FILE = 1500; // 30 s at the fingerprint's 20 ms hop
const AUDIT = { entries: 0, head: `0x${'00'.repeat(32)}` as Hex, lastTime: 0 };

/** A file's fingerprint entry: words from a 2^20 vocabulary (an index of random 32-bit words outgrows a JS Map near 11,000 files), a third masked. */
function entry(f: number): Uint8Array {
  const words = new Uint32Array(WORDS_PER_FILE).map((_, k) => (Math.imul(f * WORDS_PER_FILE + k + 1, 2654435761) >>> 12) & 0xfffff);
  return encodeFingerprintEntry(keccak256(toHex(f)), { words, mask: new Uint8Array(WORDS_PER_FILE).map((_, k) => (k % 3 === 0 ? 0 : 1)), hopSeconds: 0.02 });
}

function record(i: number): FileRecord {
  return {
    manifestHash: keccak256(toHex(`m${i}`)),
    result: {
      fileId: keccak256(toHex(`f${i}`)), contributor: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8', valid: true, score: 7000, authenticity: 9000, ownership: 10_000, quality: 6000,
      uniqueness: 10_000, detailsHash: keccak256(toHex(`d${i}`)), pipelineVersion: keccak256(toHex('p')), language: 'en-GB', termsHash: keccak256(toHex('t')), durationSec: 30, hasFeatures: true,
    },
  };
}

function median(run: () => void, times: number): number {
  const ms: number[] = [];
  for (let i = 0; i < times; i += 1) {
    const t = performance.now();
    run();
    ms.push(performance.now() - t);
  }
  return ms.sort((a, b) => a - b)[Math.floor(times / 2)]!;
}

await sodium.ready;
const kp = sodium.crypto_box_keypair();
const keys = { datasetSecretKey: kp.privateKey, datasetPublicKey: kp.publicKey };
console.log('Per finished file: the state the reply carries and what sealing it costs (one-blob: median of 7; segmented: of 51).');
console.log('files  one-blob reply MB  one-blob ms  segmented reply KB  segmented ms  one-blob/segmented');
const boots: string[] = [];
for (const files of [100, 1000, 10_000]) {
  const entries = Array.from({ length: files }, (_, f) => entry(f));
  const records = Array.from({ length: files }, (_, i) => record(i));
  const slot = new FingerprintIndexSlot();
  slot.restoreEntries(entries);
  const index: FingerprintIndex = slot.current;

  // Format 3: serialize the index and seal everything, as emitState did after every file.
  let counter = 0n;
  const blob = await StateSealer.create({ ...keys, maxBytes: Number.MAX_SAFE_INTEGER });
  const whole = () => blob.seal({ counter: (counter += 1n), fingerprintIndex: index.serialize(), records, audit: AUDIT, ledgers: [] });
  const sealedWhole = whole();
  const wholeMs = median(() => void sha256Hex(whole().bytes), 7);

  // Segmented: the new file's segment and a new root, in a bundle, named by the root's hash.
  const chain = await SegmentedStateSealer.create(keys);
  const segments = entries.map((e, i) => chain.sealSegment({ fingerprints: [e], records: [records[i]!] }).bytes);
  let next = files;
  let rootCounter = 0n;
  let reply: Uint8Array = new Uint8Array(0);
  // New files' entries, made before the clock runs.
  const extra = Array.from({ length: 52 }, (_, k) => entry(files + k));
  const one = () => {
    const segment = chain.sealSegment({ fingerprints: [extra[next - files]!], records: [record(next)] });
    next += 1;
    segments.push(segment.bytes);
    const root = chain.sealRoot((rootCounter += 1n), AUDIT, []);
    reply = encodeStateBundle({ segments: [segment.bytes], root: root.bytes });
    return root;
  };
  one();
  const segmentedMs = median(() => void one(), 51);
  console.log(
    `${String(files).padStart(5)}  ${(sealedWhole.bytes.length / 1e6).toFixed(2).padStart(17)}${sealedWhole.bytes.length > MAX_SEALED_STATE_BYTES ? '*' : ' '}  ${wholeMs.toFixed(2).padStart(10)}  ${(reply.length / 1e3).toFixed(1).padStart(18)}  ${segmentedMs.toFixed(2).padStart(12)}  ${(wholeMs / segmentedMs).toFixed(0).padStart(18)}`,
  );

  if (files === 10_000) {
    // Boot: open and load the whole state, the index rebuilt from it (the same final step in both).
    const reader = await StateSealer.create({ ...keys, maxBytes: Number.MAX_SAFE_INTEGER });
    const wholeBoot = median(() => void FingerprintIndex.deserialize(reader.open(sealedWhole.bytes).fingerprintIndex), 3);
    const root = chain.sealRoot((rootCounter += 1n), AUDIT, []);
    const opener = await SegmentedStateSealer.create(keys);
    const segmentedBoot = median(() => {
      const read = new SegmentChainReader(opener, opener.openRoot(root.bytes));
      const fingerprints: Uint8Array[] = [];
      for (const segment of segments) for (const e of read.push(segment).fingerprints) fingerprints.push(e);
      read.finish();
      new FingerprintIndexSlot().restoreEntries(fingerprints);
    }, 3);
    boots.push(`${files} files (${(segments.reduce((n, x) => n + x.length, 0) / 1e6).toFixed(1)} MB): one-blob open + index ${wholeBoot.toFixed(0)} ms; root + ${segments.length} segments + index ${segmentedBoot.toFixed(0)} ms (${(segmentedBoot / wholeBoot).toFixed(2)}x)`);
  }
}
console.log('* past the 16 MiB cap: format 3 could not emit this state at all.');
console.log('\nBoot (median of 3):');
for (const line of boots) console.log(line);
