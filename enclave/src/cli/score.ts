// `audata score`: runs the scoring pipeline locally on audio files and prints the proof fields
// the enclave would sign, with each stage's speed. Files given together share one in-memory
// fingerprint index, so a copy among them scores uniqueness 0, as it would in the enclave.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { CliUsageError, EXIT_OK, parseCli, runCliCommand, type CliCommand, type CliIo } from '@audata/wire';
import { decodeAudio, type DecodedAudio } from '../audio/decode/index.ts';
import { AudioSourceUnreadableError } from '../audio/errors.ts';
import { scoreRecording, type ScoreResult, type Stage } from '../audio/pipeline.ts';
import { FingerprintIndex } from '../audio/uniqueness.ts';
import { SileroVad } from '../audio/vad.ts';

const USAGE = 'audata score AUDIO... [--json]';
const OWNERSHIP_NOTE = 'ownership is set to 1 here: a local file has no signed manifest; the enclave sets it from the manifest signature';

async function decodeFile(path: string): Promise<DecodedAudio> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new AudioSourceUnreadableError(path, 'not a regular file');
  } catch (error) {
    if (error instanceof AudioSourceUnreadableError) throw error;
    throw new AudioSourceUnreadableError(path, (error as NodeJS.ErrnoException).code ?? 'unknown error');
  }
  return decodeAudio(createReadStream(path, { highWaterMark: 256 * 1024 }));
}

type XRealTime = Record<Stage | 'decode' | 'total', number>;

function xRealTime(durationSeconds: number, decodeMs: number, timings: Record<Stage, number>): XRealTime {
  const x = (ms: number) => (ms > 0 ? durationSeconds / (ms / 1000) : Number.POSITIVE_INFINITY);
  const total = decodeMs + Object.values(timings).reduce((a, b) => a + b, 0);
  const out = { decode: x(decodeMs), total: x(total) } as XRealTime;
  for (const [stage, ms] of Object.entries(timings) as [Stage, number][]) out[stage] = x(ms);
  return out;
}

function text(path: string, r: ScoreResult, speed: XRealTime): string {
  const f = (v: number) => v.toFixed(3);
  const a = r.attributes;
  const fmt = (v: number) => (Number.isFinite(v) ? `${Math.round(v)}x` : 'inf');
  return [
    `file          ${path}`,
    `valid         ${r.valid}${a.invalidReason === null ? '' : ` (${a.invalidReason})`}`,
    `score         ${f(r.score)}`,
    `quality       ${f(r.quality)}   snr ${a.snrDb.toFixed(1)} dB, loudness ${a.loudnessLufs === null ? 'silent' : `${a.loudnessLufs.toFixed(1)} LUFS`}, bandwidth ${Math.round(a.bandwidthHz)} Hz, clipping ${(100 * a.clippingFraction).toFixed(2)} %`,
    `uniqueness    ${f(r.uniqueness)}${a.duplicateOf === null ? '' : `   matches ${a.duplicateOf.fileId} (BER ${a.duplicateOf.bitErrorRate.toFixed(3)}, coverage ${f(a.duplicateOf.coverage)})`}`,
    `authenticity  ${f(r.authenticity)}   pitch wobble ${a.pitchWobbleCents.toFixed(1)} cents, F0 ${Math.round(a.f0MedianHz)} Hz`,
    `ownership     ${f(r.ownership)}   (${OWNERSHIP_NOTE})`,
    `speech        ${a.speechSeconds.toFixed(2)} s of ${a.durationSeconds.toFixed(2)} s (${(100 * a.speechRatio).toFixed(0)} %)`,
    `x-real-time   ${(Object.entries(speed) as [string, number][]).map(([k, v]) => `${k} ${fmt(v)}`).join(', ')}`,
    '',
  ].join('\n');
}

function json(io: CliIo, results: object[]): void {
  io.stdout(`${JSON.stringify(results.length === 1 ? results[0] : results, null, 2)}\n`);
}

export const score: CliCommand = (argv, io) =>
  runCliCommand(io, async () => {
    const { values, positionals } = parseCli(argv, { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, USAGE);
    if (values.help === true) {
      io.stdout(`Usage: ${USAGE}\n\nScores WAV or Ogg Opus files with the enclave's pipeline and prints the proof fields.\n${OWNERSHIP_NOTE}.\n`);
      return EXIT_OK;
    }
    if (positionals.length === 0) throw new CliUsageError('Expected at least one AUDIO file.', USAGE);
    const vad = await SileroVad.load();
    const index = new FingerprintIndex();
    const results: object[] = [];
    try {
      for (const [k, path] of positionals.entries()) {
        const started = performance.now();
        const audio = await decodeFile(path);
        const decodeMs = performance.now() - started;
        const r = await scoreRecording(audio.samples, { vad, index, fileId: `${k + 1}:${path}`, ownership: 1 });
        const speed = xRealTime(audio.durationSeconds, decodeMs, r.timings);
        if (values.json === true) {
          const { timings: _timings, ...proof } = r;
          results.push({ file: path, ...proof, xRealTime: speed, note: OWNERSHIP_NOTE });
        } else {
          io.stdout(text(path, r, speed));
        }
      }
    } finally {
      await vad.release();
    }
    if (values.json === true) json(io, results);
    return EXIT_OK;
  });

export default score;
