import { expect } from 'chai';
import sodium from 'libsodium-wrappers';
import { keccak256, toHex, type Hex } from 'viem';
import { EMPTY_AUDIT, MAX_SEALED_STATE_BYTES, SEALED_STATE_HEADER_BYTES, StateSealer, checkAgainstAnchor, sealedStateCounter, type EnclaveState } from './sealed-state.ts';

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
};

async function datasetKeys() {
  await sodium.ready;
  const kp = sodium.crypto_box_keypair();
  return { datasetSecretKey: kp.privateKey, datasetPublicKey: kp.publicKey };
}

function state(counter: bigint): EnclaveState {
  return {
    counter,
    fingerprintIndex: new Uint8Array([0x41, 0x55, 0x46, 0x50, 1, 0, 0, 0, 0]),
    seenManifests: [keccak256(toHex('m1')), keccak256(toHex('m2'))],
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
    const sealed = empty.seal({ counter: 0n, fingerprintIndex: new Uint8Array(0), seenManifests: [], audit: EMPTY_AUDIT, ledgers: [] });
    expect((await StateSealer.create(keys)).open(sealed.bytes)).to.deep.equal({ counter: 0n, fingerprintIndex: new Uint8Array(0), seenManifests: [], audit: EMPTY_AUDIT, ledgers: [] });
  });

  it('keeps the payload secret: no manifest hash appears in the blob', async () => {
    const keys = await datasetKeys();
    const sealed = (await StateSealer.create(keys)).seal(state(1n));
    const hay = Buffer.from(sealed.bytes);
    for (const hash of state(1n).seenManifests) expect(hay.includes(Buffer.from(hash.slice(2), 'hex'))).to.equal(false);
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
    sealed.bytes[4] = 3;
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
