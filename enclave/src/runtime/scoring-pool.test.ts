import { expect } from 'chai';
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { AudataError } from '@audata/wire';
import { keccak256, toHex, type Hex } from 'viem';
import { buildEnclave } from '../../build.ts';
import { decodeAudio } from '../audio/decode/index.ts';
import { analyseRecording } from '../audio/pipeline.ts';
import { FingerprintIndex } from '../audio/uniqueness.ts';
import { defaultSileroModelPath, SileroVad } from '../audio/vad.ts';
import type { OpenedContribution } from '../envelope/open.ts';
import type { ContributionScorer, ScoredContribution } from './enclave-runtime.ts';
import { createPipelineScorer, createPooledScorer } from './pipeline-scorer.ts';
import { DEFAULT_SCORING_TIME_LIMIT, ScoringPool, scoringTimeLimitMs } from './scoring-pool.ts';

const speech = new URL('../../test-vectors/speech/', import.meta.url);
const read = (name: string) => new Uint8Array(readFileSync(new URL(name, speech)));
const FIXTURES = readdirSync(speech).filter((n) => n.endsWith('.wav') || n.endsWith('.opus')).sort();
const DISTINCT = FIXTURES.filter((n) => n.startsWith('ast-'));
const vadModelPath = defaultSileroModelPath();

const fileId = (name: string, copy = 0): Hex => keccak256(toHex(`${name}#${copy}`));
const opened = (audio: Uint8Array, id: Hex): OpenedContribution => ({
  contributor: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
  manifestHash: keccak256(id),
  audio,
  manifest: { ciphertextSha256: id, sealedKeySha256: id, datasetKey: id, termsHash: id, language: 'en', createdAt: 1n, nonce: id },
});
const failure = (promise: Promise<unknown>) => promise.then(() => expect.fail('expected a refusal'), (e: unknown) => e as AudataError);
const fields = (r: ScoredContribution) => ({ valid: r.valid, score: r.score, authenticity: r.authenticity, ownership: r.ownership, quality: r.quality, uniqueness: r.uniqueness, detailsHash: r.detailsHash, durationSec: r.durationSec, features: r.features });

async function scoreAll(scorer: ContributionScorer, names: string[]): Promise<ScoredContribution[]> {
  const out: ScoredContribution[] = [];
  for (const name of names) out.push(await scorer.score(opened(read(name), fileId(name))));
  return out;
}

describe('scoring pool', function () {
  this.timeout(120_000);
  let vad: SileroVad;
  let pool: ScoringPool;

  before(async () => {
    [vad, pool] = await Promise.all([SileroVad.load({ intraOpNumThreads: 1 }), ScoringPool.start({ threads: 2, vadModelPath })]);
  });
  after(async () => {
    await pool?.close();
    await vad?.release();
  });

  it('scores every speech fixture exactly as the main thread does (sub-scores, details hash, features), uniqueness included', async () => {
    // Same order, an index each: the copies meet their originals in both.
    const [inThread, pooled] = await Promise.all([
      scoreAll(createPipelineScorer({ vad, index: new FingerprintIndex() }), FIXTURES),
      scoreAll(createPooledScorer({ pool, index: new FingerprintIndex() }), FIXTURES),
    ]);
    expect(pooled.map(fields)).to.deep.equal(inThread.map(fields));
    expect(pooled.filter((r) => r.uniqueness < 10_000)).to.have.length.above(0);
    // And the analysis itself, number for number (timings aside).
    const samples = (await decodeAudio(read('ast-vm-sorry.wav'))).samples;
    const { timings: _a, ...here } = await analyseRecording(samples, { vad });
    const { timings: _b, ...there } = await pool.analyse(read('ast-vm-sorry.wav'));
    expect(there).to.deep.equal(here);
  });

  it('scores distinct files concurrently, each as it scores alone', async () => {
    const index = new FingerprintIndex();
    const scorer = createPooledScorer({ pool, index });
    const together = await Promise.all(DISTINCT.map((name) => scorer.score(opened(read(name), fileId(name)))));
    const alone = await Promise.all(DISTINCT.map((name) => createPipelineScorer({ vad, index: new FingerprintIndex() }).score(opened(read(name), fileId(name)))));
    expect(together.map(fields)).to.deep.equal(alone.map(fields));
    expect(index.size).to.equal(DISTINCT.length);
  });

  it('gives exactly one of two copies scored at once uniqueness 0', async () => {
    for (let round = 0; round < 3; round += 1) {
      const index = new FingerprintIndex();
      const scorer = createPooledScorer({ pool, index });
      const [a, b] = await Promise.all([0, 1].map((copy) => scorer.score(opened(read('ast-demo-nogo.wav'), fileId('ast-demo-nogo.wav', copy)))));
      expect([a!.uniqueness, b!.uniqueness].sort((x, y) => x - y)).to.deep.equal([0, 10_000]);
      expect(index.size).to.equal(1);
    }
  });

  it('moves the plaintext to the thread: the caller keeps an empty view, or zeros where a shared buffer held it', async () => {
    const whole = read('ast-vm-sorry.wav');
    await pool.analyse(whole);
    expect(whole.byteLength).to.equal(0);
    const wav = read('ast-vm-sorry.wav');
    const larger = new Uint8Array(wav.length + 16).fill(7);
    larger.set(wav, 8);
    const view = larger.subarray(8, 8 + wav.length);
    await pool.analyse(view);
    expect(view.every((b) => b === 0)).to.equal(true);
    expect([...larger.subarray(0, 8), ...larger.subarray(8 + wav.length)]).to.deep.equal(new Array(16).fill(7));
  });

  it('keeps a typed refusal\'s code, name and details across the thread boundary, and changes nothing stored', async () => {
    const index = new FingerprintIndex();
    const pooled = createPooledScorer({ pool, index });
    await pooled.score(opened(read('ast-vm-sorry.wav'), fileId('ast-vm-sorry.wav')));
    const inThread = createPipelineScorer({ vad, index: new FingerprintIndex() });
    const wav = read('ast-demo-nogo.wav');
    for (const bad of [new TextEncoder().encode('not audio at all, just text'), wav.slice(0, 1000)]) {
      const here = await failure(inThread.score(opened(bad.slice(), fileId('bad'))));
      const audio = bad.slice();
      const there = await failure(pooled.score(opened(audio, fileId('bad'))));
      expect(there).to.be.instanceOf(AudataError);
      expect(there.code).to.match(/^AUDIO_/);
      expect({ code: there.code, name: there.name, message: there.message, details: there.details, hint: there.hint }).to.deep.equal({ code: here.code, name: here.name, message: here.message, details: here.details, hint: here.hint });
      expect(audio.byteLength).to.equal(0);
    }
    expect(index.size).to.equal(1);
    const again = await pooled.score(opened(read('ast-vm-sorry.wav'), fileId('ast-vm-sorry.wav', 1)));
    expect(again.uniqueness).to.equal(0);
  });

  it('replaces a thread that crashes: its file fails as retryable, queued and later files are scored', async () => {
    const warnings: string[] = [];
    const crashing = await ScoringPool.start({ threads: 1, vadModelPath, entry: new URL('./testing/crashing-scoring-worker.ts', import.meta.url), onWarning: (m) => warnings.push(m) });
    try {
      const index = new FingerprintIndex();
      const scorer = createPooledScorer({ pool: crashing, index });
      const first = await scorer.score(opened(read('ast-vm-sorry.wav'), fileId('ast-vm-sorry.wav')));
      // One thread: the second file waits in the queue while the first crashes it.
      const [crashed, queued] = await Promise.allSettled([
        scorer.score(opened(new TextEncoder().encode('CRASH this thread'), fileId('crash'))),
        scorer.score(opened(read('ast-demo-nogo.wav'), fileId('ast-demo-nogo.wav'))),
      ]);
      expect(crashed.status).to.equal('rejected');
      const error = (crashed as PromiseRejectedResult).reason as AudataError;
      expect(error.code).to.equal('ENCLAVE_SCORING_WORKER_CRASHED');
      expect(error.details.retryable).to.equal(true);
      expect(queued.status).to.equal('fulfilled');
      expect(index.size).to.equal(2);
      const alone = await createPipelineScorer({ vad, index: new FingerprintIndex() }).score(opened(read('ast-demo-nogo.wav'), fileId('ast-demo-nogo.wav')));
      expect(fields((queued as PromiseFulfilledResult<ScoredContribution>).value)).to.deep.equal(fields(alone));
      expect(first.valid).to.equal(true);
      expect(crashing.threads).to.equal(1);
      expect(warnings.join('\n')).to.include('stopped');
    } finally {
      await crashing.close();
    }
    const closed = await failure(crashing.analyse(read('ast-vm-sorry.wav')));
    expect(closed.code).to.equal('ENCLAVE_SCORING_UNAVAILABLE');
  });

  it('stops a thread that holds a file past its limit: the file fails for good, the next is scored by the thread started in its place', async function () {
    // Limits of 1.8 s before decoding (3600 s x 0.5 ms) and 1 s after: ten times what these files take.
    const timeLimit = { floorMs: 1000, msPerAudioSecond: 0.5 };
    const warnings: string[] = [];
    const hanging = await ScoringPool.start({ threads: 2, vadModelPath, timeLimit, entry: new URL('./testing/hanging-scoring-worker.ts', import.meta.url), onWarning: (m) => warnings.push(m) });
    try {
      const index = new FingerprintIndex();
      const scorer = createPooledScorer({ pool: hanging, index });
      const inDecoder = new TextEncoder().encode('HANG before decoding');
      const wav = read('ast-vm-sorry.wav');
      const inAnalysis = new Uint8Array(wav.length + 4);
      inAnalysis.set(wav);
      inAnalysis.set(new TextEncoder().encode('HANG'), wav.length);
      const audioSeconds = (await decodeAudio(wav.slice())).durationSeconds;
      const started = performance.now();
      const [decoding, analysing, normal] = await Promise.allSettled([
        scorer.score(opened(inDecoder, fileId('hang-decode'))),
        scorer.score(opened(inAnalysis, fileId('hang-analysis'))),
        // Both threads are held: this file waits in the queue, then goes to the first replacement.
        scorer.score(opened(read('ast-demo-nogo.wav'), fileId('ast-demo-nogo.wav'))),
      ]);
      const elapsed = performance.now() - started;
      const reasonOf = (r: PromiseSettledResult<unknown>) => (r as PromiseRejectedResult).reason as AudataError;
      expect(decoding.status).to.equal('rejected');
      expect(reasonOf(decoding)).to.be.instanceOf(AudataError);
      expect(reasonOf(decoding).code).to.equal('ENCLAVE_SCORING_TIMEOUT');
      expect(reasonOf(decoding).details).to.deep.equal({ limitMs: 1800, audioBytes: 20, stage: 'decoding', retryable: false });
      expect(analysing.status).to.equal('rejected');
      expect(reasonOf(analysing).code).to.equal('ENCLAVE_SCORING_TIMEOUT');
      expect(reasonOf(analysing).details).to.deep.equal({ limitMs: 1000, audioBytes: wav.length + 4, stage: 'analysis', audioSeconds, retryable: false });
      expect(reasonOf(analysing).hint).to.include('AUDATA_SCORING_TIMEOUT_MS');
      expect(normal.status).to.equal('fulfilled');
      const alone = await createPipelineScorer({ vad, index: new FingerprintIndex() }).score(opened(read('ast-demo-nogo.wav'), fileId('ast-demo-nogo.wav')));
      expect(fields((normal as PromiseFulfilledResult<ScoredContribution>).value)).to.deep.equal(fields(alone));
      // The normal file waited for the first limit (1 s) and a thread to start, not for the longest.
      expect(elapsed).to.be.within(1800, 15_000);
      // Nothing judged or kept of the files that timed out; the plaintext left the caller.
      expect(index.size).to.equal(1);
      expect(inDecoder.byteLength).to.equal(0);
      expect(inAnalysis.byteLength).to.equal(0);
      expect(hanging.threads).to.equal(2);
      expect(warnings.filter((w) => w.includes('past its limit'))).to.have.length(2);
      // The threads stopped on purpose are not reported as crashes once their exit comes.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(warnings.filter((w) => w.includes('stopped (exit code'))).to.deep.equal([]);
      // Both replacements serve, and the pool still answers at once.
      const again = await Promise.all(DISTINCT.slice(0, 2).map((name) => hanging.analyse(read(name))));
      expect(again).to.have.length(2);
    } finally {
      await hanging.close();
    }
  });

  it('gives a file the larger of the floor and its allowance per second of audio, and the longest file\'s until decoded', () => {
    expect(scoringTimeLimitMs(DEFAULT_SCORING_TIME_LIMIT, 30)).to.equal(30_000);
    expect(scoringTimeLimitMs(DEFAULT_SCORING_TIME_LIMIT, 600)).to.equal(30_000);
    expect(scoringTimeLimitMs(DEFAULT_SCORING_TIME_LIMIT, 1800)).to.equal(90_000);
    expect(scoringTimeLimitMs(DEFAULT_SCORING_TIME_LIMIT, undefined)).to.equal(180_000);
    // A length past the decoder's cap cannot come from a thread; it never raises the limit.
    expect(scoringTimeLimitMs(DEFAULT_SCORING_TIME_LIMIT, 1e9)).to.equal(180_000);
    expect(scoringTimeLimitMs({ floorMs: 5000, msPerAudioSecond: 50 }, 10)).to.equal(5000);
  });

  it('refuses to start when a thread finds another model hash than the pinned one, or dies before it is ready', async () => {
    const error = await failure(ScoringPool.start({ threads: 1, vadModelPath, expectedVadSha256: '00'.repeat(32) }));
    expect(error.code).to.equal('VAD_MODEL_HASH_MISMATCH');
    const dead = await failure(ScoringPool.start({ threads: 1, vadModelPath, entry: new URL('./testing/no-such-worker.ts', import.meta.url) }));
    expect(dead.code).to.equal('ENCLAVE_SCORING_UNAVAILABLE');
  });

  it('runs its threads from the measured bundle itself', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'audata-pool-'));
    try {
      await buildEnclave(dir);
      // The image keeps node_modules beside the bundle (Dockerfile.enclave).
      symlinkSync(new URL('../../../node_modules', import.meta.url).pathname, join(dir, 'node_modules'));
      const bundled = await ScoringPool.start({ threads: 1, vadModelPath, entry: pathToFileURL(join(dir, 'enclave.mjs')) });
      try {
        const { timings: _a, ...there } = await bundled.analyse(read('ast-vm-sorry.wav'));
        const { timings: _b, ...here } = await analyseRecording((await decodeAudio(read('ast-vm-sorry.wav'))).samples, { vad });
        expect(there).to.deep.equal(here);
      } finally {
        await bundled.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
