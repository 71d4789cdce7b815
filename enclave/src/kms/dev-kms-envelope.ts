// Builds the CMS EnvelopedData the dev KMS answers with, in AWS KMS's shape (RSAES-OAEP-SHA-256
// key transport to the attested RSA key, AES-256-CBC content split into a constructed OCTET
// STRING, which is BER, not DER), so the enclave's unwrapping code is what runs in dev.
// Part of the dev stand-in at the boundary, never of the enclave bundle.
import { createCipheriv, createHash, publicEncrypt, constants, randomBytes, type KeyObject } from 'node:crypto';
import {
  ContentEncryptionAlgorithmIdentifier,
  ContentInfo,
  EncryptedContent,
  EncryptedContentInfo,
  EnvelopedData,
  KeyEncryptionAlgorithmIdentifier,
  KeyTransRecipientInfo,
  RecipientIdentifier,
  RecipientInfo,
  RecipientInfos,
  CMSVersion,
  id_data,
  id_envelopedData,
} from '@peculiar/asn1-cms';
import { AsnSerializer, OctetString } from '@peculiar/asn1-schema';
import { OID_AES256_CBC, OID_RSAES_OAEP } from './unwrap-recipient.ts';

/** RSAES-OAEP-params { hashAlgorithm sha256, maskGenAlgorithm mgf1(sha256) } (RFC 4055), as OpenSSL and KMS encode them. */
export const OAEP_SHA256_PARAMS = Buffer.from('302ba00d300b0609608648016503040201a11a301806092a864886f70d010108300b0609608648016503040201', 'hex');

export function buildRecipientEnvelope(plaintext: Uint8Array, recipient: KeyObject, options: { oaepParams?: Uint8Array; random?: (n: number) => Uint8Array } = {}): Uint8Array {
  const random = options.random ?? ((n: number) => new Uint8Array(randomBytes(n)));
  const contentKey = random(32);
  const iv = random(16);
  const cipher = createCipheriv('aes-256-cbc', contentKey, iv);
  const encrypted = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const encryptedKey = publicEncrypt({ key: recipient, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, contentKey);
  contentKey.fill(0);
  const spki = recipient.export({ format: 'der', type: 'spki' });
  const ktri = new KeyTransRecipientInfo({
    version: CMSVersion.v2,
    rid: new RecipientIdentifier({ subjectKeyIdentifier: new OctetString(createHash('sha1').update(spki).digest()) }),
    keyEncryptionAlgorithm: new KeyEncryptionAlgorithmIdentifier({ algorithm: OID_RSAES_OAEP, parameters: toArrayBuffer(options.oaepParams ?? OAEP_SHA256_PARAMS) }),
    encryptedKey: new OctetString(encryptedKey),
  });
  const half = Math.ceil(encrypted.length / 32) * 16;
  const enveloped = new EnvelopedData({
    version: CMSVersion.v2,
    recipientInfos: new RecipientInfos([new RecipientInfo({ ktri })]),
    encryptedContentInfo: new EncryptedContentInfo({
      contentType: id_data,
      contentEncryptionAlgorithm: new ContentEncryptionAlgorithmIdentifier({ algorithm: OID_AES256_CBC, parameters: AsnSerializer.serialize(new OctetString(iv)) }),
      encryptedContent: new EncryptedContent({ constructedValue: [new OctetString(encrypted.subarray(0, half)), new OctetString(encrypted.subarray(half))] }),
    }),
  });
  const info = new ContentInfo({ contentType: id_envelopedData, content: AsnSerializer.serialize(enveloped) });
  return new Uint8Array(AsnSerializer.serialize(info));
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}
