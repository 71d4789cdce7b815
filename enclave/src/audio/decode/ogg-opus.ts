// Incremental Ogg Opus decoder (WhatsApp and Telegram voice notes): our own page framing
// and CRC check in front of the libopus WASM build in `ogg-opus-decoder`, so that a cut or
// damaged stream gets a typed error before it reaches the codec, and the codec only ever
// sees whole, verified pages.
//
// Ogg framing per RFC 3533 (page header, lacing, CRC-32 with polynomial 0x04C11DB7 over
// the page with its CRC field zeroed); Opus in Ogg per RFC 7845 (first page holds only the
// "OpusHead" identification header, channel mapping families 0 and 1). libopus decodes
// straight to 16 kHz (RFC 6716 allows 8-48 kHz output; the decoder band-limits internally),
// which spares the pipeline a 48 kHz resampling pass.
import { OggOpusDecoder } from 'ogg-opus-decoder';
import {
  AudioCorruptError,
  AudioEmptyError,
  AudioMalformedHeaderError,
  AudioTruncatedError,
  AudioUnsupportedCodecError,
} from '../errors.ts';

export type OpusOutputRate = 8000 | 12000 | 16000 | 24000 | 48000;

/** The largest page RFC 3533 allows: 27-byte header, 255 lacing values, 255 * 255 body bytes. */
const OGG_MAX_PAGE = 27 + 255 + 255 * 255;

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let r = i << 24;
    for (let k = 0; k < 8; k++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
    table[i] = r >>> 0;
  }
  return table;
})();

/** Ogg's CRC-32 (not the zlib one: no reflection, no final xor), CRC field taken as zero. */
export function oggCrc(page: Uint8Array): number {
  let crc = 0;
  for (let i = 0; i < page.length; i++) {
    const byte = i >= 22 && i < 26 ? 0 : page[i]!;
    crc = ((crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ byte) & 0xff]!) >>> 0;
  }
  return crc;
}

export interface OpusHead {
  channels: number;
  preSkip: number;
  /** The rate of the encoder's input (informational; Opus always runs at 48 kHz). */
  inputSampleRate: number;
  mappingFamily: number;
}

/** Parses the identification header (RFC 7845 section 5.1). */
export function parseOpusHead(packet: Uint8Array): OpusHead {
  if (packet.length < 19) throw new AudioMalformedHeaderError('OpusHead size', '>= 19 bytes', packet.length);
  const version = packet[8]!;
  if (version >> 4 !== 0) throw new AudioUnsupportedCodecError('Ogg', `Opus header version ${version}`);
  const channels = packet[9]!;
  if (channels < 1) throw new AudioMalformedHeaderError('OpusHead channel count', '>= 1', channels);
  const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  const mappingFamily = packet[18]!;
  if (mappingFamily === 0 && channels > 2) throw new AudioMalformedHeaderError('OpusHead channel count for mapping family 0', '1 or 2', channels);
  if (mappingFamily !== 0 && mappingFamily !== 1) throw new AudioUnsupportedCodecError('Ogg', `Opus channel mapping family ${mappingFamily}`);
  if (mappingFamily === 1 && (channels > 8 || packet.length < 21 + channels)) {
    throw new AudioMalformedHeaderError('OpusHead mapping table', `up to 8 channels with a ${channels}-byte table`, packet.length - 21);
  }
  return { channels, preSkip: view.getUint16(10, true), inputSampleRate: view.getUint32(12, true), mappingFamily };
}

function identifyCodec(packet: Uint8Array): string {
  const text = String.fromCharCode(...packet.subarray(0, 8));
  if (text.startsWith('\x01vorbis')) return 'Vorbis';
  if (text.startsWith('\x7fFLAC')) return 'FLAC';
  if (text.startsWith('Speex')) return 'Speex';
  if (text.startsWith('\x80theora')) return 'Theora';
  return 'unknown';
}

/**
 * Feed bytes with `push` (any block sizes); each call resolves to the mono samples at
 * `outputRate` that the completed pages hold. `end` flushes the codec and throws if the
 * stream stopped before its end-of-stream page.
 */
export class OggOpusStreamDecoder {
  head: OpusHead | undefined;
  readonly outputRate: OpusOutputRate;
  private decoder: OggOpusDecoder | undefined;
  private carry: Uint8Array = new Uint8Array(0);
  private serial = -1;
  private nextSequence = 0;
  private ended = false; // end-of-stream page seen
  private samplesOut = 0;
  private bytesSeen = 0;

  constructor(outputRate: OpusOutputRate = 16000) {
    this.outputRate = outputRate;
  }

  async push(chunk: Uint8Array): Promise<Float32Array> {
    this.bytesSeen += chunk.length;
    if (this.ended) return EMPTY; // bytes after the last page carry no audio
    let bytes = chunk;
    if (this.carry.length > 0) {
      bytes = new Uint8Array(this.carry.length + chunk.length);
      bytes.set(this.carry);
      bytes.set(chunk, this.carry.length);
    }
    let pos = 0;
    const pagesStart = pos;
    while (!this.ended) {
      const length = this.pageLength(bytes, pos);
      if (length === undefined) break;
      this.checkPage(bytes.subarray(pos, pos + length));
      pos += length;
    }
    // Copies, never views: the caller may reuse its buffer (and Buffer#slice is a view).
    this.carry = this.ended ? EMPTY_BYTES : new Uint8Array(bytes.subarray(pos));
    if (this.carry.length > OGG_MAX_PAGE) throw new AudioCorruptError('Ogg', 'page larger than RFC 3533 allows');
    if (pos === pagesStart) return EMPTY;
    return this.decode(new Uint8Array(bytes.subarray(pagesStart, pos)));
  }

  async end(): Promise<Float32Array> {
    try {
      if (!this.ended) {
        const what = this.carry.length > 0 ? 'Ogg page' : 'Ogg stream (no end-of-stream page)';
        throw new AudioTruncatedError(what, this.bytesSeen + (this.carry.length > 0 ? 27 : 1), this.bytesSeen);
      }
      const decoder = this.decoder;
      const rest = decoder === undefined ? EMPTY : this.collect(await withoutCodecLog(() => decoder.flush()));
      if (this.samplesOut === 0) throw new AudioEmptyError('Ogg Opus');
      return rest;
    } finally {
      this.free();
    }
  }

  /** Releases the WASM decoder (also done by `end`); call it when abandoning a stream. */
  free(): void {
    this.decoder?.free();
    this.decoder = undefined;
  }

  /** Total length of the page starting at `pos`, or undefined when it is not all here yet. */
  private pageLength(bytes: Uint8Array, pos: number): number | undefined {
    const available = bytes.length - pos;
    if (available < 4) return undefined;
    if (bytes[pos] !== 0x4f || bytes[pos + 1] !== 0x67 || bytes[pos + 2] !== 0x67 || bytes[pos + 3] !== 0x53) {
      throw new AudioCorruptError('Ogg', `no "OggS" capture pattern at byte ${this.bytesSeen - (bytes.length - pos)}`);
    }
    if (available < 27) return undefined;
    const segments = bytes[pos + 26]!;
    if (available < 27 + segments) return undefined;
    let body = 0;
    for (let i = 0; i < segments; i++) body += bytes[pos + 27 + i]!;
    const length = 27 + segments + body;
    return available < length ? undefined : length;
  }

  private checkPage(page: Uint8Array): void {
    if (page[4] !== 0) throw new AudioMalformedHeaderError('Ogg page version', '0', page[4]!);
    const view = new DataView(page.buffer, page.byteOffset, page.byteLength);
    if (view.getUint32(22, true) !== oggCrc(page)) throw new AudioCorruptError('Ogg', `CRC mismatch on page ${this.nextSequence}`);
    const flags = page[5]!;
    const serial = view.getUint32(14, true);
    const sequence = view.getUint32(18, true);
    const first = this.serial === -1;
    if (first) {
      if ((flags & 0x02) === 0) throw new AudioMalformedHeaderError('first Ogg page flags', 'beginning-of-stream set', flags);
      const segments = page[26]!;
      const packet = page.subarray(27 + segments);
      if (!(packet.length >= 8 && String.fromCharCode(...packet.subarray(0, 8)) === 'OpusHead')) {
        throw new AudioUnsupportedCodecError('Ogg', identifyCodec(packet));
      }
      this.head = parseOpusHead(packet);
      this.serial = serial;
    } else if (serial !== this.serial || (flags & 0x02) !== 0) {
      throw new AudioUnsupportedCodecError('Ogg', 'multiplexed or chained logical streams');
    }
    if (sequence !== this.nextSequence) {
      throw new AudioCorruptError('Ogg', `page sequence ${sequence} where ${this.nextSequence} was expected (lost pages)`);
    }
    this.nextSequence = sequence + 1;
    if ((flags & 0x04) !== 0) this.ended = true;
  }

  private async decode(pages: Uint8Array): Promise<Float32Array> {
    if (this.decoder === undefined) {
      // `sampleRate` is accepted by the implementation (passed on to libopus) though its
      // type declarations omit it.
      const options = { sampleRate: this.outputRate } as ConstructorParameters<typeof OggOpusDecoder>[0];
      this.decoder = new OggOpusDecoder(options);
      await this.decoder.ready;
    }
    // The declarations say synchronous; the implementation returns a promise.
    const decoder = this.decoder;
    return this.collect(await withoutCodecLog(async () => decoder.decode(pages)));
  }

  private collect(decoded: { channelData: Float32Array[]; samplesDecoded: number; errors: { message: string }[] }): Float32Array {
    const first = decoded.errors[0];
    if (first !== undefined) throw new AudioCorruptError('Opus', first.message);
    const { channelData, samplesDecoded } = decoded;
    this.samplesOut += samplesDecoded;
    if (channelData.length <= 1) return channelData[0]?.subarray(0, samplesDecoded) ?? EMPTY;
    const out = new Float32Array(samplesDecoded);
    const scale = 1 / channelData.length;
    for (const channel of channelData) for (let i = 0; i < samplesDecoded; i++) out[i]! += channel[i]! * scale;
    return out;
  }
}

const EMPTY = new Float32Array(0);
const EMPTY_BYTES = new Uint8Array(0);

/**
 * opus-decoder prints every damaged packet with console.error ("libopus -4 ...") before it
 * returns the same report in `errors`, which becomes AUDIO_CORRUPT here. A hostile file
 * could fill the enclave's log with those lines, so while a decode runs they, and only they,
 * are dropped; every other message passes through. Counted, so overlapping decodes install
 * the filter once and the last one out restores the original.
 */
let quietDepth = 0;
let originalError: typeof console.error = console.error;

async function withoutCodecLog<T>(body: () => Promise<T>): Promise<T> {
  if (quietDepth++ === 0) {
    originalError = console.error;
    const passThrough = originalError;
    console.error = (...args: unknown[]) => {
      if (typeof args[0] === 'string' && args[0].startsWith('libopus ')) return;
      passThrough.apply(console, args);
    };
  }
  try {
    return await body();
  } finally {
    if (--quietDepth === 0) console.error = originalError;
  }
}
