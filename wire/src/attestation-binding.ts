// How an attestation document binds this boot's keys and pipeline, so that a client, the
// EnclaveRegistry and an auditor read the same bytes: the layout of `user_data`, and what
// `public_key` holds in each kind of document.
//
// `user_data` (90 bytes, fixed layout; NSM allows up to 512):
//
// | offset | size | field                                                           |
// |--------|------|-----------------------------------------------------------------|
// | 0      | 4    | magic `AUDB` (0x41 0x55 0x44 0x42)                              |
// | 4      | 1    | layout version, 1                                               |
// | 5      | 1    | purpose: 1 = client-facing, 2 = KMS recipient                   |
// | 6      | 32   | dataset X25519 public key (all zero before it is unwrapped)     |
// | 38     | 20   | enclave signer address (secp256k1, this boot)                   |
// | 58     | 32   | pipelineVersion (bytes32, as in ContributionProof)              |
//
// `public_key`:
// - purpose 1 (client-facing, the `attestation` channel request): the 32-byte X25519 dataset
//   public key again, so a client that reads only `public_key` still seals to the right key;
// - purpose 2 (KMS recipient): the ephemeral RSA-2048 SubjectPublicKeyInfo (DER) that AWS KMS
//   encrypts CiphertextForRecipient to (Recipient.AttestationDocument).
import { bytesToHex, getAddress, hexToBytes, type Address, type Hex } from 'viem';
import { AudataError } from './errors.ts';

export const BINDING_MAGIC = new Uint8Array([0x41, 0x55, 0x44, 0x42]);
export const BINDING_VERSION = 1;
export const BINDING_BYTES = 90;
export const BindingPurpose = { client: 1, kmsRecipient: 2 } as const;
export type BindingPurpose = (typeof BindingPurpose)[keyof typeof BindingPurpose];

export interface AttestationBinding {
  purpose: BindingPurpose;
  /** 0x-hex of 32 bytes; all zero when not yet known (a KMS document at a restart). */
  datasetKey: Hex;
  signer: Address;
  pipelineVersion: Hex;
}

export class AttestationBindingError extends AudataError {
  override name = 'AttestationBindingError' as const;
  constructor(reason: string) {
    super('ATTESTATION_BINDING_INVALID', `The document's user_data is not an Audata binding: ${reason}.`, {
      details: { reason },
      hint: 'Verify a document produced by an Audata enclave (wire/src/attestation-binding.ts).',
    });
  }
}

export function encodeAttestationBinding(binding: AttestationBinding): Uint8Array {
  const out = new Uint8Array(BINDING_BYTES);
  out.set(BINDING_MAGIC, 0);
  out[4] = BINDING_VERSION;
  out[5] = binding.purpose;
  out.set(fixed(binding.datasetKey, 32, 'datasetKey'), 6);
  out.set(fixed(binding.signer, 20, 'signer'), 38);
  out.set(fixed(binding.pipelineVersion, 32, 'pipelineVersion'), 58);
  return out;
}

/** Parses untrusted `user_data`; call it only on a document the verifier has accepted. */
export function decodeAttestationBinding(userData: Uint8Array | null): AttestationBinding {
  if (userData === null) throw new AttestationBindingError('user_data is absent');
  if (userData.length !== BINDING_BYTES) throw new AttestationBindingError(`it is ${userData.length} bytes, expected ${BINDING_BYTES}`);
  if (!BINDING_MAGIC.every((b, i) => userData[i] === b)) throw new AttestationBindingError('the magic is not AUDB');
  if (userData[4] !== BINDING_VERSION) throw new AttestationBindingError(`layout version ${userData[4]}, expected ${BINDING_VERSION}`);
  const purpose = userData[5];
  if (purpose !== BindingPurpose.client && purpose !== BindingPurpose.kmsRecipient) throw new AttestationBindingError(`unknown purpose ${purpose}`);
  return {
    purpose,
    datasetKey: bytesToHex(userData.subarray(6, 38)),
    signer: getAddress(bytesToHex(userData.subarray(38, 58))),
    pipelineVersion: bytesToHex(userData.subarray(58, 90)),
  };
}

function fixed(value: Hex, size: number, field: string): Uint8Array {
  const bytes = /^0x[0-9a-fA-F]*$/.test(value) ? hexToBytes(value) : new Uint8Array(0);
  if (bytes.length !== size) throw new AttestationBindingError(`${field} is not ${size} bytes`);
  return bytes;
}
