import { expect } from 'chai';
import sodium from 'libsodium-wrappers';
import { keccak256, toHex, type Hex } from 'viem';
import { EMPTY_AUDIT, MAX_SEALED_STATE_BYTES, SEALED_STATE_HEADER_BYTES, StateSealer, checkAgainstAnchor, sealedStateCounter, type EnclaveState, type RecordedResult } from './sealed-state.ts';
import { codeOf } from '@audata/wire/testing';

/** The state key as sealed-state.ts derives it, so a test can read a payload back and re-seal it altered. */
function derivedKey(datasetSecretKey: Uint8Array): Uint8Array {
  return sodium.crypto_kdf_derive_from_key(sodium.crypto_aead_xchacha20poly1305_ietf_KEYBYTES, 1, 'audstat1', datasetSecretKey);
}

async function datasetKeys() {
  await sodium.ready;
  const kp = sodium.crypto_box_keypair();
  return { datasetSecretKey: kp.privateKey, datasetPublicKey: kp.publicKey };
}

const scored: RecordedResult = {
  fileId: keccak256(toHex('file 1')),
  contributor: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
  valid: true,
  score: 7321,
  authenticity: 9000,
  ownership: 10_000,
  quality: 6543,
  uniqueness: 0,
  detailsHash: keccak256(toHex('details')),
  pipelineVersion: keccak256(toHex('pipeline')),
  language: 'pt-BR',
  termsHash: keccak256(toHex('CC-BY-4.0')),
  durationSec: 12.345,
  hasFeatures: true,
};

function state(counter: bigint): EnclaveState {
  return {
    counter,
    fingerprintIndex: new Uint8Array([0x41, 0x55, 0x46, 0x50, 1, 0, 0, 0, 0]),
    records: [
      { manifestHash: keccak256(toHex('m1')), result: scored },
      { manifestHash: keccak256(toHex('m2')) },
      { manifestHash: keccak256(toHex('m3')), result: { ...scored, fileId: keccak256(toHex('file 3')), valid: false, score: 0, language: 'de', durationSec: 0, hasFeatures: false } },
    ],
    audit: { entries: 3, head: keccak256(toHex('head')), lastTime: 1_700_000_000_123 },
    ledgers: [
      ['ledger:1:0xbuyer', new TextEncoder().encode('{"history":[]}')],
      ['pure:1:0xbuyer', new Uint8Array([1, 2, 3])],
    ],
  };
}

describe('sealed enclave state', () => {
  it('round-trips every field under the dataset key, with a fresh nonce each time', async () => {
    const keys = await datasetKeys();
    const sealer = await StateSealer.create(keys);
    const a = sealer.seal(state(1n));
    const b = sealer.seal(state(2n));
    expect(sealedStateCounter(a.bytes)).to.equal(1n);
    expect(Buffer.from(a.bytes.subarray(45, 69)).equals(Buffer.from(b.bytes.subarray(45, 69)))).to.equal(false);
    const reader = await StateSealer.create(keys);
    expect(reader.open(b.bytes)).to.deep.equal(state(2n));
    expect(reader.highestCounter).to.equal(2n);
    const empty = await StateSealer.create(keys);
    const sealed = empty.seal({ counter: 0n, fingerprintIndex: new Uint8Array(0), records: [], audit: EMPTY_AUDIT, ledgers: [] });
    expect((await StateSealer.create(keys)).open(sealed.bytes)).to.deep.equal({ counter: 0n, fingerprintIndex: new Uint8Array(0), records: [], audit: EMPTY_AUDIT, ledgers: [] });
    expect(a.bytes[4]).to.equal(3);
  });

  it('keeps the payload secret: no manifest hash, file id or contributor appears in the blob', async () => {
    const keys = await datasetKeys();
    const sealed = (await StateSealer.create(keys)).seal(state(1n));
    const hay = Buffer.from(sealed.bytes);
    const needles = [...state(1n).records.map((r) => r.manifestHash), scored.fileId, scored.contributor];
    for (const hash of needles) expect(hay.includes(Buffer.from(hash.slice(2), 'hex'))).to.equal(false);
  });

  it('refuses a state sealed for another dataset key as STATE_WRONG_KEY', async () => {
    const sealed = (await StateSealer.create(await datasetKeys())).seal(state(1n));
    const other = await StateSealer.create(await datasetKeys());
    expect(codeOf(() => other.open(sealed.bytes))).to.equal('STATE_WRONG_KEY');
  });

  it('refuses a state whose header claims our key but was sealed under another as STATE_TAMPERED', async () => {
    const ours = await datasetKeys();
    const sealed = (await StateSealer.create(await datasetKeys())).seal(state(1n));
    sealed.bytes.set(ours.datasetPublicKey, 13);
    const sealer = await StateSealer.create(ours);
    expect(codeOf(() => sealer.open(sealed.bytes))).to.equal('STATE_TAMPERED');
  });

  it('refuses any changed byte (counter, nonce, ciphertext, tag) as STATE_TAMPERED', async () => {
    const keys = await datasetKeys();
    const sealed = (await StateSealer.create(keys)).seal(state(5n));
    for (const at of [0, 12, 50, SEALED_STATE_HEADER_BYTES + 3, sealed.bytes.length - 1]) {
      const copy = sealed.bytes.slice();
      copy[at] = copy[at]! ^ 0x01;
      const sealer = await StateSealer.create(keys);
      expect(codeOf(() => sealer.open(copy)), `byte ${at}`).to.equal('STATE_TAMPERED');
    }
  });

  it('refuses a cut-off blob as STATE_TRUNCATED and a cut-off ciphertext as STATE_TAMPERED', async () => {
    const keys = await datasetKeys();
    const sealed = (await StateSealer.create(keys)).seal(state(1n));
    const sealer = await StateSealer.create(keys);
    expect(codeOf(() => sealer.open(sealed.bytes.subarray(0, 40)))).to.equal('STATE_TRUNCATED');
    expect(codeOf(() => sealer.open(new Uint8Array(0)))).to.equal('STATE_TRUNCATED');
    expect(codeOf(() => sealer.open(sealed.bytes.subarray(0, sealed.bytes.length - 1)))).to.equal('STATE_TAMPERED');
  });

  it('refuses an unknown format version as STATE_VERSION_UNSUPPORTED', async () => {
    const keys = await datasetKeys();
    const sealed = (await StateSealer.create(keys)).seal(state(1n));
    sealed.bytes[4] = 4;
    const reader = await StateSealer.create(keys);
    expect(codeOf(() => reader.open(sealed.bytes))).to.equal('STATE_VERSION_UNSUPPORTED');
  });

  it('refuses a format 1 state (no privacy ledger) as STATE_VERSION_UNSUPPORTED rather than reading it as unspent', async () => {
    const keys = await datasetKeys();
    const writer = await StateSealer.create(keys);
    const v2 = writer.seal(state(1n));
    // A format 1 blob: same header layout with version 1, payload without the ledger section.
    const v1Payload = new Uint8Array(4 + 4 + 8 + 32 + 8);
    const v1 = writer.sealPayload(2n, v1Payload);
    v1[4] = 1;
    const reader = await StateSealer.create(keys);
    let thrown: unknown;
    try {
      reader.open(v1);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).to.have.property('code', 'STATE_VERSION_UNSUPPORTED');
    expect(String((thrown as { hint?: string }).hint)).to.match(/privacy ledger/);
    expect(reader.open(v2.bytes).ledgers.map(([k]) => k)).to.deep.equal(['ledger:1:0xbuyer', 'pure:1:0xbuyer']);
  });

  it('migrates a format 2 state: its manifest list becomes replay-only records, the rest as it was', async () => {
    const keys = await datasetKeys();
    const writer = await StateSealer.create(keys);
    const m1 = keccak256(toHex('m1'));
    const m2 = keccak256(toHex('m2'));
    const index = [0x41, 0x55, 0x46, 0x50, 1, 0, 0, 0, 0];
    const audit = [...new Uint8Array(7), 3, ...Buffer.from(keccak256(toHex('head')).slice(2), 'hex'), ...new Uint8Array(8)];
    const ledger = [0, 0, 0, 1, 0, 1, 0x6b, 0, 0, 0, 1, 7];
    const v2 = [0, 0, 0, index.length, ...index, 0, 0, 0, 2, ...Buffer.from(m1.slice(2), 'hex'), ...Buffer.from(m2.slice(2), 'hex'), ...audit, ...ledger];
    const opened = writer.open(writer.sealPayload(5n, new Uint8Array(v2), 2));
    expect(opened).to.deep.equal({
      counter: 5n,
      fingerprintIndex: new Uint8Array(index),
      records: [{ manifestHash: m1 }, { manifestHash: m2 }],
      audit: { entries: 3, head: keccak256(toHex('head')), lastTime: 0 },
      ledgers: [['k', new Uint8Array([7])]],
    });
    // What is sealed next is format 3, and reads back the same.
    const resealed = writer.seal({ ...opened, counter: 6n });
    expect(resealed.bytes[4]).to.equal(3);
    expect((await StateSealer.create(keys)).open(resealed.bytes).records).to.deep.equal(opened.records);
    // The version byte is authenticated: a format 3 blob relabelled 2 does not open.
    const relabelled = resealed.bytes.slice();
    relabelled[4] = 2;
    expect(codeOf(() => writer.open(relabelled))).to.equal('STATE_TAMPERED');
  });

  it('bounds and checks every file record field: a lying count, an unknown kind or flag, a score, verdict, duration or language out of range, a duplicate', async () => {
    const keys = await datasetKeys();
    const writer = await StateSealer.create(keys);
    const good = writer.open(writer.seal(state(1n)).bytes);
    expect(good.records).to.deep.equal(state(1n).records);
    // Re-seal the valid payload with one byte or field changed (offsets within the first record).
    const payloadOf = (s: EnclaveState) => {
      const sealer = writer.seal(s);
      return new Uint8Array(sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, sealer.bytes.subarray(SEALED_STATE_HEADER_BYTES), sealer.bytes.subarray(0, 45), sealer.bytes.subarray(45, 69), derivedKey(keys.datasetSecretKey)));
    };
    let counter = 10n;
    const one = { ...state(1n), records: [state(1n).records[0]!] };
    const base = payloadOf({ ...one, counter: (counter += 1n) });
    const indexEnd = 4 + 9;
    const rec = indexEnd + 4; // first record
    const scoredAt = rec + 33;
    const validAt = scoredAt + 32 + 20 + 32 + 32 + 32;
    const scoresAt = validAt + 1;
    const durationAt = scoresAt + 10;
    const flagsAt = durationAt + 8;
    const langAt = flagsAt + 1;
    const variant = (edit: (p: Uint8Array, v: DataView) => void) => {
      const p = base.slice();
      edit(p, new DataView(p.buffer));
      return codeOf(() => writer.open(writer.sealPayload((counter += 1n), p)));
    };
    expect(variant(() => undefined)).to.equal(undefined);
    expect(variant((_, v) => v.setUint32(indexEnd, 0xffff_ffff))).to.equal('STATE_CORRUPT');
    expect(variant((p) => void (p[rec + 32] = 2))).to.equal('STATE_CORRUPT');
    expect(variant((p) => void (p[validAt] = 2))).to.equal('STATE_CORRUPT');
    expect(variant((_, v) => v.setUint16(scoresAt + 4, 10_001))).to.equal('STATE_CORRUPT');
    expect(variant((_, v) => v.setFloat64(durationAt, Number.NaN))).to.equal('STATE_CORRUPT');
    expect(variant((_, v) => v.setFloat64(durationAt, -1))).to.equal('STATE_CORRUPT');
    expect(variant((p) => void (p[flagsAt] = 0x80))).to.equal('STATE_CORRUPT');
    expect(variant((p) => void (p[langAt] = 0xff))).to.equal('STATE_CORRUPT');
    expect(variant((p) => void (p[langAt + 1] = 0x20))).to.equal('STATE_CORRUPT');
    // A duplicate manifest, sealed by hand (seal itself would write it).
    const twice = payloadOf({ ...state(1n), counter: (counter += 1n), records: [one.records[0]!, one.records[0]!] });
    expect(codeOf(() => writer.open(writer.sealPayload((counter += 1n), twice)))).to.equal('STATE_CORRUPT');
    // Sealing refuses what it could not read back.
    expect(codeOf(() => writer.seal({ ...one, counter: (counter += 1n), records: [{ manifestHash: one.records[0]!.manifestHash, result: { ...scored, language: 'not a tag' } }] }))).to.equal('STATE_CORRUPT');
    expect(codeOf(() => writer.seal({ ...one, counter: (counter += 1n), records: [{ manifestHash: one.records[0]!.manifestHash, result: { ...scored, score: 10_001 } }] }))).to.equal('STATE_CORRUPT');
  });

  it('refuses a ledger section with a duplicate key, an empty key or a value past the end as STATE_CORRUPT', async () => {
    const keys = await datasetKeys();
    const writer = await StateSealer.create(keys);
    const base = new Uint8Array(4 + 4 + 48);
    const withLedger = (section: number[]) => writer.sealPayload(1n, new Uint8Array([...base, ...section]));
    const entry = [0, 1, 0x6b, 0, 0, 0, 1, 7];
    expect(codeOf(() => writer.open(withLedger([0, 0, 0, 2, ...entry, ...entry])))).to.equal('STATE_CORRUPT');
    expect(codeOf(() => writer.open(withLedger([0, 0, 0, 1, 0, 0, 0, 0, 0, 0])))).to.equal('STATE_CORRUPT');
    expect(codeOf(() => writer.open(withLedger([0, 0, 0, 1, 0, 1, 0x6b, 0xff, 0xff, 0xff, 0xff, 7])))).to.equal('STATE_CORRUPT');
    expect(codeOf(() => writer.open(withLedger([0, 0, 0, 9])))).to.equal('STATE_CORRUPT');
    expect(writer.open(withLedger([0, 0, 0, 1, ...entry])).ledgers).to.deep.equal([['k', new Uint8Array([7])]]);
  });

  it('refuses an authenticated but malformed payload as STATE_CORRUPT', async () => {
    const keys = await datasetKeys();
    const writer = await StateSealer.create(keys);
    const bad = writer.sealPayload(1n, new Uint8Array([0, 0, 0, 9, 1, 2]));
    expect(codeOf(() => writer.open(bad))).to.equal('STATE_CORRUPT');
  });

  it('refuses a state older than one seen in this boot as STATE_ROLLBACK', async () => {
    const keys = await datasetKeys();
    const writer = await StateSealer.create(keys);
    const old = writer.seal(state(3n));
    const newer = writer.seal(state(4n));
    const reader = await StateSealer.create(keys);
    reader.open(newer.bytes);
    expect(codeOf(() => reader.open(old.bytes))).to.equal('STATE_ROLLBACK');
    expect(codeOf(() => writer.seal(state(4n)))).to.equal('STATE_ROLLBACK');
    expect(reader.open(newer.bytes).counter).to.equal(4n);
  });

  it('checks a state against the anchor: older, missing or forked is refused', () => {
    const h = (s: string): Hex => keccak256(toHex(s));
    const anchor = { counter: 7n, sha256: h('seven') };
    expect(codeOf(() => checkAgainstAnchor({ counter: 6n, sha256: h('six') }, anchor))).to.equal('STATE_ROLLBACK');
    expect(codeOf(() => checkAgainstAnchor(undefined, anchor))).to.equal('STATE_ROLLBACK');
    expect(codeOf(() => checkAgainstAnchor({ counter: 7n, sha256: h('other') }, anchor))).to.equal('STATE_ANCHOR_MISMATCH');
    expect(codeOf(() => checkAgainstAnchor({ counter: 7n, sha256: h('seven') }, anchor))).to.equal(undefined);
    expect(codeOf(() => checkAgainstAnchor({ counter: 9n, sha256: h('nine') }, anchor))).to.equal(undefined);
    expect(codeOf(() => checkAgainstAnchor(undefined, { counter: 0n, sha256: h('genesis') }))).to.equal(undefined);
  });

  it('refuses a state above the cap, sealing or opening, as STATE_TOO_LARGE', async () => {
    const keys = await datasetKeys();
    const small = await StateSealer.create({ ...keys, maxBytes: 200 });
    const big = { ...state(1n), fingerprintIndex: new Uint8Array(300) };
    expect(codeOf(() => small.seal(big))).to.equal('STATE_TOO_LARGE');
    const sealed = (await StateSealer.create(keys)).seal(big);
    expect(codeOf(() => small.open(sealed.bytes))).to.equal('STATE_TOO_LARGE');
    expect(MAX_SEALED_STATE_BYTES).to.equal(16 * 1024 * 1024);
  });
});
