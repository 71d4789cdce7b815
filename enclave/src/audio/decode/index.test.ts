import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { AudioError } from '../errors.ts';
import { resample } from '../resample.ts';
import { encodeWav, type EncodeWavOptions } from './encode-wav.ts';
import { decodeAudio, type DecodeOptions } from './index.ts';
import { alawToLinear, mulawToLinear } from './wav.ts';

const fixtures = new URL('../../../test-vectors/audio/', import.meta.url);
const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(name, fixtures)));

function signal(rate: number, seconds: number): Float32Array {
  const out = new Float32Array(Math.round(rate * seconds));
  for (let i = 0; i < out.length; i++) {
    const t = i / rate;
    out[i] = 0.4 * Math.sin(2 * Math.PI * 440 * t) + 0.3 * Math.sin(2 * Math.PI * 1234.5 * t + 1) * Math.sin(2 * Math.PI * 3 * t);
  }
  return out;
}

async function* inBlocks(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.slice(at, at + size);
}

async function codeOf(input: Uint8Array | AsyncIterable<Uint8Array>, options?: DecodeOptions): Promise<string> {
  try {
    await decodeAudio(input, options);
    return 'OK';
  } catch (error) {
    if (error instanceof AudioError) return error.code;
    throw error;
  }
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).to.equal(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

const mono16: EncodeWavOptions = { sampleRate: 16000, encoding: 'pcm', bitsPerSample: 16 };

function setU32(bytes: Uint8Array, at: number, value: number): Uint8Array {
  const copy = bytes.slice();
  new DataView(copy.buffer).setUint32(at, value, true);
  return copy;
}

function setU16(bytes: Uint8Array, at: number, value: number): Uint8Array {
  const copy = bytes.slice();
  new DataView(copy.buffer).setUint16(at, value, true);
  return copy;
}

/** Offset of a chunk id in a WAV byte array. */
function chunkAt(bytes: Uint8Array, id: string): number {
  for (let i = 12; i + 4 <= bytes.length; i++) if (String.fromCharCode(...bytes.subarray(i, i + 4)) === id) return i;
  throw new Error(`no ${id}`);
}

describe('decodeAudio: WAV', () => {
  const reference = signal(16000, 0.5);
  const formats: [string, EncodeWavOptions, number][] = [
    ['8-bit PCM', { sampleRate: 16000, encoding: 'pcm', bitsPerSample: 8 }, 1 / 128],
    ['16-bit PCM', mono16, 1 / 32768],
    ['24-bit PCM', { sampleRate: 16000, encoding: 'pcm', bitsPerSample: 24 }, 1 / 8388608],
    ['32-bit PCM', { sampleRate: 16000, encoding: 'pcm', bitsPerSample: 32 }, 1e-7],
    ['32-bit float', { sampleRate: 16000, encoding: 'float', bitsPerSample: 32 }, 1e-7],
    ['64-bit float', { sampleRate: 16000, encoding: 'float', bitsPerSample: 64 }, 1e-7],
    ['extensible 24-bit PCM', { sampleRate: 16000, encoding: 'pcm', bitsPerSample: 24, extensible: true }, 1 / 8388608],
    ['extensible float', { sampleRate: 16000, encoding: 'float', bitsPerSample: 32, extensible: true }, 1e-7],
  ];
  for (const [name, options, step] of formats) {
    it(`decodes ${name} to the same signal`, async () => {
      const decoded = await decodeAudio(encodeWav([reference], options));
      expect(decoded.codec).to.equal(options.encoding === 'pcm' ? 'wav-pcm' : 'wav-float');
      expect(decoded.sourceChannels).to.equal(1);
      expect(decoded.durationSeconds).to.equal(0.5);
      expect(maxDiff(decoded.samples, reference)).to.be.at.most(step);
    });
  }

  it('decodes G.711 A-law and mu-law exactly as sox does', async () => {
    // SHA-256 of `sox speech-16k-<law>.wav -t s16 -` (sox 14.4, an independent G.711 decoder).
    const expected: Record<string, [string, string]> = {
      alaw: ['wav-alaw', 'ede6a3f03dbf5ce2933ba7fa67673d3398e0e75829d6bcf8ec5c9f57f1288ca8'],
      mulaw: ['wav-mulaw', 'fdda5054768a7a5127247f8c79c0c4ef8c713b1fffdb1f9107966d88d4850e55'],
    };
    for (const [law, [codec, digest]] of Object.entries(expected)) {
      const decoded = await decodeAudio(fixture(`speech-16k-${law}.wav`));
      expect(decoded.codec).to.equal(codec);
      const pcm = Int16Array.from(decoded.samples, (v) => Math.round(v * 32768));
      expect(createHash('sha256').update(new Uint8Array(pcm.buffer)).digest('hex'), law).to.equal(digest);
    }
  });

  it('maps G.711 code words to the standard linear values', () => {
    // ITU-T G.711: mu-law 0xFF/0x7F are +0/-0 and 0x80/0x00 the extremes; A-law 0xD5/0x55 the smallest steps.
    expect([0xff, 0x7f, 0x80, 0x00].map(mulawToLinear)).to.deep.equal([0, -0, 32124, -32124]);
    expect([0xd5, 0x55, 0xaa, 0x2a].map(alawToLinear)).to.deep.equal([8, -8, 32256, -32256]);
  });

  it('averages channels of multichannel files', async () => {
    const left = signal(16000, 0.25);
    const right = left.map((v) => -v / 2);
    const extra = left.map((v) => v / 2);
    const decoded = await decodeAudio(encodeWav([left, right, extra], { ...mono16, bitsPerSample: 24 }));
    expect(decoded.sourceChannels).to.equal(3);
    const expected = left.map((v) => v / 3);
    expect(maxDiff(decoded.samples, expected)).to.be.below(1e-6);
  });

  for (const rate of [44100, 48000, 8000, 22050]) {
    it(`resamples ${rate} Hz to 16 kHz on the fly, as the one-shot resampler does`, async () => {
      const source = signal(rate, 0.4);
      const decoded = await decodeAudio(inBlocks(encodeWav([source], { sampleRate: rate, encoding: 'float', bitsPerSample: 32 }), 1001));
      expect(decoded.sourceSampleRate).to.equal(rate);
      expect(maxDiff(decoded.samples, resample(source, rate))).to.equal(0);
    });
  }

  it('skips unknown chunks, honours odd-size padding and ignores the RIFF size', async () => {
    const odd = { id: 'LIST', body: new Uint8Array([1, 2, 3]) };
    const junk = { id: 'junk', body: new Uint8Array(10).fill(0xaa) };
    const bytes = encodeWav([reference], { ...mono16, extraChunks: [odd, junk] });
    for (const riffSize of [0, 4, 0xffffffff, bytes.length * 3]) {
      const decoded = await decodeAudio(setU32(bytes, 4, riffSize));
      expect(maxDiff(decoded.samples, reference)).to.be.at.most(1 / 32768);
    }
  });

  it('decodes the same from one block or from 7-byte blocks', async () => {
    const bytes = encodeWav([reference], { ...mono16, extensible: true, extraChunks: [{ id: 'fact', body: new Uint8Array(4) }] });
    const whole = await decodeAudio(bytes);
    const streamed = await decodeAudio(inBlocks(bytes, 7));
    expect(maxDiff(whole.samples, streamed.samples)).to.equal(0);
  });

  it('reads to the end of the stream when the data size is the 0xFFFFFFFF placeholder', async () => {
    const bytes = encodeWav([reference], mono16);
    const decoded = await decodeAudio(setU32(bytes, chunkAt(bytes, 'data') + 4, 0xffffffff));
    expect(maxDiff(decoded.samples, reference)).to.be.at.most(1 / 32768);
  });

  it('ignores bytes after the data chunk', async () => {
    const bytes = encodeWav([reference], mono16);
    const trailing = new Uint8Array(bytes.length + 5);
    trailing.set(bytes);
    trailing.set([0x4c, 0x49, 0x53], bytes.length);
    expect(await codeOf(trailing)).to.equal('OK');
  });

  it('refuses a data size larger than the stream: AUDIO_TRUNCATED', async () => {
    const bytes = encodeWav([reference], mono16);
    expect(await codeOf(setU32(bytes, chunkAt(bytes, 'data') + 4, bytes.length * 2))).to.equal('AUDIO_TRUNCATED');
    expect(await codeOf(bytes.subarray(0, bytes.length - 100))).to.equal('AUDIO_TRUNCATED');
  });

  it('refuses headers cut anywhere: AUDIO_TRUNCATED', async () => {
    const bytes = encodeWav([reference], { ...mono16, extraChunks: [{ id: 'LIST', body: new Uint8Array(30) }] });
    const dataBody = chunkAt(bytes, 'data') + 8;
    for (let cut = 1; cut <= dataBody; cut++) expect(await codeOf(bytes.subarray(0, cut)), `cut at ${cut}`).to.equal('AUDIO_TRUNCATED');
  });

  it('refuses files without samples: AUDIO_EMPTY', async () => {
    expect(await codeOf(encodeWav([new Float32Array(0)], mono16))).to.equal('AUDIO_EMPTY');
    expect(await codeOf(new Uint8Array(0))).to.equal('AUDIO_EMPTY');
  });

  it('refuses codecs it does not decode: AUDIO_UNSUPPORTED_CODEC', async () => {
    const bytes = encodeWav([reference], mono16);
    expect(await codeOf(setU16(bytes, 20, 0x55))).to.equal('AUDIO_UNSUPPORTED_CODEC'); // MP3 in WAV
    expect(await codeOf(setU16(bytes, 34, 12))).to.equal('AUDIO_UNSUPPORTED_CODEC'); // 12-bit PCM
    const ext = encodeWav([reference], { ...mono16, extensible: true });
    const badGuid = ext.slice();
    badGuid[50] = 0x11; // a GUID tail that is not KSDATAFORMAT_SUBTYPE_*
    expect(await codeOf(badGuid)).to.equal('AUDIO_UNSUPPORTED_CODEC');
    expect(await codeOf(setU16(ext, 44, 0x55))).to.equal('AUDIO_UNSUPPORTED_CODEC');
    const rifx = bytes.slice();
    rifx.set([0x52, 0x49, 0x46, 0x58]);
    expect(await codeOf(rifx)).to.equal('AUDIO_UNSUPPORTED_CODEC');
  });

  it('refuses contradictory headers: AUDIO_MALFORMED_HEADER', async () => {
    const bytes = encodeWav([reference], mono16);
    expect(await codeOf(setU16(bytes, 32, 3))).to.equal('AUDIO_MALFORMED_HEADER'); // blockAlign
    expect(await codeOf(setU16(bytes, 22, 0))).to.equal('AUDIO_MALFORMED_HEADER'); // no channels
    expect(await codeOf(setU32(bytes, 24, 0))).to.equal('AUDIO_MALFORMED_HEADER'); // 0 Hz
    expect(await codeOf(setU32(bytes, 16, 0x7fffffff))).to.equal('AUDIO_MALFORMED_HEADER'); // absurd fmt size
    expect(await codeOf(setU32(bytes, 16, 8))).to.equal('AUDIO_MALFORMED_HEADER'); // fmt too short
    const dataFirst = bytes.slice();
    dataFirst.set([0x64, 0x61, 0x74, 0x61], 12); // 'fmt ' renamed 'data'
    expect(await codeOf(dataFirst)).to.equal('AUDIO_MALFORMED_HEADER');
    expect(await codeOf(setU32(bytes, chunkAt(bytes, 'data') + 4, 1001))).to.equal('AUDIO_MALFORMED_HEADER'); // half a frame
  });

  it('never allocates from absurd declared sizes', async () => {
    const bytes = encodeWav([reference], { ...mono16, extraChunks: [{ id: 'junk', body: new Uint8Array(2) }] });
    // A skipped chunk that claims 4 GB: streamed over, then the stream ends inside it.
    expect(await codeOf(setU32(bytes, chunkAt(bytes, 'junk') + 4, 0xfffffff0))).to.equal('AUDIO_TRUNCATED');
    // A data chunk that claims 37 hours: refused before any decoding.
    expect(await codeOf(setU32(bytes, chunkAt(bytes, 'data') + 4, 0xfffffff0))).to.equal('AUDIO_TOO_LONG');
  });

  it('enforces the duration cap, declared or streamed: AUDIO_TOO_LONG', async () => {
    const bytes = encodeWav([reference], mono16);
    expect(await codeOf(bytes, { maxDurationSeconds: 0.4 })).to.equal('AUDIO_TOO_LONG');
    expect(await codeOf(bytes, { maxDurationSeconds: 0.5 })).to.equal('OK');
    const unknownLength = setU32(bytes, chunkAt(bytes, 'data') + 4, 0xffffffff);
    expect(await codeOf(inBlocks(unknownLength, 1000), { maxDurationSeconds: 0.4 })).to.equal('AUDIO_TOO_LONG');
  });

  it('enforces the byte cap: AUDIO_TOO_LARGE', async () => {
    const bytes = encodeWav([reference], mono16);
    expect(await codeOf(inBlocks(bytes, 4096), { maxBytes: 10_000 })).to.equal('AUDIO_TOO_LARGE');
  });

  it('refuses non-finite float samples: AUDIO_CORRUPT', async () => {
    const bad = reference.slice();
    bad[100] = Number.NaN;
    expect(await codeOf(encodeWav([bad], { ...mono16, encoding: 'float', bitsPerSample: 32 }))).to.equal('AUDIO_CORRUPT');
  });
});

describe('decodeAudio: container sniffing', () => {
  it('names containers it knows but does not decode: AUDIO_UNSUPPORTED_CODEC', async () => {
    const ascii = (text: string): Uint8Array => new Uint8Array([...text].map((c) => c.charCodeAt(0)));
    for (const head of ['fLaC\0\0\0\x22\x12\0\x12\0', 'ID3\x04\0\0\0\0\0\0\0\0', '\0\0\0\x20ftypM4A \0\0', '#!AMR\n\0\0\0\0\0\0', 'RIFF\0\0\0\0AVI ']) {
      expect(await codeOf(ascii(head)), JSON.stringify(head)).to.equal('AUDIO_UNSUPPORTED_CODEC');
    }
    expect(await codeOf(fixture('vorbis.ogg'))).to.equal('AUDIO_UNSUPPORTED_CODEC');
  });

  it('refuses anything else: AUDIO_UNKNOWN_FORMAT', async () => {
    expect(await codeOf(new TextEncoder().encode('<html><body>not audio</body></html>'))).to.equal('AUDIO_UNKNOWN_FORMAT');
  });
});

describe('decodeAudio: Ogg Opus', () => {
  it('decodes a mono 16 kbit/s voice note to 16 kHz', async () => {
    const decoded = await decodeAudio(fixture('voice-note.opus'));
    expect(decoded.codec).to.equal('ogg-opus');
    expect(decoded.sourceSampleRate).to.equal(48000);
    expect(decoded.sourceChannels).to.equal(1);
    expect(decoded.samples.length).to.equal(8 * 16000);
    let energy = 0;
    for (const v of decoded.samples) energy += v * v;
    const rms = Math.sqrt(energy / decoded.samples.length);
    expect(rms).to.be.within(0.05, 0.3);
  });

  it('downmixes stereo and keeps the tones', async () => {
    const decoded = await decodeAudio(fixture('stereo-tones.opus'));
    expect(decoded.sourceChannels).to.equal(2);
    expect(decoded.samples.length).to.equal(2 * 16000);
    let energy = 0;
    for (let i = 4000; i < 28000; i++) energy += decoded.samples[i]! ** 2;
    // Two unrelated tones of amplitude 0.5, one per channel, averaged: RMS 0.25.
    expect(Math.sqrt(energy / 24000)).to.be.within(0.23, 0.27);
  });

  it('decodes the same from whole bytes or from small blocks', async () => {
    const bytes = fixture('voice-note.opus');
    const whole = await decodeAudio(bytes);
    const streamed = await decodeAudio(inBlocks(bytes, 333));
    expect(maxDiff(whole.samples, streamed.samples)).to.equal(0);
  });

  it('refuses a cut stream: AUDIO_TRUNCATED', async () => {
    const bytes = fixture('voice-note.opus');
    expect(await codeOf(bytes.subarray(0, bytes.length - 10))).to.equal('AUDIO_TRUNCATED');
    expect(await codeOf(bytes.subarray(0, 20))).to.equal('AUDIO_TRUNCATED');
  });

  it('refuses damaged or missing pages: AUDIO_CORRUPT', async () => {
    const bytes = fixture('voice-note.opus');
    const flipped = bytes.slice();
    flipped[3000] = flipped[3000]! ^ 0x10;
    expect(await codeOf(flipped)).to.equal('AUDIO_CORRUPT');
  });

  it('refuses an Ogg stream that is not Opus, or a broken OpusHead', async () => {
    expect(await codeOf(fixture('vorbis.ogg'))).to.equal('AUDIO_UNSUPPORTED_CODEC');
  });

  it('enforces the duration cap while decoding: AUDIO_TOO_LONG', async () => {
    expect(await codeOf(fixture('voice-note.opus'), { maxDurationSeconds: 5 })).to.equal('AUDIO_TOO_LONG');
  });
});

describe('decodeAudio: damaged input only ever gives typed errors', () => {
  /** Deterministic PRNG (mulberry32) so a failure can be replayed. */
  function rng(seed: number): () => number {
    return () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  function mutate(bytes: Uint8Array, random: () => number): Uint8Array {
    const kind = Math.floor(random() * 4);
    if (kind === 0) return bytes.slice(0, Math.floor(random() * bytes.length));
    const copy = bytes.slice();
    const edits = 1 + Math.floor(random() * 8);
    // Mutations favour the first bytes, where the headers are.
    for (let i = 0; i < edits; i++) {
      const at = Math.floor(random() ** (kind === 1 ? 3 : 1) * copy.length);
      copy[at] = kind === 3 ? 0xff : Math.floor(random() * 256);
    }
    return copy;
  }

  const inputs: [string, Uint8Array, number][] = [
    ['WAV', encodeWav([signal(22050, 0.2), signal(22050, 0.2)], { sampleRate: 22050, encoding: 'pcm', bitsPerSample: 24, extensible: true }), 300],
    ['WAV float', encodeWav([signal(16000, 0.2)], { sampleRate: 16000, encoding: 'float', bitsPerSample: 32 }), 200],
    ['Ogg Opus', fixture('stereo-tones.opus'), 60],
  ];
  for (const [name, bytes, cases] of inputs) {
    it(`${name}: ${cases} random truncations and mutations`, async () => {
      const random = rng(name.length * 7919);
      const seen = new Set<string>();
      for (let i = 0; i < cases; i++) {
        const input = mutate(bytes, random);
        const started = performance.now();
        seen.add(await codeOf(inBlocks(input, 1 + Math.floor(random() * 5000)), { maxDurationSeconds: 10 }));
        expect(performance.now() - started, `case ${i}`).to.be.below(5000);
      }
      expect(seen.size).to.be.greaterThan(1);
    });
  }
});
