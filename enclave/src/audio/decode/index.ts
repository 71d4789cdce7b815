// The pipeline's one entry for encoded audio: sniffs the container, decodes block by block,
// downmixes and resamples on the fly into one 16 kHz mono buffer, and enforces the byte
// and duration caps while it goes, so a long or hostile file is refused early and a 1 h
// recording never exists as full-rate decoded samples in memory.
import { AudioDecodeStream, PIPELINE_SAMPLE_RATE, type AudioCodec, type DecodeOptions } from './stream.ts';

export {
  AudioDecodeStream,
  PIPELINE_SAMPLE_RATE,
  DEFAULT_MAX_BYTES,
  DEFAULT_MAX_DURATION_SECONDS,
  type AudioCodec,
  type AudioStreamInfo,
  type DecodeOptions,
} from './stream.ts';
export { WavDecoder, parseWavFormat, type WavFormat, type WavCodec } from './wav.ts';
export { OggOpusStreamDecoder, parseOpusHead, oggCrc, type OpusHead } from './ogg-opus.ts';
export { sniffContainer, type Container } from './sniff.ts';
export { StreamingResampler, resample } from '../resample.ts';

/** Block size used when a whole file is passed in memory, so it is still decoded in pieces. */
const BLOCK_BYTES = 256 * 1024;

export interface DecodedAudio {
  /** Mono samples at 16 kHz, full scale = 1. */
  samples: Float32Array;
  sampleRate: 16000;
  /** Rate of the encoded stream (Opus always codes at 48 kHz). */
  sourceSampleRate: number;
  sourceChannels: number;
  codec: AudioCodec;
  durationSeconds: number;
}

/** A Float32Array that grows by doubling, never past `cap` samples. */
class SampleBuffer {
  private data: Float32Array;
  length = 0;
  constructor(initial: number, private readonly cap: number) {
    this.data = new Float32Array(Math.max(1, Math.min(initial, cap)));
  }
  append(block: Float32Array): void {
    const needed = this.length + block.length;
    if (needed > this.data.length) {
      const grown = new Float32Array(Math.min(this.cap, Math.max(needed, this.data.length * 2)));
      grown.set(this.data.subarray(0, this.length));
      this.data = grown;
    }
    this.data.set(block, this.length);
    this.length = needed;
  }
  /** The samples, trimmed (one copy only when over-allocated by more than 1 %). */
  take(): Float32Array {
    if (this.data.length - this.length <= this.data.length / 100) return this.data.subarray(0, this.length);
    return this.data.slice(0, this.length);
  }
}

async function* blocks(source: Uint8Array | AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  if (source instanceof Uint8Array) {
    for (let at = 0; at < source.length; at += BLOCK_BYTES) yield source.subarray(at, at + BLOCK_BYTES);
  } else {
    for await (const chunk of source) yield chunk;
  }
}

/**
 * Decodes WAV or Ogg Opus bytes (whole, or streamed as an async iterable) to 16 kHz mono.
 * Throws an AudioError subclass for every kind of bad input; see ../README.md.
 */
export async function decodeAudio(source: Uint8Array | AsyncIterable<Uint8Array>, options: DecodeOptions = {}): Promise<DecodedAudio> {
  const stream = new AudioDecodeStream(options);
  let output: SampleBuffer | undefined;
  const keep = (samples: Float32Array): void => {
    if (output === undefined) {
      const info = stream.info;
      if (info === undefined) return; // nothing decoded yet (still inside the header)
      // With a declared length (capped by the duration limit) the buffer is allocated once.
      output = new SampleBuffer(info.declaredSamples ?? 30 * PIPELINE_SAMPLE_RATE, stream.maxSamples);
    }
    if (samples.length > 0) output.append(samples);
  };
  try {
    for await (const chunk of blocks(source)) keep(await stream.push(chunk));
    keep(await stream.end());
  } finally {
    stream.abort();
  }
  const info = stream.info!;
  return {
    samples: output!.take(),
    sampleRate: PIPELINE_SAMPLE_RATE,
    sourceSampleRate: info.sourceSampleRate,
    sourceChannels: info.sourceChannels,
    codec: info.codec,
    durationSeconds: stream.durationSeconds,
  };
}
