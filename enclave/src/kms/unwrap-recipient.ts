// Opens AWS KMS's CiphertextForRecipient inside the enclave: a CMS EnvelopedData (RFC 5652,
// often indefinite-length BER) whose content key is RSAES-OAEP-SHA-256 encrypted (RFC 8017,
// parameters per RFC 4055) to the RSA key in the attestation document, and whose content,
// AES-256-CBC with PKCS#7 padding, is the KMS plaintext.
import { createDecipheriv, privateDecrypt, constants, type KeyObject } from 'node:crypto';
import { ContentInfo, EnvelopedData, KeyEncryptionAlgorithmIdentifier, id_data, id_envelopedData } from '@peculiar/asn1-cms';
import { AsnParser, OctetString } from '@peculiar/asn1-schema';
import { RecipientEnvelopeInvalidError } from './errors.ts';

export const OID_RSAES_OAEP = '1.2.840.113549.1.1.7';
export const OID_MGF1 = '1.2.840.113549.1.1.8';
export const OID_SHA256 = '2.16.840.1.101.3.4.2.1';
export const OID_AES256_CBC = '2.16.840.1.101.3.4.1.42';
/** The plaintexts key release handles are data keys; anything much larger is not from KMS. */
const MAX_ENVELOPE_BYTES = 16 * 1024;

export function unwrapCiphertextForRecipient(envelope: Uint8Array, privateKey: KeyObject): Uint8Array {
  if (envelope.length > MAX_ENVELOPE_BYTES) throw new RecipientEnvelopeInvalidError(`${envelope.length} bytes is above the ${MAX_ENVELOPE_BYTES}-byte limit`);
  let enveloped: EnvelopedData;
  try {
    const info = AsnParser.parse(envelope, ContentInfo);
    if (info.contentType !== id_envelopedData) throw new RecipientEnvelopeInvalidError(`content type ${info.contentType}, expected envelopedData`);
    enveloped = AsnParser.parse(info.content, EnvelopedData);
  } catch (error) {
    if (error instanceof RecipientEnvelopeInvalidError) throw error;
    throw new RecipientEnvelopeInvalidError('it does not parse as ContentInfo/EnvelopedData', error);
  }
  const transports = enveloped.recipientInfos.filter((info) => info.ktri !== undefined);
  if (transports.length !== 1 || enveloped.recipientInfos.length !== 1) {
    throw new RecipientEnvelopeInvalidError(`expected exactly one key-transport recipient, found ${enveloped.recipientInfos.length} recipients`);
  }
  const ktri = transports[0]!.ktri!;
  checkOaepSha256(ktri.keyEncryptionAlgorithm);

  const content = enveloped.encryptedContentInfo;
  if (content.contentType !== id_data) throw new RecipientEnvelopeInvalidError(`encrypted content type ${content.contentType}, expected data`);
  if (content.contentEncryptionAlgorithm.algorithm !== OID_AES256_CBC) {
    throw new RecipientEnvelopeInvalidError(`content algorithm ${content.contentEncryptionAlgorithm.algorithm}, expected AES-256-CBC`);
  }
  const ivParams = content.contentEncryptionAlgorithm.parameters;
  let iv: Uint8Array;
  try {
    iv = new Uint8Array(AsnParser.parse(ivParams ?? new ArrayBuffer(0), OctetString).buffer);
  } catch (error) {
    throw new RecipientEnvelopeInvalidError('the AES-CBC IV is missing or malformed', error);
  }
  if (iv.length !== 16) throw new RecipientEnvelopeInvalidError(`the IV is ${iv.length} bytes, expected 16`);
  const encrypted = content.encryptedContent;
  const pieces = encrypted?.value !== undefined ? [encrypted.value] : (encrypted?.constructedValue ?? []);
  const ciphertext = Buffer.concat(pieces.map((piece) => new Uint8Array(piece.buffer)));
  if (ciphertext.length === 0 || ciphertext.length % 16 !== 0) throw new RecipientEnvelopeInvalidError(`the encrypted content is ${ciphertext.length} bytes, not a positive multiple of 16`);

  let contentKey: Buffer;
  try {
    contentKey = privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, new Uint8Array(ktri.encryptedKey.buffer));
  } catch (error) {
    throw new RecipientEnvelopeInvalidError('the content key does not decrypt with this enclave\'s RSA key', error);
  }
  try {
    if (contentKey.length !== 32) throw new RecipientEnvelopeInvalidError(`the content key is ${contentKey.length} bytes, expected 32`);
    const decipher = createDecipheriv('aes-256-cbc', contentKey, iv);
    try {
      return new Uint8Array(Buffer.concat([decipher.update(ciphertext), decipher.final()]));
    } catch (error) {
      throw new RecipientEnvelopeInvalidError('the content does not decrypt (bad padding)', error);
    }
  } finally {
    contentKey.fill(0);
  }
}

/** RSAES-OAEP-params (RFC 4055 section 3.1) must name SHA-256 for both the hash and MGF1; the SHA-1 default is refused. */
function checkOaepSha256(algorithm: KeyEncryptionAlgorithmIdentifier): void {
  if (algorithm.algorithm !== OID_RSAES_OAEP) throw new RecipientEnvelopeInvalidError(`key transport ${algorithm.algorithm}, expected RSAES-OAEP`);
  const params = new Uint8Array(algorithm.parameters ?? new ArrayBuffer(0));
  const fields = explicitFields(params);
  const hash = fields.get(0);
  const mgf = fields.get(1);
  if (fields.has(2)) throw new RecipientEnvelopeInvalidError('OAEP pSourceAlgorithm is not the default');
  if (hash === undefined || parseAlgorithm(hash).algorithm !== OID_SHA256) throw new RecipientEnvelopeInvalidError('the OAEP hash is not SHA-256');
  if (mgf === undefined) throw new RecipientEnvelopeInvalidError('the OAEP mask generation is the SHA-1 default');
  const mgfAlgorithm = parseAlgorithm(mgf);
  if (mgfAlgorithm.algorithm !== OID_MGF1 || mgfAlgorithm.parameters == null || parseAlgorithm(new Uint8Array(mgfAlgorithm.parameters as ArrayBuffer)).algorithm !== OID_SHA256) {
    throw new RecipientEnvelopeInvalidError('the OAEP mask generation is not MGF1 with SHA-256');
  }
}

function parseAlgorithm(der: Uint8Array): KeyEncryptionAlgorithmIdentifier {
  try {
    return AsnParser.parse(der, KeyEncryptionAlgorithmIdentifier);
  } catch (error) {
    throw new RecipientEnvelopeInvalidError('an OAEP parameter is not an AlgorithmIdentifier', error);
  }
}

/** The [0], [1], [2] explicit fields of a DER SEQUENCE, each as the bytes of the element it wraps. */
function explicitFields(der: Uint8Array): Map<number, Uint8Array> {
  const outer = readTlv(der, 0);
  if (outer.tag !== 0x30 || outer.end !== der.length) throw new RecipientEnvelopeInvalidError('OAEP parameters are not one SEQUENCE');
  const fields = new Map<number, Uint8Array>();
  let offset = outer.start;
  while (offset < outer.end) {
    const field = readTlv(der, offset);
    if (field.tag < 0xa0 || field.tag > 0xa2 || fields.has(field.tag - 0xa0)) throw new RecipientEnvelopeInvalidError(`unexpected OAEP parameter tag 0x${field.tag.toString(16)}`);
    fields.set(field.tag - 0xa0, der.subarray(field.start, field.end));
    offset = field.end;
  }
  return fields;
}

function readTlv(der: Uint8Array, offset: number): { tag: number; start: number; end: number } {
  const tag = der[offset];
  const first = der[offset + 1];
  if (tag === undefined || first === undefined) throw new RecipientEnvelopeInvalidError('OAEP parameters end early');
  let length = first;
  let start = offset + 2;
  if (first & 0x80) {
    const count = first & 0x7f;
    if (count === 0 || count > 2 || start + count > der.length) throw new RecipientEnvelopeInvalidError('OAEP parameters have an unsupported length');
    length = 0;
    for (let i = 0; i < count; i += 1) length = length * 256 + der[start + i]!;
    start += count;
  }
  if (start + length > der.length) throw new RecipientEnvelopeInvalidError('an OAEP parameter runs past its container');
  return { tag, start, end: start + length };
}
