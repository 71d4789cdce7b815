import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { encodeWav } from './encode-wav.ts';
import { AudioDecodeStream, decodeAudio } from './index.ts';

const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(`../../../test-vectors/audio/${name}`, import.meta.url)));

async function pushAll(bytes: Uint8Array, block: number): Promise<{ samples: number[]; infoAfterFirstBlock: unknown; stream: AudioDecodeStream }> {
  const stream = new AudioDecodeStream();
  const samples: number[] = [];
  let infoAfterFirstBlock: unknown;
  for (let at = 0; at < bytes.length; at += block) {
    samples.push(...(await stream.push(bytes.subarray(at, at + block))));
    if (at === 0) infoAfterFirstBlock = stream.info;
  }
  samples.push(...(await stream.end()));
  return { samples, infoAfterFirstBlock, stream };
}

describe('AudioDecodeStream', () => {
  it('hands out 16 kHz samples as bytes arrive, the same as decodeAudio in the end', async () => {
    const tone = new Float32Array(44100).map((_, i) => 0.5 * Math.sin(i / 10));
    const wav = encodeWav([tone, tone], { sampleRate: 44100, encoding: 'pcm', bitsPerSample: 24 });
    for (const bytes of [wav, fixture('voice-note.opus')]) {
      const whole = await decodeAudio(bytes);
      const { samples, stream } = await pushAll(bytes, 4096);
      expect(samples).to.deep.equal(Array.from(whole.samples));
      expect(stream.durationSeconds).to.equal(whole.durationSeconds);
      expect(stream.info?.codec).to.equal(whole.codec);
    }
  });

  it('knows the header facts once the header is in', async () => {
    const wav = encodeWav([new Float32Array(48000)], { sampleRate: 48000, encoding: 'float', bitsPerSample: 32 });
    const { infoAfterFirstBlock } = await pushAll(wav, 100);
    expect(infoAfterFirstBlock).to.deep.equal({ codec: 'wav-float', sourceSampleRate: 48000, sourceChannels: 1, declaredSamples: 16000 });
    const early = new AudioDecodeStream();
    await early.push(wav.subarray(0, 20));
    expect(early.info).to.equal(undefined);
    early.abort();
  });

  it('enforces the duration cap while samples flow', async () => {
    const stream = new AudioDecodeStream({ maxDurationSeconds: 2 });
    const bytes = fixture('voice-note.opus');
    let error: unknown;
    try {
      for (let at = 0; at < bytes.length; at += 1000) await stream.push(bytes.subarray(at, at + 1000));
    } catch (caught) {
      error = caught;
    } finally {
      stream.abort();
    }
    expect(error).to.have.property('code', 'AUDIO_TOO_LONG');
  });
});

describe('AudioDecodeStream with a caller that reuses its buffer', () => {
  it('copies what it keeps, so overwriting a pushed buffer changes nothing', async () => {
    for (const bytes of [fixture('voice-note.opus'), encodeWav([new Float32Array(8000).map((_, i) => Math.sin(i / 7))], { sampleRate: 22050, encoding: 'pcm', bitsPerSample: 24 })]) {
      const expected = Array.from((await decodeAudio(bytes)).samples);
      const stream = new AudioDecodeStream();
      const scratch = new Uint8Array(1001);
      const got: number[] = [];
      for (let at = 0; at < bytes.length; at += scratch.length) {
        const piece = bytes.subarray(at, at + scratch.length);
        scratch.set(piece);
        got.push(...(await stream.push(scratch.subarray(0, piece.length))));
        scratch.fill(0xa5); // the caller reuses its buffer for the next piece
      }
      got.push(...(await stream.end()));
      expect(got).to.deep.equal(expected);
    }
  });
});
