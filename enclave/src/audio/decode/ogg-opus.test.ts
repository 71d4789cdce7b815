import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { AudioError } from '../errors.ts';
import { decodeAudio } from './index.ts';
import { oggCrc, parseOpusHead } from './ogg-opus.ts';

const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(`../../../test-vectors/audio/${name}`, import.meta.url)));

/** Splits an Ogg stream into its pages (RFC 3533 framing). */
function pages(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; ) {
    const segments = bytes[at + 26]!;
    let body = 0;
    for (let i = 0; i < segments; i++) body += bytes[at + 27 + i]!;
    const length = 27 + segments + body;
    out.push(bytes.slice(at, at + length));
    at += length;
  }
  return out;
}

/** Rewrites a page's CRC so that an edited page passes the framing check. */
function sealed(page: Uint8Array): Uint8Array {
  const copy = page.slice();
  new DataView(copy.buffer).setUint32(22, oggCrc(copy), true);
  return copy;
}

function join(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

async function codeOf(bytes: Uint8Array): Promise<string> {
  try {
    await decodeAudio(bytes);
    return 'OK';
  } catch (error) {
    if (error instanceof AudioError) return error.code;
    throw error;
  }
}

describe('Ogg Opus framing', () => {
  const original = pages(fixture('voice-note.opus'));

  it('computes the Ogg CRC the encoder wrote', () => {
    for (const page of original) expect(oggCrc(page)).to.equal(new DataView(page.buffer).getUint32(22, true));
  });

  it('re-sealed pages decode as before', async () => {
    expect(await codeOf(join(original.map(sealed)))).to.equal('OK');
  });

  it('refuses a lost page: AUDIO_CORRUPT', async () => {
    expect(await codeOf(join([...original.slice(0, 3), ...original.slice(4)]))).to.equal('AUDIO_CORRUPT');
  });

  it('refuses a page version other than 0: AUDIO_MALFORMED_HEADER', async () => {
    const first = original[0]!.slice();
    first[4] = 1;
    expect(await codeOf(join([sealed(first), ...original.slice(1)]))).to.equal('AUDIO_MALFORMED_HEADER');
  });

  it('refuses a first page without the beginning-of-stream flag: AUDIO_MALFORMED_HEADER', async () => {
    const first = original[0]!.slice();
    first[5] = 0;
    expect(await codeOf(join([sealed(first), ...original.slice(1)]))).to.equal('AUDIO_MALFORMED_HEADER');
  });

  it('checks the OpusHead fields', async () => {
    const bodyAt = 27 + original[0]![26]!;
    const edit = (offset: number, value: number): Uint8Array => {
      const first = original[0]!.slice();
      first[bodyAt + offset] = value;
      return join([sealed(first), ...original.slice(1)]);
    };
    expect(await codeOf(edit(9, 0))).to.equal('AUDIO_MALFORMED_HEADER'); // no channels
    expect(await codeOf(edit(9, 3))).to.equal('AUDIO_MALFORMED_HEADER'); // 3 channels in family 0
    expect(await codeOf(edit(18, 2))).to.equal('AUDIO_UNSUPPORTED_CODEC'); // mapping family 2
    expect(await codeOf(edit(8, 0x10))).to.equal('AUDIO_UNSUPPORTED_CODEC'); // header version 16
    expect(() => parseOpusHead(new TextEncoder().encode('OpusHead\x01'))).to.throw(AudioError).with.property('code', 'AUDIO_MALFORMED_HEADER');
  });

  it('refuses a second logical stream: AUDIO_UNSUPPORTED_CODEC', async () => {
    const other = original[2]!.slice();
    other[14] = other[14]! ^ 0xff; // another serial number
    expect(await codeOf(join([original[0]!, original[1]!, sealed(other), ...original.slice(3)]))).to.equal('AUDIO_UNSUPPORTED_CODEC');
  });

  it('garbage Opus packets inside well-formed pages give audio or AUDIO_CORRUPT, never a crash or a hang', async () => {
    let seed = 99;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const seen = new Set<string>();
    const logged: unknown[] = [];
    const consoleError = console.error;
    console.error = (...args: unknown[]) => void logged.push(args[0]);
    try {
      for (let trial = 0; trial < 40; trial++) {
        const edited = original.map((page, index) => {
          if (index < 2) return page; // keep the headers
          const copy = page.slice();
          const bodyAt = 27 + copy[26]!;
          for (let i = 0; i < 1 + Math.floor(random() * 20); i++) {
            copy[bodyAt + Math.floor(random() * (copy.length - bodyAt))] = Math.floor(random() * 256);
          }
          return sealed(copy);
        });
        const started = performance.now();
        seen.add(await codeOf(join(edited)));
        expect(performance.now() - started).to.be.below(5000);
      }
      console.error('unrelated');
    } finally {
      console.error = consoleError;
    }
    // The codec's per-packet reports do not reach the log; other messages still do.
    expect(logged).to.deep.equal(['unrelated']);
    expect(seen).to.include('AUDIO_CORRUPT');
    for (const code of seen) expect(['OK', 'AUDIO_CORRUPT']).to.include(code);
  });
});
