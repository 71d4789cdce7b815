// The features job: a policy-approved ONNX model over each selected file's cached log-mel
// features, releasing one pooled embedding per file (with the file's language, the only
// metadata a features policy releases; file ids and contributors stay inside).
import type { LogMelFeatures } from '../feature-store/feature-store.ts';
import { DataType, encodeModel } from '../onnx/model.ts';
import { JobModelRunError, JobParameterError } from './errors.ts';
import type { Feeds, Outputs } from './model-runner.ts';
import type { CatalogueFile } from './selection.ts';

export const FEATURES_IO = { mel: 'mel', embedding: 'embedding' } as const;

export interface EmbeddingModel {
  run(feeds: Feeds, outputs: string[]): Promise<Outputs>;
}

export interface FeaturesShape {
  melBands: number;
  embedding: number;
}

export interface FeaturesRelease {
  kind: 'features';
  embeddingDim: number;
  rows: { language: string; embedding: number[] }[];
}

export async function runFeaturesJob(
  deps: { model: EmbeddingModel; features: (file: CatalogueFile) => Promise<LogMelFeatures> },
  files: readonly CatalogueFile[],
  shape: FeaturesShape,
): Promise<{ release: FeaturesRelease; used: CatalogueFile[] }> {
  if (!Number.isSafeInteger(shape.embedding) || shape.embedding < 1) throw new JobParameterError('embedding', 'an integer >= 1', shape.embedding);
  const rows: FeaturesRelease['rows'] = [];
  const used: CatalogueFile[] = [];
  for (const file of files) {
    const mel = await deps.features(file);
    // A file cached at another band count is not fed to a model declared for this one.
    if (mel.nMels !== shape.melBands) continue;
    const out = await deps.model.run({ [FEATURES_IO.mel]: { data: mel.data, dims: [mel.frames, mel.nMels] } }, [FEATURES_IO.embedding]);
    const embedding = out[FEATURES_IO.embedding];
    if (embedding === undefined || embedding.data.length !== shape.embedding) {
      throw new JobModelRunError(`the model returned ${embedding?.data.length ?? 0} embedding values, expected ${shape.embedding}`);
    }
    rows.push({ language: file.language, embedding: Array.from(embedding.data) });
    used.push(file);
  }
  return { release: { kind: 'features', embeddingDim: shape.embedding, rows }, used };
}

/**
 * A small approved embedding model for demonstrations and tests: mean over frames, then a
 * fixed linear projection [M, E]: mel [T, M] -> embedding [E].
 */
export function buildMeanPoolEmbeddingModel(shape: FeaturesShape, projection: ArrayLike<number>): Uint8Array {
  if (projection.length !== shape.melBands * shape.embedding) throw new RangeError(`projection must hold ${shape.melBands} x ${shape.embedding} values`);
  return encodeModel({
    irVersion: 8,
    opsetImports: [{ domain: '', version: 17 }],
    graph: {
      name: 'mean_pool_projection',
      nodes: [
        { opType: 'ReduceMean', inputs: [FEATURES_IO.mel], outputs: ['pooled'], attributes: [{ name: 'axes', ints: [0] }, { name: 'keepdims', int: 0 }] },
        { opType: 'MatMul', inputs: ['pooled', 'projection'], outputs: [FEATURES_IO.embedding] },
      ],
      initializers: [{ name: 'projection', dims: [shape.melBands, shape.embedding], floats: projection }],
      inputs: [{ name: FEATURES_IO.mel, elemType: DataType.FLOAT, shape: ['frames', shape.melBands] }],
      outputs: [{ name: FEATURES_IO.embedding, elemType: DataType.FLOAT, shape: [shape.embedding] }],
    },
  });
}
