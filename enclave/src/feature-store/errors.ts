// Typed failures of the encrypted feature cache: a stored entry the enclave cannot trust,
// or features it refuses to store.
import { AudataError, type AudataErrorOptions } from '@audata/wire';

export class FeatureStoreError extends AudataError {
  override name = 'FeatureStoreError';
  constructor(code: string, message: string, options: AudataErrorOptions = {}) {
    super(code, message, options);
  }
}

/** A stored entry fails authentication, has the wrong form, or belongs to another file. */
export class FeatureStoreTamperedError extends FeatureStoreError {
  override name = 'FeatureStoreTamperedError' as const;
  constructor(fileId: string, reason: string) {
    super('FEATURE_STORE_TAMPERED', `The cached features of file ${fileId} cannot be trusted: ${reason}.`, {
      details: { fileId, reason },
      hint: 'The entry was altered or swapped outside the enclave; delete it and recompute the features from the audio.',
    });
  }
}

/** Features to store are not a well-formed log-mel spectrogram within the caps. */
export class FeatureStoreInputError extends FeatureStoreError {
  override name = 'FeatureStoreInputError' as const;
  constructor(field: string, expected: string, received: string | number) {
    super('FEATURE_STORE_INVALID_INPUT', `${field} must be ${expected}; received ${String(received)}.`, { details: { field, expected, received } });
  }
}
