// The enclave has no instance metadata service, so in Nitro its KMS client takes the parent
// role's temporary credentials from the host (boot and credentials requests). They only
// authorize the call; the attestation in Recipient is what the key policy checks. They are
// held in memory only: never logged, never put in an error, never sealed.
import { AudataError, credentialsFromJson, type AwsCredentialIdentity, type AwsCredentialsJson } from '@audata/wire';

export class KmsCredentialsMissingError extends AudataError {
  override name = 'KmsCredentialsMissingError' as const;
  constructor() {
    super('ENCLAVE_KMS_CREDENTIALS_MISSING', 'The enclave has no AWS credentials for KMS: it is configured to take them from the host (AUDATA_KMS_CREDENTIALS=host), and none were given.', {
      hint: "Pass the parent instance role's credentials with boot (host: AUDATA_ENCLAVE_AWS_CREDENTIALS=1).",
    });
  }
}

export class KmsCredentialsExpiredError extends AudataError {
  override name = 'KmsCredentialsExpiredError' as const;
  constructor(expiration: Date, now: Date) {
    super('ENCLAVE_KMS_CREDENTIALS_EXPIRED', `The AWS credentials the host gave expired at ${expiration.toISOString()} (now ${now.toISOString()}).`, {
      details: { expiration: expiration.toISOString(), now: now.toISOString() },
      hint: 'The host must send fresh credentials (the credentials request) before they expire.',
    });
  }
}

/** Credentials from the host, and the provider the enclave's KMSClient is built with. */
export class HostCredentials {
  #current: AwsCredentialIdentity | undefined;
  readonly #now: () => Date;
  /**
   * `credentials` for new KMSClient(...). Marked memoized so the SDK asks it on every call
   * instead of caching the first answer (forever, without an expiration): a refresh from the
   * host takes effect at the next call.
   */
  readonly provider: (() => Promise<AwsCredentialIdentity>) & { memoized: true };

  constructor(params: { now?: () => Date } = {}) {
    this.#now = params.now ?? (() => new Date());
    this.provider = Object.assign(async () => this.current(), { memoized: true as const });
  }

  /** Replaces the credentials every later KMS call signs with (schema-checked by the channel). */
  set(json: AwsCredentialsJson): void {
    this.#current = credentialsFromJson(json);
  }

  current(): AwsCredentialIdentity {
    const held = this.#current;
    if (held === undefined) throw new KmsCredentialsMissingError();
    const now = this.#now();
    if (held.expiration !== undefined && held.expiration.getTime() <= now.getTime()) throw new KmsCredentialsExpiredError(held.expiration, now);
    return { ...held };
  }
}
