// Real speech for the audio benchmarks: Debian's asterisk-core-sounds-en-wav prompts when
// installed (`make bench` installs them), else the repository's small fixture, repeated.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeAudio } from './decode/index.ts';

const ASTERISK = '/usr/share/asterisk/sounds/en';

/** About `seconds` of 16 kHz mono speech and where it came from. */
export async function loadSpeech(seconds: number): Promise<{ samples: Float32Array; source: string }> {
  const out = new Float32Array(Math.round(seconds * 16000));
  let filled = 0;
  let source: string;
  if (existsSync(ASTERISK)) {
    source = `${ASTERISK}/*.wav`;
    for (const name of readdirSync(ASTERISK).filter((n) => n.endsWith('.wav')).sort()) {
      if (filled >= out.length) break;
      const { samples } = await decodeAudio(new Uint8Array(readFileSync(join(ASTERISK, name))));
      const take = Math.min(samples.length, out.length - filled);
      out.set(samples.subarray(0, take), filled);
      filled += take;
    }
  } else {
    source = 'enclave/test-vectors/audio/speech-16k.wav (repeated; install asterisk-core-sounds-en-wav for more)';
  }
  if (filled < out.length) {
    const fixture = new URL('../../test-vectors/audio/speech-16k.wav', import.meta.url);
    const { samples } = await decodeAudio(new Uint8Array(readFileSync(fixture)));
    while (filled < out.length) {
      const take = Math.min(samples.length, out.length - filled);
      out.set(samples.subarray(0, take), filled);
      filled += take;
    }
  }
  return { samples: out, source };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/**
 * Seconds of CPU time `body` takes in this process (user + system). On a machine whose
 * cores other jobs share, wall-clock time mostly measures the other jobs; CPU time does not.
 */
export function cpuSeconds(body: () => void): number {
  const before = process.cpuUsage();
  body();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1e6;
}

/** Same for an async body. */
export async function cpuSecondsAsync(body: () => Promise<unknown>): Promise<number> {
  const before = process.cpuUsage();
  await body();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1e6;
}

/**
 * CPU nanoseconds per element of a plain multiply-add loop over Float32Arrays, measured
 * now: a yardstick for how fast this machine is at the moment the figures are taken.
 */
export function multiplyAddNanoseconds(): number {
  const a = new Float32Array(1 << 16).map((_, i) => Math.sin(i));
  const b = new Float32Array(1 << 16).map((_, i) => Math.cos(i));
  let sink = 0;
  const rounds = 200;
  const seconds = cpuSeconds(() => {
    for (let r = 0; r < rounds; r++) {
      let acc = 0;
      for (let i = 0; i < a.length; i++) acc += a[i]! * b[i]!;
      sink += acc;
    }
  });
  if (Number.isNaN(sink)) throw new Error('unreachable');
  return (seconds * 1e9) / (rounds * a.length);
}
