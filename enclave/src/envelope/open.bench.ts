// Opens a sealed 1-hour recording (16 kHz, 16-bit mono, about 115 MB) streamed from disk and
// reports throughput and peak memory, against reading and hashing the same file in the same run.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sodium from 'libsodium-wrappers';
import { keccak256, toHex, type Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { sealContribution } from '../../../client/src/envelope/seal.ts';
import { openEnvelope } from './open.ts';

const SECONDS = 3600;
const RATE = 16_000;
const plaintextBytes = SECONDS * RATE * 2;
const chainId = 31337;
const registry = '0x5FbDB2315678afecb367f032d93F642f64180aa3';
const mb = (bytes: number) => bytes / 1e6;

/** One second of a 220 Hz tone with a little noise, as 16-bit little-endian PCM. */
function* recording(): Generator<Uint8Array> {
  let seed = 1;
  for (let s = 0; s < SECONDS; s += 1) {
    const second = new Int16Array(RATE);
    for (let i = 0; i < RATE; i += 1) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      second[i] = Math.round(8000 * Math.sin((2 * Math.PI * 220 * (s * RATE + i)) / RATE) + ((seed >>> 16) % 512) - 256);
    }
    yield new Uint8Array(second.buffer);
  }
}

await sodium.ready;
const dir = mkdtempSync(join(tmpdir(), 'audata-envelope-bench-'));
try {
  const path = join(dir, 'recording.enc');
  const dataset = sodium.crypto_box_keypair();
  const out = createWriteStream(path);
  const header = await sealContribution({
    audio: recording(),
    write: (chunk) => new Promise<void>((resolve, reject) => out.write(chunk, (error) => (error ? reject(error) : resolve()))),
    datasetKey: dataset.publicKey,
    account: privateKeyToAccount(generatePrivateKey()),
    chainId, registry, termsHash: keccak256(toHex('CC-BY-4.0')), language: 'en',
  });
  await new Promise<void>((resolve) => out.end(resolve));
  const size = statSync(path).size;
  global.gc?.();

  // Reference: read and hash the same file (the floor any streaming open must pay).
  let start = performance.now();
  const reference = createHash('sha256');
  for await (const piece of createReadStream(path, { highWaterMark: 1 << 20 })) reference.update(piece as Buffer);
  const referenceSeconds = (performance.now() - start) / 1000;
  global.gc?.();

  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
  start = performance.now();
  const opened = await openEnvelope({
    header,
    ciphertext: createReadStream(path, { highWaterMark: 1 << 20 }),
    dataset: { publicKey: dataset.publicKey, secretKey: dataset.privateKey },
    chainId, registry, ledger: new Set<Hex>(),
  });
  const openSeconds = (performance.now() - start) / 1000;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  if (opened.audio.length !== plaintextBytes) throw new Error(`opened ${opened.audio.length} bytes, expected ${plaintextBytes}`);

  console.log(`recording            ${SECONDS} s, 16 kHz 16-bit mono: ${mb(plaintextBytes).toFixed(1)} MB plaintext, ${mb(size).toFixed(1)} MB ciphertext`);
  console.log(`read + sha256        ${(mb(size) / referenceSeconds).toFixed(0)} MB/s (reference)`);
  console.log(`openEnvelope         ${(mb(size) / openSeconds).toFixed(0)} MB/s  (${(referenceSeconds / openSeconds).toFixed(2)}x the reference; ${(SECONDS / openSeconds).toFixed(0)}x real time)`);
  console.log(`RSS before open      ${mb(baseline).toFixed(0)} MB`);
  console.log(`peak RSS during open ${mb(peak).toFixed(0)} MB; growth ${mb(peak - baseline).toFixed(0)} MB = ${((peak - baseline) / plaintextBytes).toFixed(2)}x the plaintext (bound: under 2x)`);
  sodium.memzero(opened.audio);
  if (peak - baseline >= 2 * plaintextBytes) {
    console.error('FAIL: opening held the recording twice.');
    process.exitCode = 1;
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
