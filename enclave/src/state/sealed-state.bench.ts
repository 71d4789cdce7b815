// What persisting the enclave's state costs per contribution: the whole state is re-sealed after
// each file, so the figure grows with the fingerprint index and the file records (one scored
// record per file, as format 3 keeps). Measured against SHA-256 over the
// same bytes in the same run (a memory-bound floor), at several index sizes.
import { randomBytes } from 'node:crypto';
import sodium from 'libsodium-wrappers';
import { keccak256, toHex } from 'viem';
import { FINGERPRINT_VERSION } from '../audio/fingerprint.ts';
import { FingerprintIndex } from '../audio/uniqueness.ts';
import { StateSealer, sha256Hex, type FileRecord } from './sealed-state.ts';

const WORDS_PER_FILE = 1500; // 30 s at the fingerprint's 20 ms hop

/** serialize() layout v1 (uniqueness.ts) for `files` recordings of random sub-fingerprints. */
function indexBytes(files: number): Uint8Array {
  const perFile = 2 + 66 + 2 + 4 + 4 * WORDS_PER_FILE + Math.ceil(WORDS_PER_FILE / 8);
  const out = new Uint8Array(9 + files * perFile);
  const view = new DataView(out.buffer);
  out.set([0x41, 0x55, 0x46, 0x50, FINGERPRINT_VERSION]);
  view.setUint32(5, files, true);
  let o = 9;
  for (let f = 0; f < files; f += 1) {
    const id = new TextEncoder().encode(keccak256(toHex(f)));
    view.setUint16(o, id.length, true);
    out.set(id, o + 2);
    o += 2 + id.length;
    view.setUint16(o, 20, true);
    view.setUint32(o + 2, WORDS_PER_FILE, true);
    o += 6;
    out.set(randomBytes(4 * WORDS_PER_FILE), o);
    o += 4 * WORDS_PER_FILE;
    out.fill(0xff, o, o + Math.ceil(WORDS_PER_FILE / 8));
    o += Math.ceil(WORDS_PER_FILE / 8);
  }
  return out;
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
console.log('files  state MB  record B/file  seal+serialize ms  open+deserialize ms  sha256 ms  seal/sha256  open/sha256');
for (const files of [100, 1000, 2500]) {
  const index = FingerprintIndex.deserialize(indexBytes(files));
  const records: FileRecord[] = Array.from({ length: files }, (_, i) => ({
    manifestHash: keccak256(toHex(`m${i}`)),
    result: {
      fileId: keccak256(toHex(`f${i}`)), contributor: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8', valid: true, score: 7000, authenticity: 9000, ownership: 10_000, quality: 6000,
      uniqueness: 10_000, detailsHash: keccak256(toHex(`d${i}`)), pipelineVersion: keccak256(toHex('p')), language: 'en-GB', termsHash: keccak256(toHex('t')), durationSec: 30, hasFeatures: true,
    },
  }));
  let counter = 0n;
  const writer = await StateSealer.create({ datasetSecretKey: kp.privateKey, datasetPublicKey: kp.publicKey });
  const snapshot = () => writer.seal({ counter: (counter += 1n), fingerprintIndex: index.serialize(), records, audit: { entries: 0, head: `0x${'00'.repeat(32)}`, lastTime: 0 }, ledgers: [] });
  const sealed = snapshot();
  const seal = median(() => void snapshot(), 7);
  const reader = await StateSealer.create({ datasetSecretKey: kp.privateKey, datasetPublicKey: kp.publicKey });
  const open = median(() => void FingerprintIndex.deserialize(reader.open(sealed.bytes).fingerprintIndex), 7);
  const recordBytes = (sealed.bytes.length - writer.seal({ counter: (counter += 1n), fingerprintIndex: index.serialize(), records: [], audit: { entries: 0, head: `0x${'00'.repeat(32)}`, lastTime: 0 }, ledgers: [] }).bytes.length) / files;
  const floor = median(() => void sha256Hex(sealed.bytes), 7);
  console.log(
    `${String(files).padStart(5)}  ${(sealed.bytes.length / 1e6).toFixed(2).padStart(8)}  ${recordBytes.toFixed(0).padStart(13)}  ${seal.toFixed(1).padStart(17)}  ${open.toFixed(1).padStart(19)}  ${floor.toFixed(1).padStart(9)}  ${(seal / floor).toFixed(1).padStart(11)}  ${(open / floor).toFixed(1).padStart(11)}`,
  );
}
