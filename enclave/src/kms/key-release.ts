// Key release: the dataset key (X25519) exists in the clear only inside the enclave. At
// genesis it is created here and wrapped under a KMS data key; on every later boot the data
// key comes back through KMS Decrypt. Both calls carry Recipient (an attestation document
// with an ephemeral RSA-2048 key), so KMS answers only with CiphertextForRecipient, which
// only this enclave instance can open, and only if the key policy accepts its measurement.
import { generateKeyPairSync, randomBytes as nodeRandomBytes } from 'node:crypto';
import { DecryptCommand, GenerateDataKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import sodium from 'libsodium-wrappers';
import { bytesToHex, hexToBytes, zeroHash, type Address, type Hex } from 'viem';
import { BindingPurpose, encodeAttestationBinding, isAudataError, type SealedDatasetKeyJson } from '@audata/wire';
import type { Nsm } from '../nsm/nsm.ts';
import { KmsRequestFailedError, KmsResponseInvalidError, SealedDatasetKeyInvalidError } from './errors.ts';
import { unwrapCiphertextForRecipient } from './unwrap-recipient.ts';

export interface DatasetKeyPair {
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

export interface KeyReleaseParams {
  /** Only `send` is used; the real client in production, pointed at the dev KMS in dev. */
  kms: Pick<KMSClient, 'send'>;
  /** Fixed by the enclave's configuration, never taken from the host: a host-chosen key could be one it can decrypt without Recipient. */
  keyId: string;
  nsm: Nsm;
  signer: Address;
  pipelineVersion: Hex;
  randomBytes?: (n: number) => Uint8Array;
}

const defaultRandom = (n: number) => new Uint8Array(nodeRandomBytes(n));

/** Genesis: a new dataset key, and the sealed form the host keeps for the next boot. */
export async function createDatasetKey(params: KeyReleaseParams): Promise<{ keyPair: DatasetKeyPair; sealed: SealedDatasetKeyJson }> {
  await sodium.ready;
  const random = params.randomBytes ?? defaultRandom;
  const seed = random(32);
  const { publicKey, privateKey } = sodium.crypto_box_seed_keypair(seed);
  sodium.memzero(seed);
  const { recipient, privateKey: rsaKey } = await recipientDocument(params, bytesToHex(publicKey));
  const answer = await send(params, 'GenerateDataKey', () => params.kms.send(new GenerateDataKeyCommand({ KeyId: params.keyId, KeySpec: 'AES_256', Recipient: recipient })));
  if (answer.Plaintext !== undefined && answer.Plaintext.length > 0) throw new KmsResponseInvalidError('GenerateDataKey', 'it returned a plaintext data key outside the enclave envelope');
  if (answer.CiphertextBlob === undefined || answer.CiphertextForRecipient === undefined) throw new KmsResponseInvalidError('GenerateDataKey', 'CiphertextBlob or CiphertextForRecipient is missing');
  const dataKey = dataKeyFrom(unwrapCiphertextForRecipient(answer.CiphertextForRecipient, rsaKey));
  try {
    const nonce = random(sodium.crypto_secretbox_NONCEBYTES);
    const box = sodium.crypto_secretbox_easy(privateKey, nonce, dataKey);
    return {
      keyPair: { publicKey, secretKey: privateKey },
      sealed: { version: 1, kmsKeyId: params.keyId, kmsCiphertextBlob: Buffer.from(answer.CiphertextBlob).toString('base64'), nonce: bytesToHex(nonce), box: bytesToHex(box), datasetKey: bytesToHex(publicKey) },
    };
  } finally {
    sodium.memzero(dataKey);
  }
}

/** A later boot: the same dataset key, released by KMS only to an accepted measurement. */
export async function openDatasetKey(params: KeyReleaseParams, sealed: SealedDatasetKeyJson): Promise<DatasetKeyPair> {
  await sodium.ready;
  if (sealed.kmsKeyId !== params.keyId) throw new SealedDatasetKeyInvalidError(`it names KMS key ${sealed.kmsKeyId}, this enclave uses ${params.keyId}`);
  const { recipient, privateKey: rsaKey } = await recipientDocument(params, zeroHash);
  const blob = new Uint8Array(Buffer.from(sealed.kmsCiphertextBlob, 'base64'));
  const answer = await send(params, 'Decrypt', () => params.kms.send(new DecryptCommand({ KeyId: params.keyId, CiphertextBlob: blob, Recipient: recipient })));
  if (answer.Plaintext !== undefined && answer.Plaintext.length > 0) throw new KmsResponseInvalidError('Decrypt', 'it returned a plaintext data key outside the enclave envelope');
  if (answer.CiphertextForRecipient === undefined) throw new KmsResponseInvalidError('Decrypt', 'CiphertextForRecipient is missing');
  const dataKey = dataKeyFrom(unwrapCiphertextForRecipient(answer.CiphertextForRecipient, rsaKey));
  let secretKey: Uint8Array;
  try {
    secretKey = sodium.crypto_secretbox_open_easy(hexToBytes(sealed.box), hexToBytes(sealed.nonce), dataKey);
  } catch {
    throw new SealedDatasetKeyInvalidError('the wrapped key does not authenticate under the released data key');
  } finally {
    sodium.memzero(dataKey);
  }
  if (secretKey.length !== sodium.crypto_box_SECRETKEYBYTES) throw new SealedDatasetKeyInvalidError(`the wrapped key is ${secretKey.length} bytes`);
  // The public key is derived, never taken from the host's copy; a mismatch means the copy was altered.
  const publicKey = sodium.crypto_scalarmult_base(secretKey);
  if (bytesToHex(publicKey) !== sealed.datasetKey.toLowerCase()) {
    sodium.memzero(secretKey);
    throw new SealedDatasetKeyInvalidError('its datasetKey does not match the unwrapped secret key');
  }
  return { publicKey, secretKey };
}

async function recipientDocument(params: KeyReleaseParams, datasetKey: Hex) {
  // A fresh RSA key per request: KMS encrypts to it, and it dies with this call.
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 0x10001 });
  const spki = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }));
  const userData = encodeAttestationBinding({ purpose: BindingPurpose.kmsRecipient, datasetKey, signer: params.signer, pipelineVersion: params.pipelineVersion });
  const document = await params.nsm.attest({ publicKey: spki, userData });
  return { recipient: { AttestationDocument: document, KeyEncryptionAlgorithm: 'RSAES_OAEP_SHA_256' as const }, privateKey };
}

async function send<T>(_params: KeyReleaseParams, operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    // The enclave's own refusal (e.g. no credentials from the host) keeps its code.
    if (isAudataError(error)) throw error;
    const e = error as { name?: string; message?: string };
    throw new KmsRequestFailedError(operation, e.name ?? 'Error', e.message ?? String(error));
  }
}

function dataKeyFrom(plaintext: Uint8Array): Uint8Array {
  if (plaintext.length !== 32) {
    sodium.memzero(plaintext);
    throw new KmsResponseInvalidError('key release', `the data key is ${plaintext.length} bytes, expected 32`);
  }
  return plaintext;
}
