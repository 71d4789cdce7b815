// Every way a contribution envelope can be refused, one typed error per cause, so the host
// can tell a forged manifest from a damaged upload and nothing is scored on a guess.
import { AudataError, type AudataErrorOptions } from '@audata/wire';

export class EnvelopeError extends AudataError {
  override name = 'EnvelopeError';
  constructor(code: string, message: string, options: AudataErrorOptions = {}) {
    super(code, message, options);
  }
}

export class EnvelopeHeaderInvalidError extends EnvelopeError {
  override name = 'EnvelopeHeaderInvalidError' as const;
  constructor(field: string, problem: string) {
    super('ENVELOPE_HEADER_INVALID', `Envelope header field ${field} ${problem}.`, { details: { field, problem }, hint: 'Send the header exactly as the client produced it.' });
  }
}

export class EnvelopeVersionUnsupportedError extends EnvelopeError {
  override name = 'EnvelopeVersionUnsupportedError' as const;
  constructor(part: 'header' | 'stream', received: string) {
    super('ENVELOPE_VERSION_UNSUPPORTED', `The envelope ${part} is version ${received}; this enclave opens version 1.`, {
      details: { part, expected: '1', received },
      hint: 'Seal the recording with a client that speaks envelope version 1.',
    });
  }
}

export class EnvelopeManifestSignatureInvalidError extends EnvelopeError {
  override name = 'EnvelopeManifestSignatureInvalidError' as const;
  constructor(expected: string, received: string) {
    super('ENVELOPE_MANIFEST_SIGNATURE_INVALID', `The manifest signature recovers ${received}, not the contributor ${expected}.`, {
      details: { expected, received },
      hint: 'The manifest was altered or signed by another wallet; the contributor must sign it again.',
    });
  }
}

export class EnvelopeWrongDatasetKeyError extends EnvelopeError {
  override name = 'EnvelopeWrongDatasetKeyError' as const;
  constructor(expected: string, received: string) {
    super('ENVELOPE_WRONG_DATASET_KEY', 'The manifest names a dataset key this enclave does not hold.', {
      details: { expected, received },
      hint: 'Seal to the dataset key from a fresh attestation document of this dataset.',
    });
  }
}

export class EnvelopeSealedKeyHashMismatchError extends EnvelopeError {
  override name = 'EnvelopeSealedKeyHashMismatchError' as const;
  constructor(expected: string, received: string) {
    super('ENVELOPE_SEALED_KEY_HASH_MISMATCH', 'The sealed file key is not the one the contributor signed.', { details: { expected, received }, hint: 'Forward the sealed key unchanged.' });
  }
}

export class EnvelopeSealInvalidError extends EnvelopeError {
  override name = 'EnvelopeSealInvalidError' as const;
  constructor(reason: string) {
    super('ENVELOPE_SEAL_INVALID', `The file key cannot be unsealed with the dataset key: ${reason}.`, {
      details: { reason },
      hint: 'The file key was sealed to another key; re-seal it to the attested dataset key.',
    });
  }
}

export class EnvelopeReplayedError extends EnvelopeError {
  override name = 'EnvelopeReplayedError' as const;
  constructor(manifestHash: string) {
    super('ENVELOPE_REPLAYED', 'This manifest has already been opened.', { details: { manifestHash }, hint: 'Each recording is submitted once; sign a new manifest for a new upload.' });
  }
}

export class EnvelopeTruncatedError extends EnvelopeError {
  override name = 'EnvelopeTruncatedError' as const;
  constructor(reason: string, expected: number, received: number) {
    super('ENVELOPE_TRUNCATED', `The ciphertext stream is truncated: ${reason}.`, {
      details: { reason, expected, received },
      hint: 'Upload the whole ciphertext; the stream must end with its final chunk.',
    });
  }
}

export class EnvelopeLengthMismatchError extends EnvelopeError {
  override name = 'EnvelopeLengthMismatchError' as const;
  constructor(expected: number, received: number) {
    super('ENVELOPE_LENGTH_MISMATCH', `The ciphertext stream is longer than the ${expected} bytes its header declares.`, {
      details: { expected, received },
      hint: 'Send the ciphertext and header that belong together.',
    });
  }
}

export class EnvelopeCiphertextHashMismatchError extends EnvelopeError {
  override name = 'EnvelopeCiphertextHashMismatchError' as const;
  constructor(expected: string, received: string) {
    super('ENVELOPE_CIPHERTEXT_HASH_MISMATCH', 'The ciphertext is not the one the contributor signed.', {
      details: { expected, received },
      hint: 'The stored blob was altered or belongs to another manifest.',
    });
  }
}

export class EnvelopeCiphertextInvalidError extends EnvelopeError {
  override name = 'EnvelopeCiphertextInvalidError' as const;
  constructor(reason: string) {
    super('ENVELOPE_CIPHERTEXT_INVALID', `The signed ciphertext does not decrypt: ${reason}.`, {
      details: { reason },
      hint: 'The contributor signed a malformed stream; seal the recording again.',
    });
  }
}

export class EnvelopeTooLargeError extends EnvelopeError {
  override name = 'EnvelopeTooLargeError' as const;
  constructor(limit: number, received: number) {
    super('ENVELOPE_TOO_LARGE', `The recording holds ${received} bytes, above this enclave's limit of ${limit}.`, {
      details: { expected: limit, received },
      hint: 'Split long recordings into files under the limit.',
    });
  }
}
