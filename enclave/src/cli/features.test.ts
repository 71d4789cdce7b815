import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { decodeAudio } from '../audio/decode/index.ts';
import { logMelSpectrogram } from '../audio/logmel.ts';
import { features } from './features.ts';

const vectors = fileURLToPath(new URL('../../test-vectors/audio/', import.meta.url));

async function run(argv: string[]) {
  let out = '';
  let err = '';
  const code = await features(argv, { stdout: (t) => void (out += t), stderr: (t) => void (err += t) });
  return { code, out, err };
}

describe('cli/features', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'audata-features-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('prints the whole file as {nMels, frames, data} with --json', async () => {
    const file = join(vectors, 'voice-note.opus');
    const result = await run(['logmel', file, '--n-mels', '128', '--json']);
    expect(result.code, result.err).to.equal(0);
    const parsed = JSON.parse(result.out) as { nMels: number; frames: number; data: number[][] };
    expect(Object.keys(parsed)).to.deep.equal(['nMels', 'frames', 'data']);
    expect(parsed.nMels).to.equal(128);
    expect(parsed.frames).to.equal(800); // 8 s, no padding to 30 s
    expect(parsed.data).to.have.length(800);
    const { readFileSync } = await import('node:fs');
    const expected = logMelSpectrogram((await decodeAudio(new Uint8Array(readFileSync(file)))).samples, { nMels: 128 });
    for (const f of [0, 399, 799]) {
      expect(parsed.data[f]).to.have.length(128);
      expect(parsed.data[f]).to.deep.equal(Array.from(expected.data.subarray(f * 128, (f + 1) * 128)));
    }
  });

  it('prints a short summary without --json, 80 bands by default', async () => {
    const result = await run(['logmel', join(vectors, 'speech-16k.wav')]);
    expect(result.code, result.err).to.equal(0);
    expect(result.out).to.match(/wav-pcm, 16000 Hz, 1 channel/);
    expect(result.out).to.match(/565 frames x 80 bands/);
  });

  it('exits 1 with one CODE: cause line for audio it cannot decode', async () => {
    const cases: [string, Uint8Array | undefined, string][] = [
      ['truncated.wav', new TextEncoder().encode('RIFF\x10\0\0\0WAVEfmt '), 'AUDIO_TRUNCATED'],
      ['page.html', new TextEncoder().encode('<html>not audio</html>'), 'AUDIO_UNKNOWN_FORMAT'],
      ['missing.wav', undefined, 'AUDIO_SOURCE_UNREADABLE'],
    ];
    for (const [name, bytes, code] of cases) {
      const path = join(dir, name);
      if (bytes !== undefined) writeFileSync(path, bytes);
      const result = await run(['logmel', path]);
      expect(result.code, name).to.equal(1);
      expect(result.out).to.equal('');
      expect(result.err.split('\n').filter(Boolean)).to.have.length(1);
      expect(result.err).to.match(new RegExp(`^${code}: `));
    }
    const vorbis = await run(['logmel', join(vectors, 'vorbis.ogg'), '--json']);
    expect(vorbis.code).to.equal(1);
    expect(vorbis.err).to.match(/^AUDIO_UNSUPPORTED_CODEC: Ogg with codec Vorbis/);
  });

  it('exits 2 on usage errors', async () => {
    for (const argv of [[], ['mfcc', 'x.wav'], ['logmel'], ['logmel', 'a.wav', 'b.wav'], ['logmel', 'a.wav', '--n-mels', '64'], ['logmel', 'a.wav', '--bogus']]) {
      const result = await run(argv);
      expect(result.code, argv.join(' ')).to.equal(2);
      expect(result.err).to.match(/^CLI_USAGE: /);
    }
  });
});
