import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo, Server } from 'node:net';
import { KMSClient } from '@aws-sdk/client-kms';
import { keccak256, toHex, type Hex } from 'viem';
import { createDevCa } from '@audata/verifier/dev';
import { DEFAULT_MAX_FRAME_BYTES, encodeStateBundle, type SealedDatasetKeyJson } from '@audata/wire';
import { createChannelServer } from '../../enclave/src/channel/server.ts';
import { createDevKmsServer } from '../../enclave/src/kms/dev-kms-server.ts';
import { openDatasetKey } from '../../enclave/src/kms/key-release.ts';
import { createSimulatedNsm } from '../../enclave/src/nsm/simulated-nsm.ts';
import { createEnclaveRuntime } from '../../enclave/src/runtime/enclave-runtime.ts';
import { encodeFingerprintEntry, FingerprintIndexSlot } from '../../enclave/src/state/fingerprint-slot.ts';
import { MAX_SEALED_STATE_BYTES, type FileRecord } from '../../enclave/src/state/sealed-state.ts';
import { GENESIS_HEAD, SegmentedStateSealer } from '../../enclave/src/state/segmented-state.ts';
import { ChannelEnclaveClient } from './enclave-client.ts';
import { SealedEnclaveStateStore } from './enclave-state.ts';
import { tempDatabase } from './test-fixtures.ts';

const sha384 = (text: string) => new Uint8Array(createHash('sha384').update(text).digest());
const keyId = 'arn:aws:kms:us-east-1:000000000000:key/00000000-0000-4000-8000-000000000010';
const chainId = 31337;
const registry = '0x5FbDB2315678afecb367f032d93F642f64180aa3';
const pipelineVersion = keccak256(toHex('scale pipeline'));
const FILES = 10_000;
const WORDS = 1500; // 30 s at the fingerprint's 20 ms hop

describe('a segmented state of 10,000 files boots through the channel (SQLite store, in-process enclave)', function () {
  this.timeout(300_000);
  const ca = createDevCa({ now: new Date() });
  const build = sha384('scale bundle');
  let kmsServer: Server;
  let kms: KMSClient;
  const servers: Server[] = [];
  const nsm = () => createSimulatedNsm({ ca, pcrs: { 0: build, 1: sha384('runtime'), 2: sha384('lock') }, moduleId: 'i-dev0000000000000000-enc0000000000000000' });

  /** An enclave on a channel; records the attachment size of every state frame it is sent. */
  async function startEnclave(fingerprints: FingerprintIndexSlot, frames: number[]): Promise<number> {
    const runtime = createEnclaveRuntime({ nsm: nsm(), kms, kmsKeyId: keyId, chainId, registry, pipelineVersion, fingerprints });
    const server = createChannelServer({
      handlers: {
        ...runtime.handlers,
        boot: (body, binary) => (frames.push(binary.length), runtime.handlers.boot(body, binary)),
        'state.segments': (body, binary) => (frames.push(binary.length), runtime.handlers['state.segments'](body, binary)),
      },
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    servers.push(server);
    return (server.address() as AddressInfo).port;
  }

  before(async () => {
    kmsServer = createDevKmsServer({ keyId, masterKey: new Uint8Array(randomBytes(32)), policy: { imageSha384: [Buffer.from(build).toString('hex')] }, attestationRoot: ca.rootDer });
    kmsServer.listen(0, '127.0.0.1');
    await once(kmsServer, 'listening');
    kms = new KMSClient({ region: 'us-east-1', endpoint: `http://127.0.0.1:${(kmsServer.address() as AddressInfo).port}`, credentials: { accessKeyId: 'dev', secretAccessKey: 'dev' }, maxAttempts: 1 });
  });
  after(() => {
    kmsServer.close();
    for (const s of servers) s.close();
  });

  it('stores 10,000 files of state (far past the 16 MiB a one-blob state could hold), and boots from it in frames under the limit', async () => {
    const env = await tempDatabase();
    try {
      const store = new SealedEnclaveStateStore(env.db);
      const states = { bootAttachment: () => store.bootAttachment(), segmentBundles: () => store.segmentBundles(), save: (ref: Parameters<typeof store.save>[0], blob: Uint8Array) => store.save(ref, blob) };
      const sealedKeys: SealedDatasetKeyJson[] = [];
      const keys = { load: () => sealedKeys.at(-1), save: (s: SealedDatasetKeyJson) => void sealedKeys.push(s) };
      const first = new ChannelEnclaveClient({ address: { port: await startEnclave(new FingerprintIndexSlot(), []) }, sealedKeys: keys, states });
      await first.ready();
      first.close();
      expect(store.latest()).to.deep.include({ counter: 1n, segments: 0n });

      // 10,000 files' segments as the enclave would have sealed them, one per file, under the
      // dataset's state key (released here by the same KMS), each followed by a root, saved in
      // replies of 500 files.
      const dataset = await openDatasetKey({ kms, keyId, nsm: nsm(), signer: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8', pipelineVersion }, sealedKeys[0]!);
      const sealer = await SegmentedStateSealer.create({ datasetSecretKey: dataset.secretKey, datasetPublicKey: dataset.publicKey });
      sealer.resume(0n, GENESIS_HEAD, 1n);
      let counter = 1n;
      let totalBytes = 0;
      let batch: Uint8Array[] = [];
      for (let i = 0; i < FILES; i += 1) {
        // Words from a 2^20 vocabulary (real sub-fingerprints repeat too), a third masked.
        const words = new Uint32Array(WORDS).map((_, k) => (Math.imul(i * WORDS + k + 1, 2654435761) >>> 12) & 0xfffff);
        const fp = { words, mask: new Uint8Array(WORDS).map((_, k) => (k % 3 === 0 ? 0 : 1)), hopSeconds: 0.02 };
        const record: FileRecord = {
          manifestHash: keccak256(toHex(`manifest ${i}`)),
          result: {
            fileId: keccak256(toHex(`file ${i}`)), contributor: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8', valid: true, score: 7000, authenticity: 9000, ownership: 10_000,
            quality: 6000, uniqueness: 10_000, detailsHash: keccak256(toHex(`details ${i}`)), pipelineVersion, language: 'en', termsHash: keccak256(toHex('terms')), durationSec: 30, hasFeatures: false,
          },
        };
        const segment = sealer.sealSegment({ fingerprints: [encodeFingerprintEntry(keccak256(toHex(`file ${i}`)), fp)], records: [record] });
        batch.push(segment.bytes);
        totalBytes += segment.bytes.length;
        if (batch.length === 500) {
          const root = sealer.sealRoot((counter += 1n), { entries: 0, head: `0x${'00'.repeat(32)}` as Hex, lastTime: 0 }, []);
          const bundle = encodeStateBundle({ segments: batch, root: root.bytes });
          store.save({ counter: root.counter.toString(), sha256: root.sha256, bytes: bundle.length }, bundle);
          batch = [];
        }
      }
      expect(totalBytes).to.be.above(3 * MAX_SEALED_STATE_BYTES);
      expect(store.latest()).to.deep.include({ counter: 21n, segments: BigInt(FILES) });

      const fingerprints = new FingerprintIndexSlot();
      const frames: number[] = [];
      const second = new ChannelEnclaveClient({ address: { port: await startEnclave(fingerprints, frames) }, sealedKeys: keys, states, timeoutMs: 120_000 });
      const booted = Date.now();
      const boot = await second.ready();
      const bootMs = Date.now() - booted;
      expect(boot.genesis).to.equal(false);
      expect(fingerprints.current.size).to.equal(FILES);
      // Boot (the root alone), then state.segments frames: each well under the channel's frame limit.
      expect(frames.length).to.be.at.least(8);
      expect(Math.max(...frames)).to.be.below(DEFAULT_MAX_FRAME_BYTES / 2 + 64 * 1024);
      expect(frames.reduce((a, b) => a + b, 0)).to.be.above(totalBytes);
      // The state.ready reply (a new root over the same chain) was kept: 10,000 segments, counter 22.
      expect(store.latest()).to.deep.include({ counter: 22n, segments: BigInt(FILES) });
      expect(store.latest()!.blob.length).to.be.below(1024);
      expect(bootMs).to.be.below(120_000);
      second.close();
    } finally {
      env.cleanup();
    }
  });
});
