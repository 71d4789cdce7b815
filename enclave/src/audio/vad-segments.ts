// Turns per-window speech probabilities into speech segments with hysteresis and minimum
// durations, the way Silero's own get_speech_timestamps does, so that a cough or a click is
// not speech and a short pause does not split a sentence.

export interface VadSegmentOptions {
  /** A window at or above this starts speech. */
  threshold: number;
  /** Speech ends only after probabilities stay below this (hysteresis). */
  negThreshold: number;
  minSpeechSeconds: number;
  minSilenceSeconds: number;
  /** Padding added to both ends of each segment (clamped to the file). */
  padSeconds: number;
}

export const DEFAULT_VAD_SEGMENTS: VadSegmentOptions = {
  threshold: 0.5,
  negThreshold: 0.35,
  minSpeechSeconds: 0.25,
  minSilenceSeconds: 0.1,
  padSeconds: 0.03,
};

export interface SpeechSegment {
  start: number;
  end: number;
}

export interface VoiceActivity {
  segments: SpeechSegment[];
  speechSeconds: number;
  /** Speech seconds over the file's duration, in [0, 1]. */
  speechRatio: number;
  /** Mean speech probability over all windows, a soft companion to the ratio. */
  meanProbability: number;
}

export function voiceActivity(
  probs: Float32Array,
  windowSeconds: number,
  durationSeconds: number,
  options: Partial<VadSegmentOptions> = {},
): VoiceActivity {
  const o = { ...DEFAULT_VAD_SEGMENTS, ...options };
  const raw: SpeechSegment[] = [];
  let inSpeech = false;
  let start = 0;
  let silenceStart = -1;
  for (let i = 0; i < probs.length; i += 1) {
    const p = probs[i]!;
    const t = i * windowSeconds;
    if (!inSpeech) {
      if (p >= o.threshold) {
        inSpeech = true;
        start = t;
        silenceStart = -1;
      }
    } else if (p < o.negThreshold) {
      if (silenceStart < 0) silenceStart = t;
      if (t + windowSeconds - silenceStart >= o.minSilenceSeconds) {
        raw.push({ start, end: silenceStart });
        inSpeech = false;
      }
    } else {
      silenceStart = -1;
    }
  }
  if (inSpeech) raw.push({ start, end: silenceStart >= 0 ? silenceStart : probs.length * windowSeconds });

  const segments: SpeechSegment[] = [];
  for (const s of raw) {
    if (s.end - s.start < o.minSpeechSeconds) continue;
    const padded = { start: Math.max(0, s.start - o.padSeconds), end: Math.min(durationSeconds, s.end + o.padSeconds) };
    const last = segments[segments.length - 1];
    if (last !== undefined && padded.start <= last.end) last.end = Math.max(last.end, padded.end);
    else if (padded.end > padded.start) segments.push(padded);
  }
  const speechSeconds = segments.reduce((sum, s) => sum + (s.end - s.start), 0);
  let total = 0;
  for (const p of probs) total += p;
  return {
    segments,
    speechSeconds,
    speechRatio: durationSeconds > 0 ? Math.min(1, speechSeconds / durationSeconds) : 0,
    meanProbability: probs.length > 0 ? total / probs.length : 0,
  };
}
