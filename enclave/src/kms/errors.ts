// Every way key release can fail, one typed error per cause: the enclave either holds its
// dataset key, proven to come from KMS under the attestation policy, or it does not start.
import { AudataError, type AudataErrorOptions } from '@audata/wire';

export class KeyReleaseError extends AudataError {
  override name = 'KeyReleaseError';
  constructor(code: string, message: string, options: AudataErrorOptions = {}) {
    super(code, message, options);
  }
}

export class RecipientEnvelopeInvalidError extends KeyReleaseError {
  override name = 'RecipientEnvelopeInvalidError' as const;
  constructor(reason: string, cause?: unknown) {
    super('KMS_RECIPIENT_ENVELOPE_INVALID', `CiphertextForRecipient is not a usable CMS EnvelopedData: ${reason}.`, {
      details: { reason },
      hint: 'Expect RSAES-OAEP-SHA-256 key transport and AES-256-CBC content, as AWS KMS sends for Recipient requests.',
      ...(cause === undefined ? {} : { cause }),
    });
  }
}

export class KmsRequestFailedError extends KeyReleaseError {
  override name = 'KmsRequestFailedError' as const;
  constructor(operation: string, kmsError: string, message: string) {
    super('KMS_REQUEST_FAILED', `KMS ${operation} failed with ${kmsError}: ${message}.`, {
      details: { operation, kmsError },
      hint: kmsError === 'AccessDeniedException' ? "The key policy refused this enclave's attestation (a different build, or debug mode)." : 'Check the KMS endpoint, key id and credentials.',
    });
  }
}

export class KmsResponseInvalidError extends KeyReleaseError {
  override name = 'KmsResponseInvalidError' as const;
  constructor(operation: string, reason: string) {
    super('KMS_RESPONSE_INVALID', `KMS ${operation} answered without what key release needs: ${reason}.`, { details: { operation, reason }, hint: 'Send a Recipient request; KMS must answer with CiphertextForRecipient only.' });
  }
}

export class SealedDatasetKeyInvalidError extends KeyReleaseError {
  override name = 'SealedDatasetKeyInvalidError' as const;
  constructor(reason: string) {
    super('SEALED_DATASET_KEY_INVALID', `The sealed dataset key cannot be opened: ${reason}.`, {
      details: { reason },
      hint: 'Give the enclave the sealed key its genesis boot returned, unchanged.',
    });
  }
}
