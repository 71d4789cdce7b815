// What the enclave asks of the Nitro Secure Module, as one interface with two implementations
// (Nitro through /dev/nsm, simulated with a dev CA), so the runtime is the same code in both.
import { AudataError, type AudataErrorOptions } from '@audata/wire';

export interface AttestRequest {
  /** Up to 1024 bytes: the RSA SPKI for KMS, the dataset key for clients (wire/src/attestation-binding.ts). */
  publicKey?: Uint8Array;
  /** Up to 512 bytes: the binding of keys and pipeline version. */
  userData?: Uint8Array;
  /** Up to 512 bytes: the verifier's freshness challenge. */
  nonce?: Uint8Array;
}

export interface NsmDescription {
  moduleId: string;
  digest: 'SHA384';
  /** PCR index -> value, as the module reports them (0..15). */
  pcrs: Map<number, Uint8Array>;
}

export interface Nsm {
  /** A COSE_Sign1 attestation document (CBOR) over the module's PCRs and the given fields. */
  attest(request: AttestRequest): Promise<Uint8Array>;
  describe(): Promise<NsmDescription>;
}

/** NSM's own limits (aws-nitro-enclaves-nsm-api), checked before asking so the error names the field. */
export const NSM_LIMITS = { publicKey: 1024, userData: 512, nonce: 512 } as const;

export class NsmError extends AudataError {
  override name = 'NsmError';
  constructor(code: string, message: string, options: AudataErrorOptions = {}) {
    super(code, message, options);
  }
}

export class NsmInputTooLargeError extends NsmError {
  override name = 'NsmInputTooLargeError' as const;
  constructor(field: string, limit: number, received: number) {
    super('NSM_INPUT_TOO_LARGE', `The attestation ${field} is ${received} bytes, above NSM's limit of ${limit}.`, { details: { field, expected: limit, received }, hint: 'Bind a hash instead of the value.' });
  }
}

export function checkAttestRequest(request: AttestRequest): void {
  for (const field of ['publicKey', 'userData', 'nonce'] as const) {
    const value = request[field];
    if (value !== undefined && value.length > NSM_LIMITS[field]) throw new NsmInputTooLargeError(field, NSM_LIMITS[field], value.length);
  }
}
