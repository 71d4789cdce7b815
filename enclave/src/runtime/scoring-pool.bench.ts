// Scoring throughput on this machine: K files of 30 s speech (16-bit WAV, decoded and scored
// as the enclave does, uniqueness against a fresh index) on the main thread, as before the
// pool, against the pool with one thread per core, in the same run, as a ratio. The pool with
// one thread shows what moving the files between threads costs.
import { availableParallelism, cpus } from 'node:os';
import { Worker } from 'node:worker_threads';
import { keccak256, toHex } from 'viem';
import { loadSpeech, median } from '../audio/bench-speech.ts';
import { encodeWav } from '../audio/decode/encode-wav.ts';
import { FingerprintIndex } from '../audio/uniqueness.ts';
import { defaultSileroModelPath, SileroVad } from '../audio/vad.ts';
import type { OpenedContribution } from '../envelope/open.ts';
import { defaultScoringThreads } from './config.ts';
import type { ContributionScorer } from './enclave-runtime.ts';
import { createPipelineScorer, createPooledScorer } from './pipeline-scorer.ts';
import { ScoringPool } from './scoring-pool.ts';

const FILES = Number(process.env.BENCH_FILES ?? 8);
const SECONDS = 30;
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

const { samples, source } = await loadSpeech(FILES * SECONDS);
const files = Array.from({ length: FILES }, (_, k) =>
  encodeWav([samples.subarray(k * SECONDS * 16000, (k + 1) * SECONDS * 16000)], { sampleRate: 16000, encoding: 'pcm', bitsPerSample: 16 }),
);
const opened = (k: number, run: number): OpenedContribution => {
  const id = keccak256(toHex(`bench ${run} ${k}`));
  return {
    contributor: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
    manifestHash: id,
    audio: files[k]!.slice(),
    manifest: { ciphertextSha256: id, sealedKeySha256: id, datasetKey: id, termsHash: id, language: 'en', createdAt: 1n, nonce: id },
  };
};

const threads = defaultScoringThreads();
const vadModelPath = defaultSileroModelPath();
const vad = await SileroVad.load({ modelPath: vadModelPath, intraOpNumThreads: 1 });
const pool = await ScoringPool.start({ threads, vadModelPath });
const single = await ScoringPool.start({ threads: 1, vadModelPath });

const variants: [string, (index: FingerprintIndex) => ContributionScorer][] = [
  ['main thread (AUDATA_SCORING_THREADS=1)', (index) => createPipelineScorer({ vad, index })],
  ['pool, 1 thread', (index) => createPooledScorer({ pool: single, index })],
  [`pool, ${threads} threads (default)`, (index) => createPooledScorer({ pool, index })],
];

/**
 * Files per second of wall-clock time, every file submitted at once as concurrent host workers
 * would, and the cores this process kept busy meanwhile (CPU time of all its threads / wall
 * time): on cores shared with other jobs the pool can only go as fast as the cores it gets.
 */
async function measure(make: (index: FingerprintIndex) => ContributionScorer, run: number): Promise<{ rate: number; cores: number }> {
  const scorer = make(new FingerprintIndex());
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(files.map((_, k) => scorer.score(opened(k, run))));
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { rate: FILES / seconds, cores: (cpu.user + cpu.system) / 1e6 / seconds };
}

/** Cores this process can get right now: CPU time / wall time of one spinning thread per core for 1 s. */
async function coresAvailable(): Promise<number> {
  const spin = `const t = Date.now(); let x = 0; while (Date.now() - t < 1000) x += Math.sqrt(x + 1); require('node:worker_threads').parentPort.postMessage(x);`;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: availableParallelism() }, () => new Promise((resolve) => new Worker(spin, { eval: true }).once('message', resolve))));
  const cpu = process.cpuUsage(cpu0);
  return (cpu.user + cpu.system) / 1000 / (performance.now() - t0);
}

console.log(`${FILES} files of ${SECONDS} s speech from ${source}; ${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown'}); median of ${RUNS} interleaved runs, wall clock\n`);
for (const [, make] of variants) await measure(make, -1); // warm-up
const rates: number[][] = variants.map(() => []);
const cores: number[][] = variants.map(() => []);
for (let run = 0; run < RUNS; run += 1) {
  for (const [i, [, make]] of variants.entries()) {
    const m = await measure(make, run);
    rates[i]!.push(m.rate);
    cores[i]!.push(m.cores);
  }
}
const base = median(rates[0]!);
console.log('| scorer | files/s | audio s per s | vs main thread | cores busy |');
console.log('|---|---:|---:|---:|---:|');
for (const [i, [label]] of variants.entries()) {
  const r = median(rates[i]!);
  console.log(`| ${label} | ${r.toFixed(2)} | ${(r * SECONDS).toFixed(0)} | ${(r / base).toFixed(2)}x | ${median(cores[i]!).toFixed(2)} |`);
}
console.log(`\ncores this process could get (one spinning thread per core for 1 s): ${(await coresAvailable()).toFixed(2)} of ${availableParallelism()}; the pool's gain is bounded by it`);
await Promise.all([pool.close(), single.close(), vad.release()]);
