// Files per second of a features job (30 s files, 80-band log-mel, mean-pool projection
// model through the production runner), reading features from the encrypted feature store
// versus recomputing log-mel from 16 kHz audio, interleaved in the same run. Audio decode
// and resampling, which a recompute would also pay, are left out, so the ratio is a floor.
import { performance } from 'node:perf_hooks';
import sodium from 'libsodium-wrappers';
import { keccak256, toHex, type Hex } from 'viem';
import { logMelSpectrogram } from '../audio/logmel.ts';
import { FeatureStore, MemoryFeatureBackend, type LogMelFeatures } from '../feature-store/feature-store.ts';
import { buildMeanPoolEmbeddingModel, runFeaturesJob } from './features-job.ts';
import { ModelRunner } from './model-runner.ts';
import { chacha20Random, RandomStream } from './random.ts';
import type { CatalogueFile } from './selection.ts';

const FILES = 12;
const SECONDS = 30;
const ROUNDS = 3;
const shape = { melBands: 80, embedding: 64 };

await sodium.ready;
const random = new RandomStream(chacha20Random(new Uint8Array(32).fill(5)));
const audio = new Map<string, Float32Array>();
const files: CatalogueFile[] = [];
for (let i = 0; i < FILES; i++) {
  const fileId = keccak256(toHex(`bench file ${i}`)) as Hex;
  const samples = Float32Array.from({ length: SECONDS * 16_000 }, (_, t) => 0.3 * Math.sin((2 * Math.PI * (180 + 20 * i) * t) / 16_000) + 0.05 * random.gaussian());
  audio.set(fileId, samples);
  files.push({ fileId, contributor: '0x00000000000000000000000000000000000000a1', valid: true, score: 8_000, language: 'en', termsHash: `0x${'11'.repeat(32)}`, durationSec: SECONDS });
}
const store = await FeatureStore.open({ datasetSecretKey: sodium.randombytes_buf(32), backend: new MemoryFeatureBackend() });
const recompute = async (file: CatalogueFile): Promise<LogMelFeatures> => {
  const mel = logMelSpectrogram(audio.get(file.fileId)!, { nMels: 80 });
  return { nMels: mel.nMels, frames: mel.frames, data: mel.data };
};
for (const file of files) await store.put(file.fileId, await recompute(file));

const model = buildMeanPoolEmbeddingModel(shape, Float32Array.from({ length: 80 * 64 }, () => 0.1 * random.gaussian()));
const runner = await ModelRunner.start(model, { timeoutMs: 60_000, loadTimeoutMs: 60_000, maxMemoryMb: 2048, intraOpNumThreads: 1 });

async function timeJob(features: (f: CatalogueFile) => Promise<LogMelFeatures>): Promise<number> {
  const start = performance.now();
  await runFeaturesJob({ model: runner, features }, files, shape);
  return (performance.now() - start) / 1000;
}
async function timeFeatures(features: (f: CatalogueFile) => Promise<LogMelFeatures>): Promise<number> {
  const start = performance.now();
  for (const file of files) await features(file);
  return (performance.now() - start) / 1000;
}

const cached = async (f: CatalogueFile) => (await store.get(f.fileId))!;
await timeJob(cached);
await timeJob(recompute);
const t = { jobCached: 0, jobRecompute: 0, readCached: 0, readRecompute: 0 };
for (let round = 0; round < ROUNDS; round++) {
  t.jobCached += await timeJob(cached);
  t.jobRecompute += await timeJob(recompute);
  t.readCached += await timeFeatures(cached);
  t.readRecompute += await timeFeatures(recompute);
}
await runner.close();
const rate = (seconds: number) => (FILES * ROUNDS) / seconds;
console.log(`features job, ${FILES} files of ${SECONDS} s, 80 mel bands, ${shape.embedding}-d embedding, ${ROUNDS} interleaved rounds`);
console.log(`  whole job, features from the encrypted store: ${rate(t.jobCached).toFixed(1)} files/s`);
console.log(`  whole job, log-mel recomputed from 16 kHz audio: ${rate(t.jobRecompute).toFixed(1)} files/s`);
console.log(`  ratio: ${(t.jobRecompute / t.jobCached).toFixed(2)}x`);
console.log(`  features alone: store read (decrypt + parse) ${rate(t.readCached).toFixed(1)} files/s, log-mel ${rate(t.readRecompute).toFixed(1)} files/s, ratio ${(t.readRecompute / t.readCached).toFixed(2)}x`);
