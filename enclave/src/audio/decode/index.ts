// The pipeline's one entry for encoded audio: sniffs the container, decodes block by block,
// downmixes and resamples on the fly into one 16 kHz mono buffer, and enforces the byte
// and duration caps while it goes, so a long or hostile file is refused early and a 1 h
// recording never exists as full-rate decoded samples in memory.
import { AudioEmptyError, AudioTooLargeError, AudioTooLongError } from '../errors.ts';
import { StreamingResampler } from '../resample.ts';
import { OggOpusStreamDecoder } from './ogg-opus.ts';
import { SNIFF_BYTES, sniffContainer } from './sniff.ts';
import { WavDecoder, type WavCodec } from './wav.ts';

export { WavDecoder, parseWavFormat, type WavFormat, type WavCodec } from './wav.ts';
export { OggOpusStreamDecoder, parseOpusHead, oggCrc, type OpusHead } from './ogg-opus.ts';
export { sniffContainer, type Container } from './sniff.ts';
export { StreamingResampler, resample } from '../resample.ts';

export const PIPELINE_SAMPLE_RATE = 16000;
export const DEFAULT_MAX_DURATION_SECONDS = 3600;
/** Default cap on encoded bytes: 1 h of 48 kHz stereo float32 with room to spare. */
export const DEFAULT_MAX_BYTES = 2 * 1024 ** 3;
/** Block size used when a whole file is passed in memory, so it is still decoded in pieces. */
const BLOCK_BYTES = 256 * 1024;

export type AudioCodec = WavCodec | 'ogg-opus';

export interface DecodeOptions {
  /** Longest accepted audio in seconds (default 3600). */
  maxDurationSeconds?: number;
  /** Largest accepted encoded input in bytes (default 2 GiB). */
  maxBytes?: number;
}

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
  /** Appends; returns false (appending nothing) when `cap` would be exceeded. */
  append(block: Float32Array): boolean {
    const needed = this.length + block.length;
    if (needed > this.cap) return false;
    if (needed > this.data.length) {
      const grown = new Float32Array(Math.min(this.cap, Math.max(needed, this.data.length * 2)));
      grown.set(this.data.subarray(0, this.length));
      this.data = grown;
    }
    this.data.set(block, this.length);
    this.length = needed;
    return true;
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
    for await (const chunk of source) if (chunk.length > 0) yield chunk;
  }
}

interface StreamDecoder {
  push(bytes: Uint8Array): Float32Array | Promise<Float32Array>;
  finish(): Float32Array | Promise<Float32Array>;
  release(): void;
  readonly rate: number | undefined;
  readonly channels: number | undefined;
  readonly codec: AudioCodec | undefined;
  readonly declaredFrames: number | undefined;
}

function wavStream(): StreamDecoder {
  const wav = new WavDecoder();
  return {
    push: (bytes) => wav.push(bytes),
    finish: () => {
      wav.end();
      return new Float32Array(0);
    },
    release: () => undefined,
    get rate() {
      return wav.format?.sampleRate;
    },
    get channels() {
      return wav.format?.channels;
    },
    get codec() {
      return wav.format?.codec;
    },
    get declaredFrames() {
      return wav.declaredFrames;
    },
  };
}

function opusStream(): StreamDecoder {
  const ogg = new OggOpusStreamDecoder(PIPELINE_SAMPLE_RATE);
  return {
    push: (bytes) => ogg.push(bytes),
    finish: () => ogg.end(),
    release: () => ogg.free(),
    // Decoded straight to 16 kHz: nothing left to resample.
    get rate() {
      return ogg.head === undefined ? undefined : PIPELINE_SAMPLE_RATE;
    },
    get channels() {
      return ogg.head?.channels;
    },
    get codec() {
      return ogg.head === undefined ? undefined : 'ogg-opus';
    },
    declaredFrames: undefined,
  };
}

/**
 * Decodes WAV or Ogg Opus bytes (whole, or streamed as an async iterable) to 16 kHz mono.
 * Throws an AudioError subclass for every kind of bad input; see ../README.md.
 */
export async function decodeAudio(source: Uint8Array | AsyncIterable<Uint8Array>, options: DecodeOptions = {}): Promise<DecodedAudio> {
  const maxSeconds = options.maxDurationSeconds ?? DEFAULT_MAX_DURATION_SECONDS;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  if (!(maxSeconds > 0 && Number.isFinite(maxSeconds))) throw new RangeError(`maxDurationSeconds must be positive, received ${maxSeconds}`);
  if (!(maxBytes > 0)) throw new RangeError(`maxBytes must be positive, received ${maxBytes}`);
  // The resampler may round the length up by one sample.
  const maxSamples = Math.ceil(maxSeconds * PIPELINE_SAMPLE_RATE) + 1;

  let head = new Uint8Array(0);
  let decoder: StreamDecoder | undefined;
  let resampler: StreamingResampler | undefined;
  let output: SampleBuffer | undefined;
  let sourceFrames = 0;
  let bytesSeen = 0;

  const accept = (mono: Float32Array): void => {
    if (mono.length === 0 && output !== undefined) return;
    if (resampler === undefined || output === undefined) {
      const rate = decoder!.rate!;
      const declared = decoder!.declaredFrames;
      if (declared !== undefined && declared / rate > maxSeconds) throw new AudioTooLongError(maxSeconds, declared / rate);
      resampler = new StreamingResampler(rate, PIPELINE_SAMPLE_RATE);
      const expected = declared === undefined ? 30 * PIPELINE_SAMPLE_RATE : StreamingResampler.outputLength(declared, rate);
      output = new SampleBuffer(expected, maxSamples);
    }
    sourceFrames += mono.length;
    if (!output.append(resampler.push(mono))) throw new AudioTooLongError(maxSeconds, sourceFrames / resampler.design.inputRate);
  };

  try {
    for await (const chunk of blocks(source)) {
      bytesSeen += chunk.length;
      if (bytesSeen > maxBytes) throw new AudioTooLargeError(maxBytes, bytesSeen);
      let bytes = chunk;
      if (decoder === undefined) {
        const joined = new Uint8Array(head.length + chunk.length);
        joined.set(head);
        joined.set(chunk, head.length);
        if (joined.length < SNIFF_BYTES) {
          head = joined;
          continue;
        }
        decoder = sniffContainer(joined) === 'wav' ? wavStream() : opusStream();
        bytes = joined;
      }
      const mono = await decoder.push(bytes);
      if (decoder.rate !== undefined) accept(mono);
    }
    if (decoder === undefined) {
      if (head.length === 0) throw new AudioEmptyError('input');
      decoder = sniffContainer(head) === 'wav' ? wavStream() : opusStream();
      const mono = await decoder.push(head);
      if (decoder.rate !== undefined) accept(mono);
    }
    const rest = await decoder.finish();
    if (decoder.rate === undefined) throw new AudioEmptyError('input');
    accept(rest);
    if (!output!.append(resampler!.flush())) throw new AudioTooLongError(maxSeconds, sourceFrames / resampler!.design.inputRate);
    const samples = output!.take();
    const sourceRate = decoder.codec === 'ogg-opus' ? 48000 : resampler!.design.inputRate;
    return {
      samples,
      sampleRate: PIPELINE_SAMPLE_RATE,
      sourceSampleRate: sourceRate,
      sourceChannels: decoder.channels!,
      codec: decoder.codec!,
      durationSeconds: sourceFrames / resampler!.design.inputRate,
    };
  } finally {
    decoder?.release();
  }
}
