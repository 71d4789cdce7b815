// Peak memory of decoding a 1 h WAV streamed from disk: the budget is "never 1 h of decoded
// float samples twice". Each case runs in a fresh child process, so its peak RSS is its own.
import { spawnSync } from 'node:child_process';
import { closeSync, createReadStream, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeWav } from './encode-wav.ts';
import { decodeAudio } from './index.ts';

const HOUR = 3600;
const MB = 1024 * 1024;

if (process.argv[2] === '--child') {
  const file = process.argv[3]!;
  const before = process.memoryUsage().rss;
  const started = process.cpuUsage();
  const decoded = await decodeAudio(createReadStream(file, { highWaterMark: 256 * 1024 }), { maxDurationSeconds: HOUR });
  const cpu = process.cpuUsage(started);
  const peak = process.resourceUsage().maxRSS * 1024;
  console.log(JSON.stringify({ before, peak, samples: decoded.samples.length, cpu: (cpu.user + cpu.system) / 1e6 }));
  process.exit(0);
}

/** Writes a 1 h 16-bit WAV block by block (speech-like noise bursts), never holding it in memory. */
function writeHourWav(file: string, rate: number, unknownLength: boolean): number {
  const header = encodeWav([new Float32Array(0)], { sampleRate: rate, encoding: 'pcm', bitsPerSample: 16 });
  const view = new DataView(header.buffer);
  const dataBytes = HOUR * rate * 2;
  view.setUint32(4, unknownLength ? 0xffffffff : 36 + dataBytes, true);
  view.setUint32(40, unknownLength ? 0xffffffff : dataBytes, true);
  const fd = openSync(file, 'w');
  writeSync(fd, header);
  const block = new Int16Array(rate);
  let seed = 12345;
  for (let second = 0; second < HOUR; second++) {
    for (let i = 0; i < block.length; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      const envelope = Math.sin((Math.PI * (i % (rate / 4))) / (rate / 4)) ** 2;
      block[i] = Math.round(((seed / 4294967296) * 2 - 1) * 8000 * envelope);
    }
    writeSync(fd, new Uint8Array(block.buffer));
  }
  closeSync(fd);
  return 44 + dataBytes;
}

const dir = mkdtempSync(join(tmpdir(), 'audata-memory-bench-'));
try {
  const output = HOUR * 16000 * 4;
  console.log('1 h WAV streamed from disk (256 KiB reads) through decodeAudio; peak RSS of a fresh process.');
  console.log(`For scale: 1 h of 16 kHz mono float32 (the result) = ${(output / MB).toFixed(0)} MB; 1 h of 48 kHz mono float32 = ${((HOUR * 48000 * 4) / MB).toFixed(0)} MB.\n`);
  console.log('| input | file | peak RSS | RSS before decode | result | peak - before | x real time (CPU) |');
  console.log('|---|---|---|---|---|---|---|');
  for (const [rate, unknownLength] of [[48000, false], [16000, true]] as const) {
    const file = join(dir, `hour-${rate}.wav`);
    const size = writeHourWav(file, rate, unknownLength);
    const child = spawnSync(process.execPath, ['--import', 'tsx', new URL(import.meta.url).pathname, '--child', file], { encoding: 'utf8' });
    rmSync(file);
    if (child.status !== 0) throw new Error(`child failed: ${child.stderr}`);
    const r = JSON.parse(child.stdout.trim().split('\n').pop()!) as { before: number; peak: number; samples: number; cpu: number };
    const label = `${rate} Hz 16-bit mono${unknownLength ? ', data size 0xFFFFFFFF (length unknown)' : ''}`;
    console.log(
      `| ${label} | ${(size / MB).toFixed(0)} MB | ${(r.peak / MB).toFixed(0)} MB | ${(r.before / MB).toFixed(0)} MB | ${((r.samples * 4) / MB).toFixed(0)} MB | ${((r.peak - r.before) / MB).toFixed(0)} MB | ${(HOUR / r.cpu).toFixed(0)} |`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
