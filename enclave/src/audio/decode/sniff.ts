// Picks the decoder from the leading bytes (magic numbers), never from a file name or a
// declared MIME type, which the uploader controls.
import { AudioTruncatedError, AudioUnknownFormatError, AudioUnsupportedCodecError } from '../errors.ts';

export type Container = 'wav' | 'ogg';

/** Bytes needed to recognise every container below. */
export const SNIFF_BYTES = 12;

function ascii(bytes: Uint8Array, from: number, to: number): string {
  return String.fromCharCode(...bytes.subarray(from, Math.min(to, bytes.length)));
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes.subarray(0, SNIFF_BYTES), (b) => b.toString(16).padStart(2, '0')).join(' ');
}

/**
 * Names the container of a stream from its first SNIFF_BYTES bytes (fewer only when the
 * stream is that short). Known containers we do not decode get AUDIO_UNSUPPORTED_CODEC, so
 * the contributor learns what to convert; anything else AUDIO_UNKNOWN_FORMAT.
 */
export function sniffContainer(head: Uint8Array): Container {
  const magic = ascii(head, 0, 4);
  if (magic === 'RIFF' || magic === 'RIFX' || magic === 'RF64') {
    if (head.length < SNIFF_BYTES) throw new AudioTruncatedError('RIFF header', SNIFF_BYTES, head.length);
    const form = ascii(head, 8, 12);
    if (form !== 'WAVE') throw new AudioUnsupportedCodecError(magic, form);
    return 'wav';
  }
  if (magic === 'OggS') return 'ogg';
  if (magic === 'fLaC') throw new AudioUnsupportedCodecError('FLAC', 'FLAC');
  if (magic === 'FORM') throw new AudioUnsupportedCodecError('IFF', ascii(head, 8, 12));
  if (magic === 'caff') throw new AudioUnsupportedCodecError('CAF', 'unknown');
  if (ascii(head, 0, 5) === '#!AMR') throw new AudioUnsupportedCodecError('AMR', 'AMR');
  if (ascii(head, 0, 3) === 'ID3') throw new AudioUnsupportedCodecError('MP3', 'MPEG audio');
  if (ascii(head, 4, 8) === 'ftyp') throw new AudioUnsupportedCodecError('MP4', ascii(head, 8, 12));
  if (head[0] === 0x1a && head[1] === 0x45 && head[2] === 0xdf && head[3] === 0xa3) throw new AudioUnsupportedCodecError('Matroska/WebM', 'unknown');
  // MPEG audio / ADTS frame sync: 11 set bits.
  if (head[0] === 0xff && head.length > 1 && (head[1]! & 0xe0) === 0xe0) throw new AudioUnsupportedCodecError('MPEG audio', 'MP3 or AAC');
  if (head.length < 4) throw new AudioTruncatedError('container magic', 4, head.length);
  throw new AudioUnknownFormatError(hex(head));
}
