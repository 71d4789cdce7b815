// Writes WAV bytes from float channels in any format the decoder reads, so tests and
// benchmarks can build inputs (including damaged ones) without shipping large fixtures.

export interface EncodeWavOptions {
  sampleRate: number;
  /** 'pcm' (8/16/24/32 bit) or 'float' (32/64 bit). */
  encoding: 'pcm' | 'float';
  bitsPerSample: 8 | 16 | 24 | 32 | 64;
  /** Write WAVE_FORMAT_EXTENSIBLE instead of the plain format tag. */
  extensible?: boolean;
  /** Chunks inserted between `fmt ` and `data` (id, body). */
  extraChunks?: readonly { id: string; body: Uint8Array }[];
}

function writeAscii(view: DataView, at: number, text: string): void {
  for (let i = 0; i < 4; i++) view.setUint8(at + i, text.charCodeAt(i));
}

/** Encodes planar float channels (all the same length, full scale 1) as a RIFF/WAVE file. */
export function encodeWav(channels: readonly Float32Array[], options: EncodeWavOptions): Uint8Array {
  const count = channels.length;
  const frames = channels[0]?.length ?? 0;
  const bytesPer = options.bitsPerSample / 8;
  const blockAlign = count * bytesPer;
  const fmtSize = options.extensible ? 40 : 16;
  const extra = options.extraChunks ?? [];
  const extraBytes = extra.reduce((sum, c) => sum + 8 + c.body.length + (c.body.length & 1), 0);
  const dataSize = frames * blockAlign;
  const total = 12 + 8 + fmtSize + extraBytes + 8 + dataSize + (dataSize & 1);
  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  writeAscii(view, 0, 'RIFF');
  view.setUint32(4, total - 8, true);
  writeAscii(view, 8, 'WAVE');
  writeAscii(view, 12, 'fmt ');
  view.setUint32(16, fmtSize, true);
  const tag = options.encoding === 'pcm' ? 1 : 3;
  view.setUint16(20, options.extensible ? 0xfffe : tag, true);
  view.setUint16(22, count, true);
  view.setUint32(24, options.sampleRate, true);
  view.setUint32(28, options.sampleRate * blockAlign, true);
  view.setUint16(32, blockAlign, true);
  view.setUint16(34, options.bitsPerSample, true);
  let at = 36;
  if (options.extensible) {
    view.setUint16(36, 22, true);
    view.setUint16(38, options.bitsPerSample, true);
    view.setUint32(40, count === 1 ? 4 : 3, true);
    // KSDATAFORMAT_SUBTYPE_PCM / _IEEE_FLOAT: {0000000X-0000-0010-8000-00AA00389B71}
    bytes.set([tag, 0, 0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xaa, 0, 0x38, 0x9b, 0x71], 44);
    at = 60;
  }
  for (const chunk of extra) {
    writeAscii(view, at, chunk.id);
    view.setUint32(at + 4, chunk.body.length, true);
    bytes.set(chunk.body, at + 8);
    at += 8 + chunk.body.length + (chunk.body.length & 1);
  }
  writeAscii(view, at, 'data');
  view.setUint32(at + 4, dataSize, true);
  at += 8;
  for (let f = 0; f < frames; f++) {
    for (let c = 0; c < count; c++, at += bytesPer) {
      const v = Math.max(-1, Math.min(1, channels[c]![f]!));
      if (options.encoding === 'float') {
        if (options.bitsPerSample === 64) view.setFloat64(at, channels[c]![f]!, true);
        else view.setFloat32(at, channels[c]![f]!, true);
      } else if (options.bitsPerSample === 8) {
        view.setUint8(at, Math.max(0, Math.min(255, Math.round(v * 128) + 128)));
      } else if (options.bitsPerSample === 16) {
        view.setInt16(at, Math.max(-32768, Math.min(32767, Math.round(v * 32768))), true);
      } else if (options.bitsPerSample === 24) {
        const s = Math.max(-8388608, Math.min(8388607, Math.round(v * 8388608)));
        view.setUint8(at, s & 0xff);
        view.setUint8(at + 1, (s >> 8) & 0xff);
        view.setInt8(at + 2, s >> 16);
      } else {
        view.setInt32(at, Math.max(-2147483648, Math.min(2147483647, Math.round(v * 2147483648))), true);
      }
    }
  }
  return bytes;
}
