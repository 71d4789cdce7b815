// Incremental RIFF/WAVE decoder: bytes in, mono float samples at the source rate out, so
// that a long recording is never held as one decoded multi-channel buffer.
//
// Follows the RIFF/WAVE layout of Microsoft's "Multimedia Programming Interface and Data
// Specifications 1.0" (1991) and WAVE_FORMAT_EXTENSIBLE from "Multiple Channel Audio Data
// and WAVE Files" (Microsoft, 2001): chunks are (id, u32le size, body, pad byte if odd),
// `fmt ` must precede `data`. The RIFF size is never trusted; chunk sizes are checked
// against the caps below before anything is buffered.
import {
  AudioCorruptError,
  AudioEmptyError,
  AudioMalformedHeaderError,
  AudioTruncatedError,
  AudioUnknownFormatError,
  AudioUnsupportedCodecError,
} from '../errors.ts';

export type WavCodec = 'wav-pcm' | 'wav-float' | 'wav-alaw' | 'wav-mulaw';

export interface WavFormat {
  codec: WavCodec;
  channels: number;
  sampleRate: number;
  bitsPerSample: number;
  /** Bytes per frame (one sample of every channel). */
  blockAlign: number;
}

/** Largest `fmt ` chunk accepted (WAVE_FORMAT_EXTENSIBLE needs 40 bytes). */
export const WAV_MAX_FMT_BYTES = 1024;
export const WAV_MAX_CHANNELS = 64;
export const WAV_MIN_RATE = 1000;
export const WAV_MAX_RATE = 768_000;
/**
 * A data size of 0xFFFFFFFF is the placeholder that writers streaming to a pipe leave when
 * they cannot seek back (and the RF64 convention for "see ds64"): read data to end of stream.
 */
export const WAV_SIZE_UNKNOWN = 0xffffffff;

const WAVE_FORMAT_PCM = 0x0001;
const WAVE_FORMAT_IEEE_FLOAT = 0x0003;
const WAVE_FORMAT_ALAW = 0x0006;
const WAVE_FORMAT_MULAW = 0x0007;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;
/** Bytes 2..15 of every KSDATAFORMAT_SUBTYPE_* GUID built from a format tag. */
const GUID_TAIL = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71];

const KNOWN_TAGS: Record<number, string> = {
  0x0002: 'MS ADPCM',
  0x0011: 'IMA ADPCM',
  0x0031: 'GSM 6.10',
  0x0050: 'MPEG',
  0x0055: 'MPEG layer 3',
  0x00ff: 'AAC',
};

function fourcc(bytes: Uint8Array, at: number): string {
  return String.fromCharCode(bytes[at]!, bytes[at + 1]!, bytes[at + 2]!, bytes[at + 3]!);
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}

function codecName(tag: number): string {
  return KNOWN_TAGS[tag] ?? `format tag 0x${tag.toString(16).padStart(4, '0')}`;
}

/** Parses and validates a `fmt ` chunk body. */
export function parseWavFormat(body: Uint8Array): WavFormat {
  if (body.length < 16) throw new AudioMalformedHeaderError('fmt chunk size', '>= 16', body.length);
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  let tag = view.getUint16(0, true);
  const channels = view.getUint16(2, true);
  const sampleRate = view.getUint32(4, true);
  const blockAlign = view.getUint16(12, true);
  const bitsPerSample = view.getUint16(14, true);
  if (tag === WAVE_FORMAT_EXTENSIBLE) {
    if (body.length < 40) throw new AudioMalformedHeaderError('WAVE_FORMAT_EXTENSIBLE fmt chunk size', '>= 40', body.length);
    const cbSize = view.getUint16(16, true);
    if (cbSize < 22) throw new AudioMalformedHeaderError('WAVE_FORMAT_EXTENSIBLE cbSize', '>= 22', cbSize);
    const validBits = view.getUint16(18, true);
    if (validBits > bitsPerSample) throw new AudioMalformedHeaderError('wValidBitsPerSample', `<= ${bitsPerSample}`, validBits);
    const guid = body.subarray(24, 40);
    if (!GUID_TAIL.every((b, i) => guid[i + 2] === b)) throw new AudioUnsupportedCodecError('WAV', `sub-format GUID ${hex(guid)}`);
    tag = view.getUint16(24, true);
  }
  let codec: WavCodec;
  if (tag === WAVE_FORMAT_PCM) {
    codec = 'wav-pcm';
    if (![8, 16, 24, 32].includes(bitsPerSample)) throw new AudioUnsupportedCodecError('WAV', `${bitsPerSample}-bit PCM`);
  } else if (tag === WAVE_FORMAT_IEEE_FLOAT) {
    codec = 'wav-float';
    if (bitsPerSample !== 32 && bitsPerSample !== 64) throw new AudioUnsupportedCodecError('WAV', `${bitsPerSample}-bit float`);
  } else if (tag === WAVE_FORMAT_ALAW || tag === WAVE_FORMAT_MULAW) {
    codec = tag === WAVE_FORMAT_ALAW ? 'wav-alaw' : 'wav-mulaw';
    if (bitsPerSample !== 8) throw new AudioUnsupportedCodecError('WAV', `${bitsPerSample}-bit G.711`);
  } else {
    throw new AudioUnsupportedCodecError('WAV', codecName(tag));
  }
  if (channels < 1 || channels > WAV_MAX_CHANNELS) throw new AudioMalformedHeaderError('channels', `1..${WAV_MAX_CHANNELS}`, channels);
  if (sampleRate < WAV_MIN_RATE || sampleRate > WAV_MAX_RATE) {
    throw new AudioMalformedHeaderError('sampleRate', `${WAV_MIN_RATE}..${WAV_MAX_RATE} Hz`, sampleRate);
  }
  const expectedAlign = (channels * bitsPerSample) / 8;
  if (blockAlign !== expectedAlign) throw new AudioMalformedHeaderError('blockAlign', String(expectedAlign), blockAlign);
  return { codec, channels, sampleRate, bitsPerSample, blockAlign };
}

type State = 'riff' | 'chunk' | 'fmt' | 'skip' | 'data' | 'done';

/**
 * Feed bytes with `push` in any block sizes; each call returns the mono samples (channels
 * averaged, full scale = 1) those bytes complete. Call `end` when the stream ends: it
 * throws if a header or the declared data was cut short, or if there was no audio.
 */
export class WavDecoder {
  /** Set once the `fmt ` chunk has been read. */
  format: WavFormat | undefined;
  /** Frames the `data` chunk declares, once it is reached; undefined while unknown or "to end of stream". */
  declaredFrames: number | undefined;
  private state: State = 'riff';
  private carry: Uint8Array = new Uint8Array(0);
  private chunkSize = 0; // of the chunk being read or skipped (incl. pad byte)
  private remaining = 0; // bytes left in the current chunk (data or skipped)
  private toEnd = false;
  private bytesSeen = 0;
  private dataBytes = 0;
  private framesOut = 0;

  push(chunk: Uint8Array): Float32Array {
    this.bytesSeen += chunk.length;
    let bytes = chunk;
    if (this.carry.length > 0) {
      bytes = new Uint8Array(this.carry.length + chunk.length);
      bytes.set(this.carry);
      bytes.set(chunk, this.carry.length);
    }
    let pos = 0;
    let output: Float32Array = EMPTY;
    for (;;) {
      const available = bytes.length - pos;
      if (this.state === 'riff') {
        if (available < 12) break;
        const id = fourcc(bytes, pos);
        const form = fourcc(bytes, pos + 8);
        if (id === 'RIFX' || id === 'RF64') throw new AudioUnsupportedCodecError(id, 'WAVE');
        if (id !== 'RIFF' || form !== 'WAVE') throw new AudioUnknownFormatError(hex(bytes.subarray(pos, pos + 12)));
        pos += 12;
        this.state = 'chunk';
      } else if (this.state === 'chunk') {
        if (available < 8) break;
        const id = fourcc(bytes, pos);
        const size = readU32(bytes, pos + 4);
        pos += 8;
        if (id === 'fmt ') {
          if (this.format !== undefined) throw new AudioMalformedHeaderError('fmt chunk count', '1', 2);
          if (size > WAV_MAX_FMT_BYTES) throw new AudioMalformedHeaderError('fmt chunk size', `<= ${WAV_MAX_FMT_BYTES}`, size);
          this.chunkSize = size;
          this.state = 'fmt';
        } else if (id === 'data') {
          const format = this.format;
          if (format === undefined) throw new AudioMalformedHeaderError('chunk order', 'fmt before data', 'data first');
          this.toEnd = size === WAV_SIZE_UNKNOWN;
          if (!this.toEnd) {
            if (size % format.blockAlign !== 0) {
              throw new AudioMalformedHeaderError('data chunk size', `a multiple of blockAlign ${format.blockAlign}`, size);
            }
            this.remaining = size;
            this.declaredFrames = size / format.blockAlign;
          }
          this.state = 'data';
        } else {
          this.remaining = size + (size & 1);
          this.state = 'skip';
        }
      } else if (this.state === 'fmt') {
        const padded = this.chunkSize + (this.chunkSize & 1);
        if (available < padded) break;
        this.format = parseWavFormat(bytes.subarray(pos, pos + this.chunkSize));
        pos += padded;
        this.state = 'chunk';
      } else if (this.state === 'skip') {
        const step = Math.min(available, this.remaining);
        pos += step;
        this.remaining -= step;
        if (this.remaining > 0) break;
        this.state = 'chunk';
      } else if (this.state === 'data') {
        const format = this.format!;
        const limit = this.toEnd ? available : Math.min(available, this.remaining);
        const frames = Math.floor(limit / format.blockAlign);
        const used = frames * format.blockAlign;
        if (frames > 0) output = convertToMono(bytes, pos, frames, format);
        this.framesOut += frames;
        pos += used;
        this.dataBytes += used;
        if (!this.toEnd) {
          this.remaining -= used;
          // Anything after the data chunk (LIST, id3 ...) carries no audio: ignore it.
          if (this.remaining === 0) {
            this.state = 'done';
            pos = bytes.length;
          }
        }
        break;
      } else {
        pos = bytes.length;
        break;
      }
    }
    // A copy, never a view: the caller may reuse its buffer (and Buffer#slice is a view).
    this.carry = pos < bytes.length ? new Uint8Array(bytes.subarray(pos)) : EMPTY_BYTES;
    return output;
  }

  /** Declares the end of the stream; throws the typed error if it ended too early. */
  end(): void {
    switch (this.state) {
      case 'riff':
        throw new AudioTruncatedError('RIFF header', 12, this.bytesSeen);
      case 'chunk':
        throw new AudioTruncatedError(this.format === undefined ? 'WAV header (no fmt chunk)' : 'WAV header (no data chunk)', this.bytesSeen + 8, this.bytesSeen);
      case 'fmt':
        throw new AudioTruncatedError('fmt chunk', this.chunkSize, this.carry.length);
      case 'skip':
        throw new AudioTruncatedError('WAV header (chunk before data)', this.bytesSeen + this.remaining, this.bytesSeen);
      case 'data':
        if (!this.toEnd && this.remaining > 0) {
          throw new AudioTruncatedError('data chunk', this.dataBytes + this.remaining, this.dataBytes + this.carry.length);
        }
        break;
      case 'done':
        break;
    }
    if (this.framesOut === 0) throw new AudioEmptyError('WAV');
  }
}

const EMPTY = new Float32Array(0);
const EMPTY_BYTES = new Uint8Array(0);

function readU32(bytes: Uint8Array, at: number): number {
  return (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;
}

/** G.711 A-law byte to 16-bit linear (ITU-T G.711, table 1a: even bits inverted, sign set = positive). */
export function alawToLinear(byte: number): number {
  const a = byte ^ 0x55;
  const exponent = (a >> 4) & 7;
  const mantissa = a & 0x0f;
  const magnitude = exponent === 0 ? (mantissa << 4) + 8 : ((mantissa << 4) + 0x108) << (exponent - 1);
  return a & 0x80 ? magnitude : -magnitude;
}

/** G.711 mu-law byte to 16-bit linear (ITU-T G.711, table 2a: bits inverted, bias 0x84). */
export function mulawToLinear(byte: number): number {
  const u = ~byte & 0xff;
  const exponent = (u >> 4) & 7;
  const magnitude = ((((u & 0x0f) << 3) + 0x84) << exponent) - 0x84;
  return u & 0x80 ? -magnitude : magnitude;
}

const ALAW = Int16Array.from({ length: 256 }, (_, b) => alawToLinear(b));
const MULAW = Int16Array.from({ length: 256 }, (_, b) => mulawToLinear(b));

/** Converts `frames` interleaved frames starting at byte `pos` to mono floats. */
function convertToMono(bytes: Uint8Array, pos: number, frames: number, format: WavFormat): Float32Array {
  const { channels, bitsPerSample, codec } = format;
  const view = new DataView(bytes.buffer, bytes.byteOffset + pos, frames * format.blockAlign);
  const out = new Float32Array(frames);
  const scaleChannels = 1 / channels;
  let at = 0;
  if (codec === 'wav-pcm' && bitsPerSample === 16) {
    const scale = scaleChannels / 32768;
    for (let f = 0; f < frames; f++) {
      let sum = 0;
      for (let c = 0; c < channels; c++, at += 2) sum += view.getInt16(at, true);
      out[f] = sum * scale;
    }
  } else if (codec === 'wav-pcm' && bitsPerSample === 8) {
    const scale = scaleChannels / 128;
    for (let f = 0; f < frames; f++) {
      let sum = 0;
      for (let c = 0; c < channels; c++, at += 1) sum += view.getUint8(at) - 128;
      out[f] = sum * scale;
    }
  } else if (codec === 'wav-pcm' && bitsPerSample === 24) {
    const scale = scaleChannels / 8388608;
    for (let f = 0; f < frames; f++) {
      let sum = 0;
      for (let c = 0; c < channels; c++, at += 3) {
        const v = view.getUint8(at) | (view.getUint8(at + 1) << 8) | (view.getInt8(at + 2) << 16);
        sum += v;
      }
      out[f] = sum * scale;
    }
  } else if (codec === 'wav-alaw' || codec === 'wav-mulaw') {
    const table = codec === 'wav-alaw' ? ALAW : MULAW;
    const scale = scaleChannels / 32768;
    for (let f = 0; f < frames; f++) {
      let sum = 0;
      for (let c = 0; c < channels; c++, at += 1) sum += table[view.getUint8(at)]!;
      out[f] = sum * scale;
    }
  } else if (codec === 'wav-pcm') {
    const scale = scaleChannels / 2147483648;
    for (let f = 0; f < frames; f++) {
      let sum = 0;
      for (let c = 0; c < channels; c++, at += 4) sum += view.getInt32(at, true);
      out[f] = sum * scale;
    }
  } else {
    const wide = bitsPerSample === 64;
    const step = wide ? 8 : 4;
    for (let f = 0; f < frames; f++) {
      let sum = 0;
      for (let c = 0; c < channels; c++, at += step) sum += wide ? view.getFloat64(at, true) : view.getFloat32(at, true);
      // NaN and infinities would poison every later statistic; a real recorder never writes them.
      if (!Number.isFinite(sum)) throw new AudioCorruptError(codec, `non-finite sample at frame ${f}`);
      out[f] = sum * scaleChannels;
    }
  }
  return out;
}
