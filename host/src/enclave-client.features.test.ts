import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo, Server } from 'node:net';
import { Readable } from 'node:stream';
import { KMSClient } from '@aws-sdk/client-kms';
import sodium from 'libsodium-wrappers';
import { hexToBytes, keccak256, sha256, toHex, type Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { auditDomain } from '@audata/verifier/audit';
import { createDevCa } from '@audata/verifier/dev';
import type { SealedDatasetKeyJson } from '@audata/wire';
import { sealContribution } from '../../client/src/envelope/seal.ts';
import { createBuyerSigner } from '../../client/src/jobs/sign.ts';
import { createChannelServer, type ChannelHandlers } from '../../enclave/src/channel/server.ts';
import { createDevKmsServer } from '../../enclave/src/kms/dev-kms-server.ts';
import { createSimulatedNsm } from '../../enclave/src/nsm/simulated-nsm.ts';
import { MemoryStateKeeper } from '../../enclave/src/state/memory-keeper.ts';
import type { PolicySource } from '../../enclave/src/jobs/policy-source.ts';
import { buildSoftmaxGradientModel, parameterCount } from '../../enclave/src/jobs/softmax-classifier.ts';
import { createEnclaveRuntime, type ContributionScorer } from '../../enclave/src/runtime/enclave-runtime.ts';
import { ChannelEnclaveClient, type FeatureEntryKeeper } from './enclave-client.ts';
import type { ScoreRequest } from './deps.ts';

const sha384 = (text: string) => new Uint8Array(createHash('sha384').update(text).digest());
const keyId = 'arn:aws:kms:us-east-1:000000000000:key/00000000-0000-4000-8000-000000000005';
const chainId = 31337;
const registry = '0x5FbDB2315678afecb367f032d93F642f64180aa3';
const code = (p: Promise<unknown>) => p.then(() => 'none', (e: { code?: string }) => e.code ?? String(e));
const featureScorer: ContributionScorer = {
  async score(opened) {
    const frames = 10;
    const data = Float32Array.from({ length: frames * 80 }, (_, i) => Math.sin(i + opened.audio.length));
    const quality = Math.min(10_000, opened.audio.length);
    return { valid: true, score: quality, authenticity: 9000, ownership: 10_000, quality, uniqueness: 10_000, detailsHash: keccak256(opened.audio), durationSec: 1, features: { nMels: 80, frames, data } };
  },
};

describe('ChannelEnclaveClient with host-kept feature entries (in-process enclave runtime)', function () {
  this.timeout(30_000);
  const ca = createDevCa({ now: new Date() });
  const pcr0 = sha384('features bundle');
  let kmsServer: Server;
  let kms: KMSClient;
  const servers: Server[] = [];

  const model = buildSoftmaxGradientModel({ features: 80, classes: 2 });
  const P = parameterCount({ features: 80, classes: 2 });
  const buyer = privateKeyToAccount(generatePrivateKey());
  const signer = createBuyerSigner({ account: buyer, chainId, jobEscrow: registry });
  const policy = {
    id: 1n, createdAt: 0n, retired: false, buyer: buyer.address, jobKinds: 2, modelHashes: [sha256(model)], minScore: 0, languages: ['en'],
    termsHash: keccak256(toHex('CC-BY-4.0')), epsilon: 100_000_000n, delta: 10n ** 13n, price: 10n ** 18n, expiry: 10n ** 12n,
  };
  const source: PolicySource = {
    policy: async () => policy,
    escrow: async (_jobId, policyId) => ({ paused: false, status: 'paid', buyer: buyer.address, policyId, price: policy.price, policyEpsilonSpent: 0n }),
    revoked: async () => new Set(),
  };

  /** An enclave with host-kept features; counts the job.features frames it is sent. */
  async function startEnclave(frames: number[], overrides: Partial<ChannelHandlers> = {}): Promise<number> {
    const nsm = createSimulatedNsm({ ca, pcrs: { 0: pcr0, 1: sha384('runtime'), 2: sha384('lock') }, moduleId: 'i-dev0000000000000000-enc0000000000000000' });
    const runtime = createEnclaveRuntime({
      nsm, kms, kmsKeyId: keyId, chainId, registry, pipelineVersion: keccak256(toHex('p')), scorer: featureScorer,
      jobs: { source, escrow: { chainId, contract: registry }, featureBackend: 'host' }, audit: { domain: auditDomain(chainId), signEvery: 8 },
    });
    const server = createChannelServer({
      handlers: {
        ...runtime.handlers,
        'job.features': (body, binary) => {
          frames.push(binary.length);
          return (overrides['job.features'] ?? runtime.handlers['job.features'])(body, binary);
        },
        ...(overrides['job.submit'] === undefined ? {} : { 'job.submit': overrides['job.submit'] }),
      },
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    servers.push(server);
    return (server.address() as AddressInfo).port;
  }

  async function upload(datasetKey: Hex, size: number): Promise<ScoreRequest> {
    const parts: Uint8Array[] = [];
    const account = privateKeyToAccount(generatePrivateKey());
    const header = await sealContribution({
      audio: [new Uint8Array(randomBytes(size))], write: (c) => void parts.push(c.slice()), datasetKey: hexToBytes(datasetKey), account,
      chainId, registry, termsHash: keccak256(toHex('CC-BY-4.0')), language: 'en', chunkLog2: 12,
    });
    const ciphertext = Buffer.concat(parts);
    return { fileId: header.manifest.ciphertextSha256, manifest: header.manifest, manifestSignature: header.signature, sealedKey: hexToBytes(header.sealedKey), ciphertext: Readable.from([ciphertext]), contributor: account.address, ciphertextLength: ciphertext.length };
  }

  async function submission(name: string, keys: { publicKey: Uint8Array }) {
    const jobId = keccak256(toHex(name));
    const params = { melBands: 80, classes: ['en', 'de'], parameters: P };
    const { deadline, signature } = await signer.submission({ jobId, policyId: 1n, buyer: buyer.address, kind: 'gradients', model, buyerKey: keys.publicKey, params });
    const body = { jobId, policyId: '1', buyer: buyer.address, kind: 'gradients', model: Buffer.from(model).toString('base64'), buyerKey: toHex(keys.publicKey), params, deadline: deadline.toString(), signature };
    return { jobId, body: new TextEncoder().encode(JSON.stringify(body)) };
  }

  before(async () => {
    await sodium.ready;
    kmsServer = createDevKmsServer({ keyId, masterKey: new Uint8Array(randomBytes(32)), policy: { imageSha384: [Buffer.from(pcr0).toString('hex')] }, attestationRoot: ca.rootDer });
    kmsServer.listen(0, '127.0.0.1');
    await once(kmsServer, 'listening');
    kms = new KMSClient({ region: 'us-east-1', endpoint: `http://127.0.0.1:${(kmsServer.address() as AddressInfo).port}`, credentials: { accessKeyId: 'dev', secretAccessKey: 'dev' }, maxAttempts: 1 });
  });
  after(() => {
    kmsServer.close();
    for (const s of servers) s.close();
  });

  it('keeps each entry before the state naming it, and after a restart hands a job its entries in batches', async () => {
    const events: string[] = [];
    const kept = new Map<Hex, Uint8Array>();
    const features: FeatureEntryKeeper = {
      save: async (fileId, entry) => void (events.push(`entry ${fileId}`), kept.set(fileId.toLowerCase() as Hex, entry.slice())),
      load: async (fileId) => kept.get(fileId.toLowerCase() as Hex),
    };
    const memory = new MemoryStateKeeper();
    const states = { bootAttachment: () => memory.bootBundle(), save: (ref: { counter: string }, blob: Uint8Array) => void (events.push(`state ${ref.counter}`), memory.keep(blob)) };
    const sealedKeys: SealedDatasetKeyJson[] = [];
    const keys = { load: () => sealedKeys.at(-1), save: (s: SealedDatasetKeyJson) => void sealedKeys.push(s) };
    const frames: number[] = [];
    const first = new ChannelEnclaveClient({ address: { port: await startEnclave(frames) }, sealedKeys: keys, states, features });
    const boot = await first.ready();
    const files: Hex[] = [];
    for (const size of [3000, 4000, 5000]) files.push((await first.score(await upload(boot.datasetKey, size))).proof.fileId);
    first.close();
    expect(kept.size).to.equal(3);
    // Entry, then state, for every file.
    expect(events.slice(1).map((e) => e.split(' ')[0])).to.deep.equal(['entry', 'state', 'entry', 'state', 'entry', 'state']);
    expect(events[1]).to.equal(`entry ${files[0]}`);

    // A new enclave from the kept state; batches of one entry each.
    const second = new ChannelEnclaveClient({ address: { port: await startEnclave(frames) }, sealedKeys: keys, states, features, featureBatchBytes: 1 });
    await second.ready();
    const buyerKeys = sodium.crypto_box_keypair();
    const job = await submission('host-kept job', buyerKeys);
    const stored = events.length;
    const status = await second.submit(job.body);
    expect(status).to.deep.equal({ jobId: job.jobId, kind: 'gradients', status: 'running', files: 3, steps: 0 });
    // The started job's state (its start and audit entry) was kept before the answer.
    expect(events.slice(stored).map((e) => e.split(' ')[0])).to.deep.equal(['state']);
    expect(frames).to.have.length(3);
    const { deadline, signature } = await signer.step(job.jobId, 0, { parameters: new Float32Array(P), sampleRate: 1, noiseMultiplier: 1, clipNorm: 1 });
    const step = await second.step(job.jobId, new TextEncoder().encode(JSON.stringify({ index: 0, parameters: Buffer.from(new Float32Array(P).buffer).toString('base64'), sampleRate: 1, noiseMultiplier: 1, clipNorm: 1, deadline: deadline.toString(), signature })));
    const release = JSON.parse(new TextDecoder().decode(sodium.crypto_box_seal_open(step.sealed, buyerKeys.publicKey, buyerKeys.privateKey))) as { noisySum: number[] };
    expect(release.noisySum).to.have.length(P);

    // The job's end lets its entries go, so the next job needs the host's again.
    const end = await signer.finish(job.jobId, 1);
    const answer = await second.finish(job.jobId, new TextEncoder().encode(JSON.stringify({ steps: 1, deadline: end.deadline.toString(), signature: end.signature })));
    // The enclave's answer alone comes back; the state recording the receipt was kept first.
    expect(JSON.parse(new TextDecoder().decode(answer))).to.have.property('receipt');
    expect(memory.audit().entries.map((e) => e.kind)).to.deep.equal(['key-release', 'proof', 'proof', 'proof', 'key-release', 'job-start', 'release', 'receipt']);

    // A host that lost one entry: a typed refusal, nothing started or spent, and the buyer's same
    // signed submission starts the job once the entry is back.
    const lost = files[1]!.toLowerCase() as Hex;
    const entry = kept.get(lost)!;
    kept.delete(lost);
    const next = await submission('a lost entry', buyerKeys);
    expect(await code(second.submit(next.body))).to.equal('HOST_JOB_FEATURES_MISSING');
    expect(await code(second.status(next.jobId))).to.equal('JOB_INVALID_PARAMETER');
    kept.set(lost, entry);
    expect(await second.submit(next.body)).to.deep.equal({ jobId: next.jobId, kind: 'gradients', status: 'running', files: 3, steps: 0 });
    const again = await signer.step(next.jobId, 0, { parameters: new Float32Array(P), sampleRate: 1, noiseMultiplier: 1, clipNorm: 1 });
    const stepped = await second.step(next.jobId, new TextEncoder().encode(JSON.stringify({ index: 0, parameters: Buffer.from(new Float32Array(P).buffer).toString('base64'), sampleRate: 1, noiseMultiplier: 1, clipNorm: 1, deadline: again.deadline.toString(), signature: again.signature })));
    expect(stepped.epsilonSpent).to.be.greaterThan(0);
    second.close();
  });

  it('gives up a submission the enclave still names entries for after 3 supplies (HOST_JOB_FEATURES_MISSING)', async () => {
    const fileId = keccak256(toHex('a file scored meanwhile'));
    let submits = 0;
    const frames: number[] = [];
    const port = await startEnclave(frames, {
      'job.submit': async (_body, binary) => {
        submits += 1;
        const { jobId } = JSON.parse(new TextDecoder().decode(binary)) as { jobId: Hex };
        return { body: { jobId, kind: 'gradients', status: 'running', files: 1, steps: 0, featuresNeeded: 1 }, binary: hexToBytes(fileId) };
      },
      'job.features': async () => ({ body: { accepted: 1, missing: 0 } }),
    });
    const sealedKeys: SealedDatasetKeyJson[] = [];
    const features: FeatureEntryKeeper = { save: async () => undefined, load: async () => new Uint8Array(48) };
    const client = new ChannelEnclaveClient({ address: { port }, sealedKeys: { load: () => sealedKeys.at(-1), save: (k) => void sealedKeys.push(k) }, features });
    await client.ready();
    const job = await submission('never enough entries', sodium.crypto_box_keypair());
    expect(await code(client.submit(job.body))).to.equal('HOST_JOB_FEATURES_MISSING');
    expect([submits, frames.length]).to.deep.equal([4, 3]);
    client.close();
  });
});
