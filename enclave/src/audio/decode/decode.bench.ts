// Decode + resample x-real-time on real speech for each input kind the pipeline meets,
// beside the standard native tools doing the same job in the same run (sox's `rate`
// resampler for WAV, opusdec for Ogg Opus), when they are installed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuSecondsAsync, loadSpeech, median, multiplyAddNanoseconds } from '../bench-speech.ts';
import { resample } from '../resample.ts';
import { encodeWav } from './encode-wav.ts';
import { decodeAudio } from './index.ts';

const SECONDS = 120;
const { samples, source } = await loadSpeech(SECONDS);
const dir = mkdtempSync(join(tmpdir(), 'audata-decode-bench-'));

function has(tool: string): boolean {
  return spawnSync(tool, ['--version'], { stdio: 'ignore' }).status === 0;
}

/** CPU seconds (user + system) a child process used. */
function childCpu(command: string, args: string[]): number {
  const result = spawnSync('bash', ['-c', `TIMEFORMAT='%U %S'; time ${command} ${args.map((a) => `'${a}'`).join(' ')} >/dev/null 2>/dev/null`], {
    encoding: 'utf8',
  });
  const [user, system] = result.stderr.trim().split('\n').pop()!.split(' ').map(Number);
  return user! + system!;
}

try {
  const inputs: { name: string; file: string; reference?: [string, string[]] }[] = [];
  for (const [rate, channels] of [[16000, 1], [48000, 1], [44100, 2], [8000, 1]] as const) {
    const mono = rate === 16000 ? samples : resample(samples, 16000, rate);
    const file = join(dir, `speech-${rate}-${channels}.wav`);
    writeFileSync(file, encodeWav(Array.from({ length: channels }, () => mono), { sampleRate: rate, encoding: 'pcm', bitsPerSample: 16 }));
    inputs.push({ name: `WAV 16-bit ${rate} Hz ${channels === 1 ? 'mono' : 'stereo'}`, file, reference: ['sox', [file, '-t', 'f32', '-c', '1', '-r', '16000', '-']] });
  }
  if (has('opusenc')) {
    const wav = join(dir, 'speech-16000-1.wav');
    const file = join(dir, 'voice-note.opus');
    spawnSync('opusenc', ['--quiet', '--bitrate', '16', wav, file]);
    inputs.push({ name: 'Ogg Opus mono 16 kbit/s', file, reference: ['opusdec', ['--quiet', '--rate', '16000', file, '-']] });
  } else {
    console.log('(opusenc not installed: no Ogg Opus row)');
  }
  const haveSox = has('sox');
  console.log(`machine yardstick: a plain multiply-add loop takes ${multiplyAddNanoseconds().toFixed(2)} ns of CPU per element now`);
  console.log(`speech: ${SECONDS} s from ${source}; x real time = audio seconds / CPU seconds, one core; median of 3\n`);
  console.log('| input | ours: decode + resample to 16 kHz mono (x real time) | native tool, same job (x real time) | ours / native |');
  console.log('|---|---|---|---|');
  const { readFileSync } = await import('node:fs');
  for (const input of inputs) {
    const bytes = new Uint8Array(readFileSync(input.file));
    await decodeAudio(bytes); // warm-up
    const ours: number[] = [];
    const native: number[] = [];
    for (let run = 0; run < 3; run++) {
      ours.push(SECONDS / (await cpuSecondsAsync(() => decodeAudio(bytes))));
      const [tool, args] = input.reference!;
      if (tool === 'opusdec' || haveSox) native.push(SECONDS / childCpu(tool, args));
    }
    const a = median(ours);
    const b = native.length > 0 ? median(native) : Number.NaN;
    const tool = input.reference![0];
    console.log(`| ${input.name} | ${a.toFixed(0)} | ${Number.isNaN(b) ? 'n/a' : `${b.toFixed(0)} (${tool})`} | ${Number.isNaN(b) ? 'n/a' : (a / b).toFixed(2)} |`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
