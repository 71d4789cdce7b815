import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo, Server } from 'node:net';
import { KMSClient } from '@aws-sdk/client-kms';
import { keccak256, toHex } from 'viem';
import { createDevCa } from '@audata/verifier/dev';
import { decodeStateBundle, encodeStateBundle, peekRootHeader, type SealedDatasetKeyJson } from '@audata/wire';
import { FingerprintIndex } from '../audio/uniqueness.ts';
import { createDevKmsServer } from '../kms/dev-kms-server.ts';
import { openDatasetKey } from '../kms/key-release.ts';
import { createSimulatedNsm } from '../nsm/simulated-nsm.ts';
import { FingerprintIndexSlot } from '../state/fingerprint-slot.ts';
import { MemoryStateKeeper } from '../state/memory-keeper.ts';
import { StateSealer, sha256Hex, type FileRecord } from '../state/sealed-state.ts';
import { SegmentChainReader, SegmentedStateSealer } from '../state/segmented-state.ts';
import { createEnclaveRuntime } from './enclave-runtime.ts';

const sha384 = (text: string) => new Uint8Array(createHash('sha384').update(text).digest());
const keyId = 'arn:aws:kms:us-east-1:000000000000:key/00000000-0000-4000-8000-000000000011';
const chainId = 31337;
const registry = '0x5FbDB2315678afecb367f032d93F642f64180aa3';
const pipelineVersion = keccak256(toHex('migration pipeline'));
const fail = (p: Promise<unknown>) => p.then(() => 'none', (e: { code?: string }) => e.code);
const none = new Uint8Array(0);

describe('sealed state: a format 3 blob migrates into segments at boot; a segmented restore in several requests', function () {
  this.timeout(60_000);
  const ca = createDevCa({ now: new Date() });
  const build = sha384('migration bundle');
  let kmsServer: Server;
  let kms: KMSClient;
  const nsm = () => createSimulatedNsm({ ca, pcrs: { 0: build, 1: sha384('runtime'), 2: sha384('lock') }, moduleId: 'i-dev0000000000000000-enc0000000000000000' });
  const runtime = (fingerprints: FingerprintIndexSlot, anchor?: { counter: bigint; sha256: `0x${string}` }) =>
    createEnclaveRuntime({ nsm: nsm(), kms, kmsKeyId: keyId, chainId, registry, pipelineVersion, fingerprints, ...(anchor === undefined ? {} : { stateAnchor: async () => anchor }) });

  const fingerprint = (seed: number) => ({ words: new Uint32Array(400).map((_, i) => (Math.imul(i + 1, 2654435761) ^ seed) >>> 0), mask: new Uint8Array(400).fill(1), hopSeconds: 0.02 });
  const records: FileRecord[] = [
    {
      manifestHash: keccak256(toHex('m1')),
      result: {
        fileId: keccak256(toHex('f1')), contributor: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8', valid: true, score: 7000, authenticity: 9000, ownership: 10_000, quality: 6000,
        uniqueness: 10_000, detailsHash: keccak256(toHex('d1')), pipelineVersion, language: 'en', termsHash: keccak256(toHex('t')), durationSec: 3, hasFeatures: false,
      },
    },
    { manifestHash: keccak256(toHex('m2')) },
  ];

  before(async () => {
    kmsServer = createDevKmsServer({ keyId, masterKey: new Uint8Array(randomBytes(32)), policy: { imageSha384: [Buffer.from(build).toString('hex')] }, attestationRoot: ca.rootDer });
    kmsServer.listen(0, '127.0.0.1');
    await once(kmsServer, 'listening');
    kms = new KMSClient({ region: 'us-east-1', endpoint: `http://127.0.0.1:${(kmsServer.address() as AddressInfo).port}`, credentials: { accessKeyId: 'dev', secretAccessKey: 'dev' }, maxAttempts: 1 });
  });
  after(() => kmsServer.close());

  /** A genesis boot, and the dataset key it released (opened again here with the same KMS) to seal test states under. */
  async function genesis() {
    const reply = await runtime(new FingerprintIndexSlot()).handlers.boot({}, none);
    const sealed = reply.body.sealed as SealedDatasetKeyJson;
    const keys = await openDatasetKey({ kms, keyId, nsm: nsm(), signer: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8', pipelineVersion }, sealed);
    return { sealed, keys: { datasetSecretKey: keys.secretKey, datasetPublicKey: keys.publicKey } };
  }

  it('boots from a format 3 blob (the anchored one), writes it out as segments with the first state, and boots again from those', async () => {
    const { sealed, keys } = await genesis();
    const index = new FingerprintIndex();
    index.checkAndInsert('f1', fingerprint(1));
    index.checkAndInsert('f2', fingerprint(2));
    const legacy = (await StateSealer.create(keys)).seal({
      counter: 7n, fingerprintIndex: index.serialize(), records, audit: { entries: 0, head: `0x${'00'.repeat(32)}`, lastTime: 0 }, ledgers: [['ledger:1:0xbuyer', new Uint8Array([4, 5])]],
    });
    const slot = new FingerprintIndexSlot();
    const migrated = await runtime(slot, { counter: 7n, sha256: sha256Hex(legacy.bytes) }).handlers.boot({ sealed }, legacy.bytes);
    expect(migrated.body.state!.counter).to.equal('8');
    expect(slot.current.size).to.equal(2);
    const bundle = decodeStateBundle(migrated.binary!);
    expect(peekRootHeader(bundle.root!)).to.deep.include({ counter: 8n, segments: BigInt(bundle.segments.length) });
    // What the segments hold is the old state's index and records, nothing lost.
    const reader = await SegmentedStateSealer.create(keys);
    const chain = new SegmentChainReader(reader, reader.openRoot(bundle.root!));
    const contents = bundle.segments.map((s) => chain.push(s));
    chain.finish();
    expect(contents.flatMap((c) => c.records)).to.deep.equal(records);
    expect(contents.flatMap((c) => c.fingerprints)).to.have.length(2);
    // The ledgers move to the root.
    expect(reader.openRoot(bundle.root!).ledgers).to.deep.equal([['ledger:1:0xbuyer', new Uint8Array([4, 5])]]);
    const kept = new MemoryStateKeeper();
    kept.keep(migrated.binary!);

    const again = new FingerprintIndexSlot();
    const rebooted = await runtime(again).handlers.boot({ sealed }, kept.bootBundle());
    expect(rebooted.body.state!.counter).to.equal('9');
    expect(again.current.size).to.equal(2);
    expect(again.current.checkAndInsert('copy', fingerprint(2)).uniqueness).to.equal(0);
  });

  it('takes the segments in state.segments requests and counts as booted only at state.ready, once the chain is whole', async () => {
    const { sealed, keys } = await genesis();
    const sealer = await SegmentedStateSealer.create(keys);
    sealer.resume(0n, `0x${'00'.repeat(32)}`, 1n);
    const segments = [0, 1, 2].map((i) => sealer.sealSegment({ fingerprints: [], records: [{ manifestHash: keccak256(toHex(`m${i}`)) }] }).bytes);
    const root = sealer.sealRoot(2n, { entries: 0, head: `0x${'00'.repeat(32)}`, lastTime: 0 }, []).bytes;
    const rootOnly = encodeStateBundle({ segments: [], root });

    const enclave = runtime(new FingerprintIndexSlot()).handlers;
    const first = await enclave.boot({ sealed }, encodeStateBundle({ segments: [segments[0]!], root }));
    expect(first.body.state).to.equal(undefined);
    expect(await fail(enclave.attestation({ nonce: '0x01' }, none))).to.equal('ENCLAVE_NOT_BOOTED');
    expect(await fail(enclave.state({}, none))).to.equal('ENCLAVE_NOT_BOOTED');
    expect((await enclave['state.segments']({}, encodeStateBundle({ segments: [segments[1]!] }))).body.received).to.equal(2);
    // Missing the last one: refused, and the restore is over (the host boots again).
    expect(await fail(enclave['state.ready']({}, none))).to.equal('STATE_SEGMENT_MISSING');
    expect(await fail(enclave['state.ready']({}, none))).to.equal('ENCLAVE_NOT_BOOTED');
    expect(await fail(enclave['state.segments']({}, encodeStateBundle({ segments: [segments[2]!] })))).to.equal('ENCLAVE_NOT_BOOTED');

    // A boot again; a refused segment also ends the restore.
    await enclave.boot({ sealed }, rootOnly);
    expect(await fail(enclave['state.segments']({}, encodeStateBundle({ segments: [segments[1]!] })))).to.equal('STATE_SEGMENT_OUT_OF_ORDER');
    expect(await fail(enclave['state.segments']({}, encodeStateBundle({ segments: [segments[0]!] })))).to.equal('ENCLAVE_NOT_BOOTED');
    expect(await fail(enclave['state.segments']({}, encodeStateBundle({ segments: [], root })))).to.equal('ENCLAVE_NOT_BOOTED');

    await enclave.boot({ sealed }, rootOnly);
    expect(await fail(enclave['state.segments']({}, encodeStateBundle({ segments: [], root })))).to.equal('CHANNEL_MESSAGE_INVALID');
    await enclave['state.segments']({}, encodeStateBundle({ segments: [segments[0]!, segments[1]!] }));
    await enclave['state.segments']({}, encodeStateBundle({ segments: [segments[2]!] }));
    const ready = await enclave['state.ready']({}, none);
    expect(ready.body.state.counter).to.equal('3');
    expect(peekRootHeader(decodeStateBundle(ready.binary!).root!)).to.deep.include({ counter: 3n, segments: 3n });
    expect(await fail(enclave.boot({ sealed }, rootOnly))).to.equal('ENCLAVE_ALREADY_BOOTED');
    // The restored records are the replay set.
    expect((await enclave.state({}, none)).body.state.counter).to.equal('3');
  });
});
