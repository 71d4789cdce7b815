// The proof-of-contribution formula: turns the stages' numbers into the fields data DAOs
// already use (valid, score, authenticity, ownership, quality, uniqueness in [0, 1]). It rewards
// clean, novel, natural speech, and pays for speech seconds linearly with a per-file deduction,
// so cutting a recording into pieces never earns more than sending it whole.

export interface ScoreThresholds {
  minDurationSeconds: number;
  maxDurationSeconds: number;
  /**
   * Below this much detected speech the file is silence, noise or too little to use: invalid.
   * The same seconds are deducted from every valid file's volume, so each cut costs them.
   */
  minSpeechSeconds: number;
  minSpeechRatio: number;
  /**
   * Speech seconds at which the volume factor reaches 1. Not above `maxDurationSeconds`' worth:
   * equal to it, no valid file saturates, and the volume stays linear wherever a file can be.
   */
  volumeCapSeconds: number;
  /** Authenticity at or below which the score is 0, and at or above which it no longer gates. */
  authenticityZero: number;
  authenticityFull: number;
}

export const DEFAULT_SCORE: ScoreThresholds = {
  minDurationSeconds: 1,
  maxDurationSeconds: 600,
  minSpeechSeconds: 1,
  minSpeechRatio: 0.05,
  volumeCapSeconds: 600,
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

/**
 * (s - minSpeech) / (cap - minSpeech), clamped to [0, 1]: linear, so n pieces with s_1 + ... + s_n
 * speech seconds earn the whole's volume less (n - 1) deductions. A concave volume (diminishing
 * returns per file) would pay for splitting instead.
 */
export function volumeFactor(speechSeconds: number, t: ScoreThresholds = DEFAULT_SCORE): number {
  return clamp01((speechSeconds - t.minSpeechSeconds) / (t.volumeCapSeconds - t.minSpeechSeconds));
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
