// Everything a job releases leaves sealed to the buyer's X25519 key (libsodium
// crypto_box_seal: an ephemeral sender key, so only the buyer can open it and no one,
// the host included, learns anything but its length).
import sodium from 'libsodium-wrappers';
import { JobParameterError } from './errors.ts';

export async function sealToBuyer(plaintext: Uint8Array, buyerKey: Uint8Array): Promise<Uint8Array> {
  await sodium.ready;
  if (buyerKey.length !== sodium.crypto_box_PUBLICKEYBYTES) throw new JobParameterError('buyerKey', `${sodium.crypto_box_PUBLICKEYBYTES} bytes (X25519)`, buyerKey.length);
  return sodium.crypto_box_seal(plaintext, buyerKey);
}

/** A release as JSON bytes; numbers are float64 and round-trip exactly. */
export function encodeRelease(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}
