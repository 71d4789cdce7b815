import { expect } from 'chai';
import { createHash, createPrivateKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import type { AddressInfo, Server } from 'node:net';
import { DecryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { keccak256, toHex } from 'viem';
import { createDevCa } from '@audata/verifier/dev';
import { createSimulatedNsm } from '../nsm/simulated-nsm.ts';
import { createDevKmsServer } from './dev-kms-server.ts';
import { buildRecipientEnvelope } from './dev-kms-envelope.ts';
import { createDatasetKey, openDatasetKey, type KeyReleaseParams } from './key-release.ts';
import { unwrapCiphertextForRecipient } from './unwrap-recipient.ts';

const sha384 = (text: string) => new Uint8Array(createHash('sha384').update(text).digest());
const code = async (p: Promise<unknown>) => p.then(() => 'none', (e: { code?: string; details?: Record<string, unknown> }) => `${e.code}${e.details?.kmsError ? `/${e.details.kmsError}` : ''}`);
const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`./fixtures/${name}`, import.meta.url)));
const keyId = 'arn:aws:kms:us-east-1:000000000000:key/00000000-0000-4000-8000-000000000000';

describe('key release', () => {
  const ca = createDevCa({ now: new Date() });
  const build = sha384('enclave bundle A');
  const nsmFor = (pcr0: Uint8Array, authority = ca) => createSimulatedNsm({ ca: authority, pcrs: { 0: pcr0, 1: sha384('runtime'), 2: sha384('lock') }, moduleId: 'i-dev0000000000000000-enc0000000000000000' });
  let server: Server;
  let kms: KMSClient;
  const params = (nsm = nsmFor(build)): KeyReleaseParams => ({ kms, keyId, nsm, signer: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8', pipelineVersion: keccak256(toHex('test pipeline')) });

  before(async () => {
    server = createDevKmsServer({ keyId, masterKey: new Uint8Array(randomBytes(32)), policy: { imageSha384: [Buffer.from(build).toString('hex')] }, attestationRoot: ca.rootDer });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    kms = new KMSClient({ region: 'us-east-1', endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, credentials: { accessKeyId: 'dev', secretAccessKey: 'dev' }, maxAttempts: 1 });
  });
  after(() => server.close());

  it('genesis wraps a new dataset key and a restart unwraps the same one', async () => {
    const genesis = await createDatasetKey(params());
    expect(genesis.sealed.datasetKey).to.equal(toHex(genesis.keyPair.publicKey));
    const restarted = await openDatasetKey(params(), genesis.sealed);
    expect(Buffer.from(restarted.secretKey).equals(Buffer.from(genesis.keyPair.secretKey))).to.equal(true);
    expect(Buffer.from(restarted.publicKey).equals(Buffer.from(genesis.keyPair.publicKey))).to.equal(true);
  });

  it('a document from another build, or another CA, gets AccessDenied', async () => {
    const genesis = await createDatasetKey(params());
    expect(await code(openDatasetKey(params(nsmFor(sha384('enclave bundle B'))), genesis.sealed))).to.equal('KMS_REQUEST_FAILED/AccessDeniedException');
    expect(await code(createDatasetKey(params(nsmFor(sha384('enclave bundle B')))))).to.equal('KMS_REQUEST_FAILED/AccessDeniedException');
    expect(await code(openDatasetKey(params(nsmFor(build, createDevCa({ now: new Date() }))), genesis.sealed))).to.equal('KMS_REQUEST_FAILED/AccessDeniedException');
    expect(await code(openDatasetKey(params(nsmFor(new Uint8Array(48))), genesis.sealed))).to.equal('KMS_REQUEST_FAILED/AccessDeniedException');
  });

  it('enforces further PCR conditions of the policy (kms:RecipientAttestation:PCR<n>)', async () => {
    const strict = createDevKmsServer({ keyId, masterKey: new Uint8Array(randomBytes(32)), policy: { imageSha384: [Buffer.from(build).toString('hex')], pcrs: { 1: Buffer.from(sha384('another runtime')).toString('hex') } }, attestationRoot: ca.rootPem });
    strict.listen(0, '127.0.0.1');
    await once(strict, 'listening');
    try {
      const client = new KMSClient({ region: 'us-east-1', endpoint: `http://127.0.0.1:${(strict.address() as AddressInfo).port}`, credentials: { accessKeyId: 'dev', secretAccessKey: 'dev' }, maxAttempts: 1 });
      expect(await code(createDatasetKey({ ...params(), kms: client }))).to.equal('KMS_REQUEST_FAILED/AccessDeniedException');
    } finally {
      strict.close();
    }
  });

  it('the key cannot be had without an attested recipient', async () => {
    const genesis = await createDatasetKey(params());
    const direct = kms.send(new DecryptCommand({ KeyId: keyId, CiphertextBlob: new Uint8Array(Buffer.from(genesis.sealed.kmsCiphertextBlob, 'base64')) }));
    expect(await direct.then(() => 'none', (e: Error) => e.name)).to.equal('AccessDeniedException');
  });

  it('the dev KMS wants a SigV4-signed request and a known operation', async () => {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const unsigned = await fetch(url, { method: 'POST', headers: { 'x-amz-target': 'TrentService.Decrypt' }, body: '{}' });
    expect(unsigned.status).to.equal(400);
    expect(((await unsigned.json()) as { __type: string }).__type).to.equal('MissingAuthenticationTokenException');
  });

  it('refuses an altered sealed key', async () => {
    const { sealed } = await createDatasetKey(params());
    const flip = (hex: string) => `${hex.slice(0, -2)}${hex.endsWith('00') ? '01' : '00'}` as `0x${string}`;
    expect(await code(openDatasetKey(params(), { ...sealed, box: flip(sealed.box) }))).to.equal('SEALED_DATASET_KEY_INVALID');
    expect(await code(openDatasetKey(params(), { ...sealed, datasetKey: flip(sealed.datasetKey) }))).to.equal('SEALED_DATASET_KEY_INVALID');
    expect(await code(openDatasetKey(params(), { ...sealed, kmsKeyId: 'arn:aws:kms:us-east-1:1:key/host-owned' }))).to.equal('SEALED_DATASET_KEY_INVALID');
    const blob = Buffer.from(sealed.kmsCiphertextBlob, 'base64');
    blob[blob.length - 1]! ^= 1;
    expect(await code(openDatasetKey(params(), { ...sealed, kmsCiphertextBlob: blob.toString('base64') }))).to.equal('KMS_REQUEST_FAILED/InvalidCiphertextException');
  });

  it('refuses a KMS answer without a recipient envelope, or with a plaintext key', async () => {
    const fake = (answer: object): KeyReleaseParams => ({ ...params(), kms: { send: async () => answer } as unknown as KMSClient });
    expect(await code(createDatasetKey(fake({ CiphertextBlob: new Uint8Array(8) })))).to.equal('KMS_RESPONSE_INVALID');
    expect(await code(createDatasetKey(fake({ CiphertextBlob: new Uint8Array(8), CiphertextForRecipient: new Uint8Array(8), Plaintext: new Uint8Array(32) })))).to.equal('KMS_RESPONSE_INVALID');
  });

  describe('CiphertextForRecipient', () => {
    it('opens indefinite-length BER from OpenSSL (RSAES-OAEP-SHA-256, AES-256-CBC)', () => {
      const key = createPrivateKey(Buffer.from(fixture('openssl-recipient-key.pem')));
      expect(Buffer.from(unwrapCiphertextForRecipient(fixture('openssl-enveloped.ber'), key)).equals(Buffer.from(fixture('openssl-content.bin')))).to.equal(true);
    });

    it('refuses another key, SHA-1 OAEP, and garbage', () => {
      const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
      const envelope = buildRecipientEnvelope(new Uint8Array(32), publicKey);
      expect(() => unwrapCiphertextForRecipient(envelope, other)).to.throw().with.property('code', 'KMS_RECIPIENT_ENVELOPE_INVALID');
      const sha1 = buildRecipientEnvelope(new Uint8Array(32), publicKey, { oaepParams: Uint8Array.of(0x30, 0x00) });
      expect(() => unwrapCiphertextForRecipient(sha1, privateKey)).to.throw().with.property('code', 'KMS_RECIPIENT_ENVELOPE_INVALID');
      expect(() => unwrapCiphertextForRecipient(Uint8Array.of(0x30, 0x80, 0x01), privateKey)).to.throw().with.property('code', 'KMS_RECIPIENT_ENVELOPE_INVALID');
      expect(() => unwrapCiphertextForRecipient(new Uint8Array(20_000), privateKey)).to.throw().with.property('code', 'KMS_RECIPIENT_ENVELOPE_INVALID');
      const truncated = envelope.subarray(0, envelope.length - 10);
      expect(() => unwrapCiphertextForRecipient(truncated, privateKey)).to.throw().with.property('code', 'KMS_RECIPIENT_ENVELOPE_INVALID');
    });
  });
});
