import { expect } from 'chai';
import { createHash } from 'node:crypto';
import sodium from 'libsodium-wrappers';
import { bytesToHex, keccak256, toHex, type Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { manifestDomain, manifestTypes, streamPreamble, type EnvelopeHeader } from '@audata/wire';
// Tests only: the contributor side is the client's, and the round trip is the contract.
import { sealContribution } from '../../../client/src/envelope/seal.ts';
import { openEnvelope, type OpenEnvelopeParams } from './open.ts';

const chainId = 31337;
const registry = '0x5FbDB2315678afecb367f032d93F642f64180aa3';
const alice = privateKeyToAccount(generatePrivateKey());
const mallory = privateKeyToAccount(generatePrivateKey());

async function seal(audio: Uint8Array, datasetKey: Uint8Array, chunkLog2 = 12, account = alice) {
  const parts: Uint8Array[] = [];
  const header = await sealContribution({
    audio: [audio.subarray(0, 1000), audio.subarray(1000)],
    write: (c) => void parts.push(c.slice()),
    datasetKey, account, chainId, registry, chunkLog2,
    termsHash: keccak256(toHex('CC-BY-4.0')), language: 'en', now: () => new Date(1_700_000_000_000),
  });
  return { header, ciphertext: Uint8Array.from(Buffer.concat(parts)) };
}

async function resign(header: EnvelopeHeader, changes: Partial<EnvelopeHeader['manifest']>, account = alice): Promise<EnvelopeHeader> {
  const manifest = { ...header.manifest, ...changes };
  const signature = await account.signTypedData({ domain: manifestDomain(chainId, registry), types: manifestTypes, primaryType: 'ContributionManifest', message: manifest });
  return { ...header, manifest, signature, contributor: account.address };
}

const sha = (b: Uint8Array): Hex => `0x${createHash('sha256').update(b).digest('hex')}`;

describe('contribution envelope', () => {
  let dataset: { publicKey: Uint8Array; secretKey: Uint8Array };
  let other: { publicKey: Uint8Array; secretKey: Uint8Array };
  const audio = new Uint8Array(10_000).map((_, i) => (i * 31) & 0xff);

  before(async () => {
    await sodium.ready;
    const a = sodium.crypto_box_keypair();
    const b = sodium.crypto_box_keypair();
    dataset = { publicKey: a.publicKey, secretKey: a.privateKey };
    other = { publicKey: b.publicKey, secretKey: b.privateKey };
  });

  const open = (header: unknown, ciphertext: Uint8Array, extra: Partial<OpenEnvelopeParams> = {}) =>
    openEnvelope({ header, ciphertext: [ciphertext], dataset, chainId, registry, ledger: new Set<Hex>(), ...extra });

  async function expectCode(promise: Promise<unknown>, code: string) {
    try {
      await promise;
    } catch (error) {
      expect((error as { code?: string }).code, (error as Error).message).to.equal(code);
      return;
    }
    expect.fail(`expected ${code}, but it opened`);
  }

  it('round-trips, and the contributor is the recovered signer', async () => {
    const { header, ciphertext } = await seal(audio, dataset.publicKey);
    const opened = await openEnvelope({ header, ciphertext: [ciphertext.subarray(0, 7), ciphertext.subarray(7, 5000), ciphertext.subarray(5000)], dataset, chainId, registry, ledger: new Set() });
    expect(Buffer.from(opened.audio).equals(Buffer.from(audio))).to.equal(true);
    expect(opened.contributor).to.equal(alice.address);
    expect(opened.manifest.ciphertextSha256).to.equal(sha(ciphertext));
  });

  it('round-trips empty audio and audio ending on a chunk boundary', async () => {
    for (const length of [0, 4096, 8192, 4097]) {
      const input = audio.subarray(0, length);
      const { header, ciphertext } = await seal(input, dataset.publicKey);
      expect(Buffer.from((await open(header, ciphertext)).audio).equals(Buffer.from(input))).to.equal(true);
    }
  });

  it('encrypts each file under a fresh key: the same audio never gives the same ciphertext', async () => {
    const a = await seal(audio, dataset.publicKey);
    const b = await seal(audio, dataset.publicKey);
    expect(a.header.sealedKey).to.not.equal(b.header.sealedKey);
    expect(a.header.manifest.ciphertextSha256).to.not.equal(b.header.manifest.ciphertextSha256);
  });

  it('refuses a manifest signed by another wallet', async () => {
    const { header, ciphertext } = await seal(audio, dataset.publicKey);
    const forged = await resign(header, {}, mallory);
    await expectCode(open({ ...forged, contributor: alice.address }, ciphertext), 'ENVELOPE_MANIFEST_SIGNATURE_INVALID');
  });

  it('refuses a manifest the host altered', async () => {
    const { header, ciphertext } = await seal(audio, dataset.publicKey);
    await expectCode(open({ ...header, manifest: { ...header.manifest, language: 'fr' } }, ciphertext), 'ENVELOPE_MANIFEST_SIGNATURE_INVALID');
    await expectCode(open({ ...header, signature: `0x${'00'.repeat(65)}` }, ciphertext), 'ENVELOPE_MANIFEST_SIGNATURE_INVALID');
  });

  it('refuses a changed ciphertext byte', async () => {
    const { header, ciphertext } = await seal(audio, dataset.publicKey);
    for (const at of [3, 20, 40, ciphertext.length - 1]) {
      const tampered = ciphertext.slice();
      tampered[at]! ^= 0x01;
      await expectCode(open(header, tampered), 'ENVELOPE_CIPHERTEXT_HASH_MISMATCH');
    }
  });

  it('refuses a file key sealed to another key', async () => {
    const { header, ciphertext } = await seal(audio, other.publicKey);
    // The manifest claims our dataset key, but the seal was made for another one.
    const lying = await resign(header, { datasetKey: bytesToHex(dataset.publicKey) });
    await expectCode(open(lying, ciphertext), 'ENVELOPE_SEAL_INVALID');
  });

  it('refuses an envelope for another dataset', async () => {
    const { header, ciphertext } = await seal(audio, other.publicKey);
    await expectCode(open(header, ciphertext), 'ENVELOPE_WRONG_DATASET_KEY');
  });

  it('refuses a swapped sealed key', async () => {
    const { header, ciphertext } = await seal(audio, dataset.publicKey);
    const { header: second } = await seal(audio, dataset.publicKey);
    await expectCode(open({ ...header, sealedKey: second.sealedKey }, ciphertext), 'ENVELOPE_SEALED_KEY_HASH_MISMATCH');
  });

  it('refuses a stream cut short by the host', async () => {
    const { header, ciphertext } = await seal(audio, dataset.publicKey);
    await expectCode(open(header, ciphertext.subarray(0, ciphertext.length - 100)), 'ENVELOPE_TRUNCATED');
  });

  it('refuses a signed stream that has no final chunk', async () => {
    const { header, ciphertext } = await seal(audio, dataset.publicKey);
    const cut = ciphertext.subarray(0, 32 + 2 * (4096 + 17));
    const signed = await resign({ ...header, ciphertextLength: cut.length }, { ciphertextSha256: sha(cut) });
    await expectCode(open(signed, cut), 'ENVELOPE_TRUNCATED');
  });

  it('refuses a signed stream that does not decrypt', async () => {
    const { header, ciphertext } = await seal(audio, dataset.publicKey);
    const broken = ciphertext.slice();
    broken[100]! ^= 0x80;
    const signed = await resign(header, { ciphertextSha256: sha(broken) });
    await expectCode(open(signed, broken), 'ENVELOPE_CIPHERTEXT_INVALID');
  });

  it('refuses bytes beyond the declared length', async () => {
    const { header, ciphertext } = await seal(audio, dataset.publicKey);
    await expectCode(open(header, Uint8Array.from(Buffer.concat([ciphertext, Buffer.alloc(5000)]))), 'ENVELOPE_LENGTH_MISMATCH');
  });

  it('refuses a replayed manifest, and a failed open does not burn it', async () => {
    const { header, ciphertext } = await seal(audio, dataset.publicKey);
    const ledger = new Set<Hex>();
    const tampered = ciphertext.slice();
    tampered[50]! ^= 1;
    await expectCode(open(header, tampered, { ledger }), 'ENVELOPE_CIPHERTEXT_HASH_MISMATCH');
    await open(header, ciphertext, { ledger });
    await expectCode(open(header, ciphertext, { ledger }), 'ENVELOPE_REPLAYED');
  });

  it('refuses unknown versions of the header and of the stream', async () => {
    const { header, ciphertext } = await seal(audio, dataset.publicKey);
    await expectCode(open({ ...header, version: 2 }, ciphertext), 'ENVELOPE_VERSION_UNSUPPORTED');
    const v2 = ciphertext.slice();
    v2.set(streamPreamble(12), 0);
    v2[4] = 2;
    const signed = await resign(header, { ciphertextSha256: sha(v2) });
    await expectCode(open(signed, v2), 'ENVELOPE_VERSION_UNSUPPORTED');
  });

  it('refuses a malformed header and an oversized recording', async () => {
    const { header, ciphertext } = await seal(audio, dataset.publicKey);
    await expectCode(open({ ...header, sealedKey: '0x00' }, ciphertext), 'ENVELOPE_HEADER_INVALID');
    await expectCode(open(null, ciphertext), 'ENVELOPE_HEADER_INVALID');
    await expectCode(open({ ...header, ciphertextLength: 2 ** 40 }, ciphertext), 'ENVELOPE_HEADER_INVALID');
    await expectCode(open(header, ciphertext, { maxPlaintextBytes: 5000 }), 'ENVELOPE_TOO_LARGE');
  });

  it('the client refuses a dataset key of the wrong size', async () => {
    await expectCode(seal(audio, new Uint8Array(31)), 'SEAL_INPUT_INVALID');
  });
});
