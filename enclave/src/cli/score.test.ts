import { expect } from 'chai';
import { join } from 'node:path';
import { score } from './score.ts';

const SPEECH = new URL('../../test-vectors/speech/', import.meta.url).pathname;

async function run(argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await score(argv, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) });
  return { code, stdout, stderr };
}

describe('cli/score: audata score', () => {
  it('prints the proof fields and per-stage x-real-time', async () => {
    const r = await run([join(SPEECH, 'ast-demo-nogo.wav')]);
    expect(r.code).to.equal(0);
    expect(r.stderr).to.equal('');
    for (const word of ['valid         true', 'score', 'quality', 'uniqueness    1.000', 'authenticity', 'ownership     1.000', 'x-real-time', 'vad', 'logmel']) {
      expect(r.stdout).to.include(word);
    }
  });

  it('prints JSON and catches a copy among the files given', async () => {
    const r = await run([join(SPEECH, 'ast-demo-nogo.wav'), join(SPEECH, 'copy-opus16k-ast-demo-nogo.wav'), '--json']);
    expect(r.code).to.equal(0);
    const out = JSON.parse(r.stdout) as { valid: boolean; score: number; uniqueness: number; attributes: { duplicateOf: { fileId: string } | null }; xRealTime: Record<string, number> }[];
    expect(out).to.have.length(2);
    expect(out[0]!.uniqueness).to.equal(1);
    expect(out[0]!.score).to.be.greaterThan(0.005); // 10.5 s, about 8 s of speech: linear volume
    expect(out[1]!.uniqueness).to.equal(0);
    expect(out[1]!.score).to.equal(0);
    expect(out[1]!.attributes.duplicateOf!.fileId).to.include('ast-demo-nogo.wav');
    expect(out[0]!.xRealTime['total']).to.be.greaterThan(0);
  });

  it('fails with one line naming the code for a file that cannot be scored', async () => {
    const missing = await run(['/nonexistent/voice.wav']);
    expect(missing.code).to.equal(1);
    expect(missing.stderr.trim().split('\n')).to.have.length(1);
    expect(missing.stderr).to.match(/^AUDIO_SOURCE_UNREADABLE: /);
    const notAudio = await run([join(SPEECH, 'SOURCES.md')]);
    expect(notAudio.code).to.equal(1);
    expect(notAudio.stderr).to.match(/^AUDIO_UNKNOWN_FORMAT: /);
    expect(notAudio.stderr).not.to.include('    at ');
    expect((await run([])).code).to.equal(2);
  });
});
