import { expect } from 'chai';
import { keccak256, toHex, type Hex } from 'viem';
import { checkModel, featuresJobIo } from './model-check.ts';
import { ModelRunner } from './model-runner.ts';
import { buildMeanPoolEmbeddingModel, runFeaturesJob } from './features-job.ts';
import type { CatalogueFile } from './selection.ts';

const file = (n: number, language: string): CatalogueFile => ({
  fileId: keccak256(toHex(`file ${n}`)) as Hex,
  contributor: '0x00000000000000000000000000000000000000a1',
  valid: true,
  score: 8_000,
  language,
  termsHash: `0x${'11'.repeat(32)}`,
  durationSec: 3,
});

describe('features job', function () {
  this.timeout(60_000);
  const shape = { melBands: 80, embedding: 4 };
  const projection = Float32Array.from({ length: 320 }, (_, i) => ((i * 7) % 11) / 11 - 0.5);
  const model = buildMeanPoolEmbeddingModel(shape, projection);

  it('passes the model checks for the features job contract', () => {
    expect(() => checkModel(model, featuresJobIo(shape))).to.not.throw();
  });

  it('releases the model\'s pooled embedding per file, equal to mean-then-project, and skips files at another band count', async () => {
    const runner = await ModelRunner.start(model);
    try {
      const frames = 12;
      const mel = (seed: number) => Float32Array.from({ length: frames * 80 }, (_, i) => Math.cos(i * 0.1 + seed));
      const files = [file(1, 'en'), file(2, 'pt-BR'), file(3, 'en')];
      const { release, used } = await runFeaturesJob(
        { model: runner, features: async (f) => (f === files[2] ? { nMels: 128, frames, data: new Float32Array(frames * 128) } : { nMels: 80, frames, data: mel(f === files[0] ? 1 : 2) }) },
        files,
        shape,
      );
      expect(used).to.deep.equal(files.slice(0, 2));
      expect(release.rows.map((r) => r.language)).to.deep.equal(['en', 'pt-BR']);
      const data = mel(1);
      const expected = [0, 1, 2, 3].map((e) => {
        let s = 0;
        for (let m = 0; m < 80; m++) {
          let mean = 0;
          for (let t = 0; t < frames; t++) mean += data[t * 80 + m]!;
          s += (mean / frames) * projection[m * 4 + e]!;
        }
        return s;
      });
      release.rows[0]!.embedding.forEach((v, k) => expect(v).to.be.closeTo(expected[k]!, 1e-4));
    } finally {
      await runner.close();
    }
  });

  it('refuses a model whose output has the wrong size', async () => {
    const fake = { run: async () => ({ embedding: { data: new Float32Array(3), dims: [3] } }) };
    let code = 'OK';
    try {
      await runFeaturesJob({ model: fake, features: async () => ({ nMels: 80, frames: 1, data: new Float32Array(80) }) }, [file(1, 'en')], shape);
    } catch (error) {
      code = (error as { code: string }).code;
    }
    expect(code).to.equal('JOB_MODEL_RUN_FAILED');
  });
});
