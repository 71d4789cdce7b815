// Connects the audio pipeline (src/audio) to the runtime: authenticated audio in, proof fields
// in basis points out, with the full result (attributes, metadata) bound by its hash. Decoding
// and scoring failures keep their typed codes, so the host learns why a file was refused.
import { SCORE_SCALE } from '@audata/wire';
import { keccak256, toHex, type Hex } from 'viem';
import { decodeAudio } from '../audio/decode/index.ts';
import { logMelSpectrogram } from '../audio/logmel.ts';
import { PIPELINE_VERSION, scoreRecording } from '../audio/pipeline.ts';
import type { MelFrames } from '../audio/quality.ts';
import type { FingerprintIndex } from '../audio/uniqueness.ts';
import { SILERO_VAD_SHA256, type SileroVad } from '../audio/vad.ts';
import type { ContributionScorer, ScoredContribution } from './enclave-runtime.ts';

/** What the proofs' pipelineVersion names: the pipeline's version and the model it pins. */
export const SCORING_PIPELINE_IDENTITY = `${PIPELINE_VERSION}; silero_vad.onnx sha256 ${SILERO_VAD_SHA256}`;
export const SCORING_PIPELINE_VERSION: Hex = keccak256(toHex(SCORING_PIPELINE_IDENTITY));

/** The index itself, or a holder whose index a restored state may replace (src/state/fingerprint-slot.ts). */
export type IndexSource = FingerprintIndex | { readonly current: FingerprintIndex };

export function createPipelineScorer(deps: { vad: SileroVad; index: IndexSource }): ContributionScorer {
  return {
    async score(opened): Promise<ScoredContribution> {
      const decoded = await decodeAudio(opened.audio);
      const index = 'current' in deps.index ? deps.index.current : deps.index;
      try {
        // Ownership is 1: the contributor is the manifest's verified signer, never a claim.
        // The log-mel the pipeline computes anyway is kept for the feature store, not computed twice.
        let mel: MelFrames | undefined;
        const logMel = (samples: Float32Array) => (mel = logMelSpectrogram(samples, { nMels: 80 }));
        const result = await scoreRecording(decoded.samples, { vad: deps.vad, index, fileId: opened.manifest.ciphertextSha256, ownership: 1, logMel });
        const bp = (x: number) => Math.round(Math.min(1, Math.max(0, x)) * SCORE_SCALE);
        const fields = {
          valid: result.valid,
          score: bp(result.score),
          authenticity: bp(result.authenticity),
          ownership: bp(result.ownership),
          quality: bp(result.quality),
          uniqueness: bp(result.uniqueness),
        };
        const details = { ...fields, attributes: result.attributes, metadata: result.metadata };
        return {
          ...fields,
          detailsHash: keccak256(toHex(canonicalJson(details))),
          durationSec: result.attributes.durationSeconds,
          ...(mel === undefined || mel.frames === 0 ? {} : { features: { nMels: mel.nMels, frames: mel.frames, data: mel.data } }),
        };
      } finally {
        decoded.samples.fill(0);
      }
    },
  };
}

/** JSON with object keys sorted at every level, so the same result always hashes the same. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  });
}
