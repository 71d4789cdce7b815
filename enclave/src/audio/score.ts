// The proof-of-contribution formula: turns the stages' numbers into the fields data DAOs
// already use (valid, score, authenticity, ownership, quality, uniqueness in [0, 1]). It rewards
// clean, novel, natural speech; more seconds help with steeply diminishing returns.

export interface ScoreThresholds {
  minDurationSeconds: number;
  maxDurationSeconds: number;
  /** Below this much detected speech the file is silence or noise: invalid. */
  minSpeechSeconds: number;
  minSpeechRatio: number;
  /** Speech seconds at which the volume factor reaches 1 - 1/e of its range. */
  volumeTauSeconds: number;
  /** Volume factor of a file with almost no speech; the rest is earned by speech seconds. */
  volumeFloor: number;
  /** Authenticity at or below which the score is 0, and at or above which it no longer gates. */
  authenticityZero: number;
  authenticityFull: number;
}

export const DEFAULT_SCORE: ScoreThresholds = {
  minDurationSeconds: 1,
  maxDurationSeconds: 3600,
  minSpeechSeconds: 0.5,
  minSpeechRatio: 0.05,
  volumeTauSeconds: 15,
  volumeFloor: 0.2,
  authenticityZero: 0.2,
  authenticityFull: 0.6,
};

export type InvalidReason = 'too-short' | 'too-long' | 'no-speech' | 'silent' | 'undecodable';

export interface ScoreInputs {
  durationSeconds: number;
  speechSeconds: number;
  speechRatio: number;
  /** Integrated loudness; -Infinity when nothing passes the BS.1770 absolute gate. */
  loudnessLufs: number;
  quality: number;
  uniqueness: number;
  authenticity: number;
  ownership: number;
}

export interface ProofFields {
  valid: boolean;
  score: number;
  authenticity: number;
  ownership: number;
  quality: number;
  uniqueness: number;
}

const clamp01 = (x: number) => Math.min(1, Math.max(0, x));

/** Why a file earns nothing, or null when it may be scored. */
export function invalidReason(i: ScoreInputs, t: ScoreThresholds = DEFAULT_SCORE): InvalidReason | null {
  if (i.durationSeconds < t.minDurationSeconds) return 'too-short';
  if (i.durationSeconds > t.maxDurationSeconds) return 'too-long';
  if (!Number.isFinite(i.loudnessLufs)) return 'silent';
  if (i.speechSeconds < t.minSpeechSeconds || i.speechRatio < t.minSpeechRatio) return 'no-speech';
  return null;
}

/** 1 - exp(-s / tau), lifted to start at `volumeFloor`: the first seconds count most. */
export function volumeFactor(speechSeconds: number, t: ScoreThresholds = DEFAULT_SCORE): number {
  return t.volumeFloor + (1 - t.volumeFloor) * (1 - Math.exp(-Math.max(0, speechSeconds) / t.volumeTauSeconds));
}

export function authenticityGate(authenticity: number, t: ScoreThresholds = DEFAULT_SCORE): number {
  return clamp01((authenticity - t.authenticityZero) / (t.authenticityFull - t.authenticityZero));
}

/**
 * score = quality x uniqueness x ownership x gate(authenticity) x volume(speech seconds), and 0
 * when invalid. Every factor is in [0, 1], so a replay (uniqueness 0), an unverified owner
 * (ownership 0) or rule-based synthesis (authenticity at or below 0.2) earns nothing however
 * long or clean it is.
 */
export function proofScore(i: ScoreInputs, thresholds: Partial<ScoreThresholds> = {}): ProofFields & { invalidReason: InvalidReason | null } {
  const t = { ...DEFAULT_SCORE, ...thresholds };
  const reason = invalidReason(i, t);
  const fields = {
    authenticity: clamp01(i.authenticity),
    ownership: clamp01(i.ownership),
    quality: clamp01(i.quality),
    uniqueness: clamp01(i.uniqueness),
  };
  const score =
    reason === null
      ? fields.quality * fields.uniqueness * fields.ownership * authenticityGate(fields.authenticity, t) * volumeFactor(i.speechSeconds, t)
      : 0;
  return { valid: reason === null, score: clamp01(score), ...fields, invalidReason: reason };
}
