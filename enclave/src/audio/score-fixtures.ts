// Test and benchmark helpers: reads the 16-bit PCM, 16 kHz mono WAV fixtures in
// enclave/test-vectors/speech and makes synthetic signals with a seeded generator. Not used by
// the pipeline itself, which receives samples from the decode stage.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export const SPEECH_FIXTURES = new URL('../../test-vectors/speech/', import.meta.url).pathname;

/** Reads a canonical 16-bit PCM mono WAV (fixtures written by sox); throws on anything else. */
export function readPcm16Wav(path: string): { samples: Float32Array; sampleRate: number } {
  const b = readFileSync(path);
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (b.toString('latin1', 0, 4) !== 'RIFF' || b.toString('latin1', 8, 12) !== 'WAVE') throw new Error(`${path}: not a WAV`);
  let offset = 12;
  let sampleRate = 0;
  while (offset + 8 <= b.length) {
    const id = b.toString('latin1', offset, offset + 4);
    const size = view.getUint32(offset + 4, true);
    const body = offset + 8;
    if (id === 'fmt ') {
      const format = view.getUint16(body, true);
      const channels = view.getUint16(body + 2, true);
      const bits = view.getUint16(body + 14, true);
      sampleRate = view.getUint32(body + 4, true);
      if (!((format === 1 || format === 0xfffe) && channels === 1 && bits === 16)) throw new Error(`${path}: not 16-bit mono PCM`);
    } else if (id === 'data') {
      const n = Math.floor(Math.min(size, b.length - body) / 2);
      const samples = new Float32Array(n);
      for (let i = 0; i < n; i += 1) samples[i] = view.getInt16(body + 2 * i, true) / 32768;
      return { samples, sampleRate };
    }
    offset = body + size + (size & 1);
  }
  throw new Error(`${path}: no data chunk`);
}

export function readFixture(name: string): Float32Array {
  const { samples, sampleRate } = readPcm16Wav(join(SPEECH_FIXTURES, name));
  if (sampleRate !== 16000) throw new Error(`${name}: ${sampleRate} Hz, fixtures are 16 kHz`);
  return samples;
}

export function fixtureNames(prefix: string): string[] {
  return readdirSync(SPEECH_FIXTURES).filter((n) => n.startsWith(prefix) && n.endsWith('.wav')).sort();
}

/** Mulberry32: a small seeded generator so generated noise is the same on every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Gaussian white noise with the given RMS. */
export function whiteNoise(n: number, rms: number, seed = 1): Float32Array {
  const rnd = seededRandom(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(rnd() + 1e-12));
    const a = 2 * Math.PI * rnd();
    out[i] = rms * r * Math.cos(a);
    if (i + 1 < n) out[i + 1] = rms * r * Math.sin(a);
  }
  return out;
}

export function sine(n: number, freq: number, amplitude: number, sampleRate = 16000): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 1) out[i] = amplitude * Math.sin((2 * Math.PI * freq * i) / sampleRate);
  return out;
}

export function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
