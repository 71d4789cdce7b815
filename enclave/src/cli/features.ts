// `audata features logmel`: the Whisper-compatible log-mel features of one audio file, as
// the enclave computes them, so that a model owner can check the features match theirs.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { CliUsageError, EXIT_OK, parseCli, runCliCommand, type CliCommand, type CliIo } from '@audata/wire';
import { decodeAudio, type DecodedAudio } from '../audio/decode/index.ts';
import { AudioSourceUnreadableError } from '../audio/errors.ts';
import { logMelSpectrogram, type LogMelSpectrogram, type MelBands } from '../audio/logmel.ts';

const USAGE = 'audata features logmel AUDIO [--n-mels 80|128] [--json]';
/** Frames per write when printing JSON, so a long file is never one giant string. */
const FRAMES_PER_WRITE = 512;

async function decodeFile(path: string): Promise<DecodedAudio> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new AudioSourceUnreadableError(path, 'not a regular file');
  } catch (error) {
    if (error instanceof AudioSourceUnreadableError) throw error;
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new AudioSourceUnreadableError(path, code);
  }
  return decodeAudio(createReadStream(path, { highWaterMark: 256 * 1024 }));
}

function printJson(io: CliIo, spec: LogMelSpectrogram): void {
  io.stdout(`{"nMels":${spec.nMels},"frames":${spec.frames},"data":[`);
  for (let from = 0; from < spec.frames; from += FRAMES_PER_WRITE) {
    const rows: string[] = [];
    for (let f = from; f < Math.min(spec.frames, from + FRAMES_PER_WRITE); f++) {
      rows.push(`[${Array.from(spec.data.subarray(f * spec.nMels, (f + 1) * spec.nMels)).join(',')}]`);
    }
    io.stdout((from === 0 ? '' : ',') + rows.join(','));
  }
  io.stdout(']}\n');
}

function summary(path: string, audio: DecodedAudio, spec: LogMelSpectrogram, seconds: number): string {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let sum = 0;
  for (const v of spec.data) {
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  const mean = spec.data.length === 0 ? 0 : sum / spec.data.length;
  const range = spec.data.length === 0 ? 'none' : `${min.toFixed(3)} .. ${max.toFixed(3)} (mean ${mean.toFixed(3)})`;
  return [
    `file      ${path}`,
    `source    ${audio.codec}, ${audio.sourceSampleRate} Hz, ${audio.sourceChannels} channel(s), ${audio.durationSeconds.toFixed(3)} s`,
    `log-mel   ${spec.frames} frames x ${spec.nMels} bands (10 ms hop, Whisper definition)`,
    `values    ${range}`,
    `time      ${(seconds * 1000).toFixed(1)} ms decode + features`,
    '',
  ].join('\n');
}

export const features: CliCommand = (argv, io) =>
  runCliCommand(io, async () => {
    const { values, positionals } = parseCli(argv, { 'n-mels': { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, USAGE);
    if (values.help === true) {
      io.stdout(`Usage: ${USAGE}\n\nWhisper-compatible log-mel features of a WAV or Ogg Opus file (whole file, no 30 s padding).\n`);
      return EXIT_OK;
    }
    if (positionals[0] !== 'logmel') throw new CliUsageError(`Expected the subcommand "logmel"; received "${positionals[0] ?? ''}".`, USAGE);
    if (positionals.length !== 2) throw new CliUsageError(`Expected one AUDIO file; received ${positionals.length - 1}.`, USAGE);
    const raw = values['n-mels'] ?? '80';
    if (raw !== '80' && raw !== '128') throw new CliUsageError(`--n-mels must be 80 or 128; received "${raw}".`, USAGE);
    const nMels = Number(raw) as MelBands;
    const path = positionals[1]!;
    const started = performance.now();
    const audio = await decodeFile(path);
    const spec = logMelSpectrogram(audio.samples, { nMels });
    if (values.json === true) printJson(io, spec);
    else io.stdout(summary(path, audio, spec, (performance.now() - started) / 1000));
    return EXIT_OK;
  });

export default features;
