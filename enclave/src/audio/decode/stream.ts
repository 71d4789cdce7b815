// Push-based decoding for callers that receive audio in pieces (the enclave's streaming
// decrypt): bytes in, 16 kHz mono samples out as soon as they are determined, with the
// byte and duration caps enforced on the way. `decodeAudio` is this plus one output buffer.
import { AudioEmptyError, AudioTooLargeError, AudioTooLongError } from '../errors.ts';
import { StreamingResampler } from '../resample.ts';
import { OggOpusStreamDecoder } from './ogg-opus.ts';
import { SNIFF_BYTES, sniffContainer } from './sniff.ts';
import { WavDecoder, type WavCodec } from './wav.ts';

export const PIPELINE_SAMPLE_RATE = 16000;
export const DEFAULT_MAX_DURATION_SECONDS = 3600;
/** Default cap on encoded bytes: 1 h of 48 kHz stereo float32 with room to spare. */
export const DEFAULT_MAX_BYTES = 2 * 1024 ** 3;

export type AudioCodec = WavCodec | 'ogg-opus';

export interface DecodeOptions {
  /** Longest accepted audio in seconds (default 3600). */
  maxDurationSeconds?: number;
  /** Largest accepted encoded input in bytes (default 2 GiB). */
  maxBytes?: number;
}

/** What the stream's header says, known once enough bytes have arrived. */
export interface AudioStreamInfo {
  codec: AudioCodec;
  /** Rate of the encoded stream (Opus always codes at 48 kHz). */
  sourceSampleRate: number;
  sourceChannels: number;
  /** 16 kHz samples the header announces (WAV with a known data size), else undefined. */
  declaredSamples: number | undefined;
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
 * Feed encoded bytes with `push` (any block sizes, in order); each call resolves to the
 * 16 kHz mono samples they complete. `end` resolves to the rest and throws the typed error
 * if the stream was cut short or held no audio. After an error, or to give up early, call
 * `abort` to release the codec.
 */
export class AudioDecodeStream {
  readonly maxSeconds: number;
  readonly maxBytes: number;
  /** Largest number of 16 kHz samples accepted (the resampler may round up by one). */
  readonly maxSamples: number;
  private head = new Uint8Array(0);
  private decoder: StreamDecoder | undefined;
  private resampler: StreamingResampler | undefined;
  private bytesSeen = 0;
  private sourceFrames = 0;
  private samplesOut = 0;
  private ended = false;

  constructor(options: DecodeOptions = {}) {
    this.maxSeconds = options.maxDurationSeconds ?? DEFAULT_MAX_DURATION_SECONDS;
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    if (!(this.maxSeconds > 0 && Number.isFinite(this.maxSeconds))) throw new RangeError(`maxDurationSeconds must be positive, received ${this.maxSeconds}`);
    if (!(this.maxBytes > 0)) throw new RangeError(`maxBytes must be positive, received ${this.maxBytes}`);
    this.maxSamples = Math.ceil(this.maxSeconds * PIPELINE_SAMPLE_RATE) + 1;
  }

  /** Header facts, once the header has been read. */
  get info(): AudioStreamInfo | undefined {
    const d = this.decoder;
    if (d === undefined || d.rate === undefined) return undefined;
    return {
      codec: d.codec!,
      sourceSampleRate: d.codec === 'ogg-opus' ? 48000 : d.rate,
      sourceChannels: d.channels!,
      declaredSamples: d.declaredFrames === undefined ? undefined : StreamingResampler.outputLength(d.declaredFrames, d.rate),
    };
  }

  /** Seconds of audio decoded so far, at the source rate. */
  get durationSeconds(): number {
    return this.resampler === undefined ? 0 : this.sourceFrames / this.resampler.design.inputRate;
  }

  async push(chunk: Uint8Array): Promise<Float32Array> {
    if (this.ended) throw new Error('AudioDecodeStream: push after end');
    if (chunk.length === 0) return EMPTY;
    this.bytesSeen += chunk.length;
    if (this.bytesSeen > this.maxBytes) throw new AudioTooLargeError(this.maxBytes, this.bytesSeen);
    let bytes = chunk;
    if (this.decoder === undefined) {
      const joined = new Uint8Array(this.head.length + chunk.length);
      joined.set(this.head);
      joined.set(chunk, this.head.length);
      if (joined.length < SNIFF_BYTES) {
        this.head = joined;
        return EMPTY;
      }
      this.head = EMPTY_BYTES;
      this.decoder = sniffContainer(joined) === 'wav' ? wavStream() : opusStream();
      bytes = joined;
    }
    const mono = await this.decoder.push(bytes);
    return this.accept(mono);
  }

  async end(): Promise<Float32Array> {
    if (this.ended) throw new Error('AudioDecodeStream: end called twice');
    this.ended = true;
    try {
      let early: Float32Array = EMPTY;
      if (this.decoder === undefined) {
        if (this.head.length === 0) throw new AudioEmptyError('input');
        this.decoder = sniffContainer(this.head) === 'wav' ? wavStream() : opusStream();
        early = this.accept(await this.decoder.push(this.head));
      }
      const rest = this.accept(await this.decoder.finish());
      if (this.resampler === undefined) throw new AudioEmptyError('input');
      const tail = this.count(this.resampler.flush());
      return concat(early, rest, tail);
    } finally {
      this.abort();
    }
  }

  /** Releases the codec (idempotent). */
  abort(): void {
    this.decoder?.release();
  }

  private accept(mono: Float32Array): Float32Array {
    const decoder = this.decoder!;
    if (decoder.rate === undefined) return EMPTY;
    if (this.resampler === undefined) {
      const declared = decoder.declaredFrames;
      if (declared !== undefined && declared / decoder.rate > this.maxSeconds) throw new AudioTooLongError(this.maxSeconds, declared / decoder.rate);
      this.resampler = new StreamingResampler(decoder.rate, PIPELINE_SAMPLE_RATE);
    }
    if (mono.length === 0) return EMPTY;
    this.sourceFrames += mono.length;
    return this.count(this.resampler.push(mono));
  }

  private count(out: Float32Array): Float32Array {
    this.samplesOut += out.length;
    if (this.samplesOut > this.maxSamples) throw new AudioTooLongError(this.maxSeconds, this.durationSeconds);
    return out;
  }
}

const EMPTY = new Float32Array(0);
const EMPTY_BYTES = new Uint8Array(0);

function concat(...parts: Float32Array[]): Float32Array {
  const nonEmpty = parts.filter((p) => p.length > 0);
  if (nonEmpty.length <= 1) return nonEmpty[0] ?? EMPTY;
  const out = new Float32Array(nonEmpty.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of nonEmpty) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
