// Connects the audio pipeline (src/audio) to the runtime: authenticated audio in, proof fields
// in basis points out, with the full result (attributes, metadata) bound by its hash. Decoding
// and scoring failures keep their typed codes, so the host learns why a file was refused.
import { SCORE_SCALE } from '@audata/wire';
import { keccak256, toHex, type Hex } from 'viem';
import { decodeAudio } from '../audio/decode/index.ts';
import { analyseRecording, judgeRecording, PIPELINE_VERSION, type RecordingAnalysis } from '../audio/pipeline.ts';
import type { FingerprintIndex } from '../audio/uniqueness.ts';
import { SILERO_VAD_SHA256, type SileroVad } from '../audio/vad.ts';
import type { OpenedContribution } from '../envelope/open.ts';
import type { ContributionScorer, ScoredContribution } from './enclave-runtime.ts';
import type { ScoringPool } from './scoring-pool.ts';

/** What the proofs' pipelineVersion names: the pipeline's version and the model it pins. */
export const SCORING_PIPELINE_IDENTITY = `${PIPELINE_VERSION}; silero_vad.onnx sha256 ${SILERO_VAD_SHA256}`;
export const SCORING_PIPELINE_VERSION: Hex = keccak256(toHex(SCORING_PIPELINE_IDENTITY));

/** The index itself, or a holder whose index a restored state may replace (src/state/fingerprint-slot.ts). */
export type IndexSource = FingerprintIndex | { readonly current: FingerprintIndex };

/** Scores on the calling thread with one Silero session: the path of AUDATA_SCORING_THREADS=1. */
export function createPipelineScorer(deps: { vad: SileroVad; index: IndexSource }): ContributionScorer {
  return {
    async score(opened): Promise<ScoredContribution> {
      const decoded = await decodeAudio(opened.audio);
      try {
        return judgeContribution(await analyseRecording(decoded.samples, { vad: deps.vad }), deps.index, opened);
      } finally {
        decoded.samples.fill(0);
      }
    },
  };
}

/**
 * Decodes and analyses on the pool's threads (the plaintext moves there), and judges here, one
 * file at a time in the order the analyses finish: the judgement is synchronous, so uniqueness
 * is looked up and inserted atomically and two copies scored at once cannot both be unique.
 */
export function createPooledScorer(deps: { pool: ScoringPool; index: IndexSource }): ContributionScorer {
  return {
    async score(opened): Promise<ScoredContribution> {
      return judgeContribution(await deps.pool.analyse(opened.audio), deps.index, opened);
    },
  };
}

function judgeContribution(analysis: RecordingAnalysis, source: IndexSource, opened: OpenedContribution): ScoredContribution {
  const index = 'current' in source ? source.current : source;
  // Ownership is 1: the contributor is the manifest's verified signer, never a claim.
  const result = judgeRecording(analysis, { index, fileId: opened.manifest.ciphertextSha256, ownership: 1 });
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
  // The log-mel the analysis computed anyway is kept for the feature store, not computed twice.
  const mel = analysis.mel;
  return {
    ...fields,
    detailsHash: keccak256(toHex(canonicalJson(details))),
    durationSec: result.attributes.durationSeconds,
    ...(mel.frames === 0 ? {} : { features: { nMels: mel.nMels, frames: mel.frames, data: mel.data } }),
  };
}

/** JSON with object keys sorted at every level, so the same result always hashes the same. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  });
}
