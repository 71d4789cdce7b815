// A local stand-in for AWS KMS at the boundary (never part of the enclave bundle): it speaks
// the AWS JSON 1.1 protocol for TrentService.GenerateDataKey and TrentService.Decrypt, so the
// unmodified @aws-sdk/client-kms talks to it through `endpoint`, and it enforces what a
// production key policy does with kms:RecipientAttestation:ImageSha384 (PCR0): the attestation
// document must verify (here against the dev root) and name an allowed measurement, or the
// caller gets AccessDeniedException. It never returns a plaintext data key.
import { createCipheriv, createDecipheriv, createPublicKey, randomBytes as nodeRandomBytes, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { verifyAttestation } from '@audata/verifier';
import { buildRecipientEnvelope } from './dev-kms-envelope.ts';

export interface DevKmsPolicy {
  /** Allowed PCR0 values (hex, SHA-384): kms:RecipientAttestation:ImageSha384. */
  imageSha384: readonly string[];
  /** Further PCRs that must match (kms:RecipientAttestation:PCR<n>), hex. */
  pcrs?: Readonly<Record<number, string>>;
}

export interface DevKmsParams {
  /** The one key this KMS holds (an ARN-shaped id). */
  keyId: string;
  /** 32 bytes that stand for the HSM-held key material; the same value opens earlier blobs. */
  masterKey: Uint8Array;
  policy: DevKmsPolicy;
  /** The dev CA root the simulated NSM signs with; documents are verified against it. */
  attestationRoot: Uint8Array | string;
  now?: () => Date;
  randomBytes?: (n: number) => Uint8Array;
  /** Documents older than this are refused (KMS accepts documents for about 5 minutes). */
  maxDocumentAgeMs?: number;
  /**
   * Stands in for IAM: only requests signed with this access key id (SigV4's Credential=AKID/...)
   * are served, others get UnrecognizedClientException. The signature itself is not checked.
   * Without it, any signed request is served.
   */
  accessKeyId?: string;
}

const MAX_BODY_BYTES = 64 * 1024;
const BLOB_MAGIC = Buffer.from('ADK1');

class KmsException extends Error {
  constructor(readonly type: string, message: string, readonly status = 400) {
    super(message);
  }
}

export function createDevKmsServer(params: DevKmsParams): Server {
  if (params.masterKey.length !== 32) throw new RangeError('masterKey must be 32 bytes');
  const now = params.now ?? (() => new Date());
  const random = params.randomBytes ?? ((n: number) => new Uint8Array(nodeRandomBytes(n)));
  const allowed = new Set(params.policy.imageSha384.map((h) => h.toLowerCase()));

  const seal = (plaintext: Uint8Array): string => {
    const iv = random(12);
    const cipher = createCipheriv('aes-256-gcm', params.masterKey, iv);
    cipher.setAAD(Buffer.from(params.keyId));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([BLOB_MAGIC, iv, cipher.getAuthTag(), body]).toString('base64');
  };
  const unseal = (blob: Buffer): Uint8Array => {
    if (blob.length < 4 + 12 + 16 + 1 || !blob.subarray(0, 4).equals(BLOB_MAGIC)) throw new KmsException('InvalidCiphertextException', 'The ciphertext is not a blob of this KMS.');
    try {
      const decipher = createDecipheriv('aes-256-gcm', params.masterKey, blob.subarray(4, 16));
      decipher.setAAD(Buffer.from(params.keyId));
      decipher.setAuthTag(blob.subarray(16, 32));
      return new Uint8Array(Buffer.concat([decipher.update(blob.subarray(32)), decipher.final()]));
    } catch {
      throw new KmsException('InvalidCiphertextException', 'The ciphertext does not decrypt under this key.');
    }
  };

  /** The key policy's attestation condition; only a recipient that passes it gets a key. */
  const attestedRecipient = (body: Record<string, unknown>): KeyObject => {
    const recipient = body.Recipient;
    if (typeof recipient !== 'object' || recipient === null) {
      throw new KmsException('AccessDeniedException', 'The key policy allows this operation only with Recipient (an attested enclave).');
    }
    const { AttestationDocument, KeyEncryptionAlgorithm } = recipient as Record<string, unknown>;
    if (KeyEncryptionAlgorithm !== 'RSAES_OAEP_SHA_256') throw new KmsException('ValidationException', 'KeyEncryptionAlgorithm must be RSAES_OAEP_SHA_256.');
    if (typeof AttestationDocument !== 'string') throw new KmsException('ValidationException', 'Recipient.AttestationDocument is missing.');
    let verified;
    try {
      verified = verifyAttestation(new Uint8Array(Buffer.from(AttestationDocument, 'base64')), {
        root: params.attestationRoot,
        at: now(),
        maxAgeMs: params.maxDocumentAgeMs ?? 5 * 60_000,
        cache: null,
      });
    } catch (error) {
      throw new KmsException('AccessDeniedException', `The attestation document does not verify (${(error as { code?: string }).code ?? 'invalid'}).`);
    }
    const pcr0 = Buffer.from(verified.pcrs.get(0) ?? []).toString('hex');
    if (!allowed.has(pcr0)) throw new KmsException('AccessDeniedException', 'kms:RecipientAttestation:ImageSha384 does not match the key policy.');
    for (const [index, expected] of Object.entries(params.policy.pcrs ?? {})) {
      if (Buffer.from(verified.pcrs.get(Number(index)) ?? []).toString('hex') !== expected.toLowerCase()) {
        throw new KmsException('AccessDeniedException', `kms:RecipientAttestation:PCR${index} does not match the key policy.`);
      }
    }
    if (verified.publicKey === null) throw new KmsException('ValidationException', 'The attestation document carries no public_key.');
    let key: KeyObject;
    try {
      key = createPublicKey({ key: Buffer.from(verified.publicKey), format: 'der', type: 'spki' });
    } catch {
      throw new KmsException('ValidationException', 'The attestation public_key is not a SubjectPublicKeyInfo.');
    }
    if (key.asymmetricKeyType !== 'rsa' || key.asymmetricKeyDetails?.modulusLength !== 2048) throw new KmsException('ValidationException', 'The attestation public_key must be RSA-2048.');
    return key;
  };

  const checkKeyId = (value: unknown) => {
    if (value !== undefined && value !== params.keyId) throw new KmsException('NotFoundException', `Key ${String(value)} does not exist.`);
  };

  const operations: Record<string, (body: Record<string, unknown>) => Record<string, unknown>> = {
    GenerateDataKey(body) {
      checkKeyId(body.KeyId);
      if (body.KeyId === undefined) throw new KmsException('ValidationException', 'KeyId is required.');
      if (!(body.KeySpec === 'AES_256' || (body.KeySpec === undefined && body.NumberOfBytes === 32))) throw new KmsException('ValidationException', 'Ask for KeySpec AES_256 or NumberOfBytes 32.');
      const recipient = attestedRecipient(body);
      const dataKey = random(32);
      try {
        return { KeyId: params.keyId, CiphertextBlob: seal(dataKey), CiphertextForRecipient: Buffer.from(buildRecipientEnvelope(dataKey, recipient, { random })).toString('base64') };
      } finally {
        dataKey.fill(0);
      }
    },
    Decrypt(body) {
      checkKeyId(body.KeyId);
      if (typeof body.CiphertextBlob !== 'string') throw new KmsException('ValidationException', 'CiphertextBlob is required.');
      const recipient = attestedRecipient(body);
      const plaintext = unseal(Buffer.from(body.CiphertextBlob, 'base64'));
      try {
        return { KeyId: params.keyId, EncryptionAlgorithm: 'SYMMETRIC_DEFAULT', CiphertextForRecipient: Buffer.from(buildRecipientEnvelope(plaintext, recipient, { random })).toString('base64') };
      } finally {
        plaintext.fill(0);
      }
    },
  };

  return createServer((request, response) => {
    handle(request, operations, params.accessKeyId)
      .then((result) => reply(response, 200, result))
      .catch((error: unknown) => {
        const e = error instanceof KmsException ? error : new KmsException('KMSInternalException', 'The dev KMS failed.', 500);
        reply(response, e.status, { __type: e.type, message: e.message });
      });
  });
}

async function handle(request: IncomingMessage, operations: Record<string, (body: Record<string, unknown>) => Record<string, unknown>>, accessKeyId: string | undefined): Promise<Record<string, unknown>> {
  if (request.method !== 'POST') throw new KmsException('UnknownOperationException', 'Only POST is spoken here.');
  // SigV4 is checked for presence and shape only: the dev KMS has no IAM; the key policy is what it enforces.
  const authorization = request.headers.authorization ?? '';
  const signed = /^AWS4-HMAC-SHA256 Credential=([^/\s]+)\/\d{8}\/[a-z0-9-]+\/kms\/aws4_request, ?SignedHeaders=[a-z0-9;-]+, ?Signature=[0-9a-f]{64}$/.exec(authorization);
  if (signed === null || request.headers['x-amz-date'] === undefined) {
    throw new KmsException('MissingAuthenticationTokenException', 'The request is not signed with AWS Signature Version 4.');
  }
  // As AWS words it, without echoing the key id.
  if (accessKeyId !== undefined && signed[1] !== accessKeyId) throw new KmsException('UnrecognizedClientException', 'The security token included in the request is invalid.');
  const target = request.headers['x-amz-target'];
  const operation = typeof target === 'string' && target.startsWith('TrentService.') ? operations[target.slice('TrentService.'.length)] : undefined;
  if (operation === undefined) throw new KmsException('UnknownOperationException', `Operation ${String(target)} is not implemented by the dev KMS.`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new KmsException('ValidationException', 'The request body is too large.', 413);
    chunks.push(chunk as Buffer);
  }
  let body: unknown;
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new KmsException('SerializationException', 'The body is not JSON.');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new KmsException('SerializationException', 'The body is not a JSON object.');
  return operation(body as Record<string, unknown>);
}

function reply(response: ServerResponse, status: number, body: Record<string, unknown>): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'content-length': Buffer.byteLength(text), 'x-amzn-requestid': 'dev' });
  response.end(text);
}
