import { MemoryStateKeeper } from '../state/memory-keeper.ts';
import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo, Server } from 'node:net';
import { KMSClient } from '@aws-sdk/client-kms';
import { keccak256, recoverTypedDataAddress, toHex, hexToBytes, type Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { verifyAttestation } from '@audata/verifier';
import { createDevCa } from '@audata/verifier/dev';
import { connectChannel, decodeAttestationBinding, decodeStateBundle, envelopeHeaderToJson, submitContribution, proofTypes, registryDomain, type ChannelClient, type EnvelopeHeader } from '@audata/wire';
import { sealContribution } from '../../../client/src/envelope/seal.ts';
import { createBuyerSigner } from '../../../client/src/jobs/sign.ts';
import { createChannelServer } from '../channel/server.ts';
import { createDevKmsServer } from '../kms/dev-kms-server.ts';
import { createSimulatedNsm } from '../nsm/simulated-nsm.ts';
import { createEnclaveRuntime, type ContributionScorer } from './enclave-runtime.ts';
import { ScoringTimeoutError, ScoringWorkerCrashedError } from './scoring-pool.ts';
import { AudioUnknownFormatError } from '../audio/errors.ts';
import { JobPolicyUnknownError } from '../jobs/job-errors.ts';
import type { PolicySource } from '../jobs/policy-source.ts';
import { AUDIT_KINDS, auditDomain } from '@audata/verifier/audit';
import sodium from 'libsodium-wrappers';
import { sha256 } from 'viem';
import { buildSoftmaxGradientModel, parameterCount } from '../jobs/softmax-classifier.ts';
import { epsilonFor } from '../privacy/rdp.ts';
import { POLICY_EPSILON_SCALE } from '../jobs/policy.ts';

const sha384 = (text: string) => new Uint8Array(createHash('sha384').update(text).digest());
const keyId = 'arn:aws:kms:us-east-1:000000000000:key/00000000-0000-4000-8000-000000000000';
const chainId = 31337;
const registry = '0x5FbDB2315678afecb367f032d93F642f64180aa3';
const pipelineVersion = keccak256(toHex('test pipeline'));
const fail = (p: Promise<unknown>) => p.then(() => 'none', (e: { code?: string }) => e.code);

/** Scores by audio length only: enough to show the proof is built from what was opened. */
const lengthScorer: ContributionScorer = {
  async score(opened) {
    const quality = Math.min(10_000, opened.audio.length);
    return { valid: true, score: quality, authenticity: 9000, ownership: 10_000, quality, uniqueness: 10_000, detailsHash: keccak256(opened.audio) };
  },
};

describe('enclave runtime (channel + simulated NSM + dev KMS)', () => {
  const ca = createDevCa({ now: new Date() });
  const buildA = sha384('bundle A');
  let kmsServer: Server;
  let kms: KMSClient;
  const servers: Server[] = [];

  async function startEnclave(pcr0: Uint8Array, scorer?: ContributionScorer): Promise<ChannelClient> {
    const nsm = createSimulatedNsm({ ca, pcrs: { 0: pcr0, 1: sha384('runtime'), 2: sha384('lock') }, moduleId: 'i-dev0000000000000000-enc0000000000000000' });
    const runtime = createEnclaveRuntime({ nsm, kms, kmsKeyId: keyId, chainId, registry, pipelineVersion, ...(scorer === undefined ? {} : { scorer }) });
    const server = createChannelServer({ handlers: runtime.handlers });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    servers.push(server);
    return connectChannel({ port: (server.address() as AddressInfo).port });
  }

  async function attestedDatasetKey(client: ChannelClient) {
    const nonce = new Uint8Array(randomBytes(16));
    const { binary } = await client.request('attestation', { nonce: toHex(nonce) });
    const verified = verifyAttestation(binary, { root: ca.rootDer, expectedPcrs: { 0: buildA }, expectedNonce: nonce, cache: null });
    const binding = decodeAttestationBinding(verified.userData);
    expect(toHex(verified.publicKey!)).to.equal(binding.datasetKey);
    return binding;
  }

  async function contribute(datasetKey: Uint8Array, audio: Uint8Array) {
    const parts: Uint8Array[] = [];
    const header = await sealContribution({
      audio: [audio], write: (c) => void parts.push(c.slice()), datasetKey, account: privateKeyToAccount(generatePrivateKey()),
      chainId, registry, termsHash: keccak256(toHex('CC-BY-4.0')), language: 'en', chunkLog2: 12,
    });
    return { header, ciphertext: Uint8Array.from(Buffer.concat(parts)) };
  }

  async function upload(client: ChannelClient, header: EnvelopeHeader, ciphertext: Uint8Array, pieceSize = 5000) {
    const json = envelopeHeaderToJson(header);
    // Pieces of odd sizes, regrouped by submitContribution into chunks of pieceSize.
    return submitContribution(client, json, [ciphertext.subarray(0, 7), ciphertext.subarray(7, 3000), ciphertext.subarray(3000)], pieceSize);
  }

  before(async () => {
    kmsServer = createDevKmsServer({ keyId, masterKey: new Uint8Array(randomBytes(32)), policy: { imageSha384: [Buffer.from(buildA).toString('hex')] }, attestationRoot: ca.rootDer });
    kmsServer.listen(0, '127.0.0.1');
    await once(kmsServer, 'listening');
    kms = new KMSClient({ region: 'us-east-1', endpoint: `http://127.0.0.1:${(kmsServer.address() as AddressInfo).port}`, credentials: { accessKeyId: 'dev', secretAccessKey: 'dev' }, maxAttempts: 1 });
  });
  after(() => {
    kmsServer.close();
    for (const s of servers) s.close();
  });

  it('genesis, then a restart keeps the same dataset key; an old contribution still opens', async () => {
    const first = await startEnclave(buildA);
    expect(await fail(first.request('attestation', { nonce: '0x01' }))).to.equal('ENCLAVE_NOT_BOOTED');
    const genesis = await first.request('boot', {});
    expect(genesis.body.genesis).to.equal(true);
    expect(await fail(first.request('boot', {}))).to.equal('ENCLAVE_ALREADY_BOOTED');
    const binding = await attestedDatasetKey(first);
    expect(binding.datasetKey).to.equal(genesis.body.datasetKey);
    expect(binding.signer).to.equal(genesis.body.signer);
    const audio = new Uint8Array(20_000).map((_, i) => i & 0xff);
    const { header, ciphertext } = await contribute(hexToBytes(binding.datasetKey), audio);
    first.close();

    const second = await startEnclave(buildA, lengthScorer);
    const restart = await second.request('boot', { sealed: genesis.body.sealed });
    expect(restart.body.genesis).to.equal(false);
    expect(restart.body.datasetKey).to.equal(genesis.body.datasetKey);
    expect(restart.body.signer).to.not.equal(genesis.body.signer);
    const result = await upload(second, header, ciphertext);
    expect(result.contributor).to.equal(header.contributor);
    expect(result.audioBytes).to.equal(audio.length);
    expect(result.fileId).to.equal(header.manifest.ciphertextSha256);
    const proof = { ...result.proof!, deadline: BigInt(result.proof!.deadline) };
    expect(proof.quality).to.equal(10_000);
    const signer = await recoverTypedDataAddress({ domain: registryDomain(chainId, registry), types: proofTypes, primaryType: 'ContributionProof', message: proof, signature: result.signature! });
    expect(signer).to.equal(restart.body.signer);
    expect(await fail(upload(second, header, ciphertext))).to.equal('ENVELOPE_REPLAYED');
    second.close();
  });

  it('an enclave from a different bundle is refused its key by the dev KMS', async () => {
    const genesisEnclave = await startEnclave(buildA);
    const { body } = await genesisEnclave.request('boot', {});
    genesisEnclave.close();
    const other = await startEnclave(sha384('bundle B'));
    const refused = await other.request('boot', { sealed: body.sealed }).then(() => undefined, (e: { code: string; details: Record<string, unknown> }) => e);
    expect(refused?.code).to.equal('KMS_REQUEST_FAILED');
    expect(refused?.details.kmsError).to.equal('AccessDeniedException');
    expect(await fail(other.request('attestation', { nonce: '0x01' }))).to.equal('ENCLAVE_NOT_BOOTED');
    other.close();
  });

  it('reports envelope failures at the step they happen, and keeps serving', async () => {
    const client = await startEnclave(buildA);
    const { body } = await client.request('boot', {});
    const { header, ciphertext } = await contribute(hexToBytes(body.datasetKey), new Uint8Array(9000).fill(3));
    const forged = { ...header, contributor: privateKeyToAccount(generatePrivateKey()).address };
    expect(await fail(upload(client, forged, ciphertext))).to.equal('ENVELOPE_MANIFEST_SIGNATURE_INVALID');
    const tampered = ciphertext.slice();
    tampered[ciphertext.length - 3]! ^= 1;
    expect(await fail(upload(client, header, tampered))).to.equal('ENVELOPE_CIPHERTEXT_HASH_MISMATCH');
    expect(await fail(upload(client, header, Uint8Array.from(Buffer.concat([ciphertext, ciphertext]))))).to.equal('ENVELOPE_LENGTH_MISMATCH');
    expect(await fail(client.request('contribution.finish', { session: 'abcd' }))).to.equal('ENCLAVE_SESSION_UNKNOWN');
    const ok = await upload(client, header, ciphertext, 1 << 20);
    expect(ok.audioBytes).to.equal(9000);
    expect(ok.proof).to.equal(undefined);
    client.close();
  });

  it('limits concurrent sessions', async () => {
    const nsm = createSimulatedNsm({ ca, pcrs: { 0: buildA, 1: sha384('runtime'), 2: sha384('lock') }, moduleId: 'i-dev0000000000000000-enc0000000000000000' });
    const runtime = createEnclaveRuntime({ nsm, kms, kmsKeyId: keyId, chainId, registry, pipelineVersion, maxSessions: 1 });
    const { body } = await runtime.handlers.boot({}, new Uint8Array(0));
    const a = await contribute(hexToBytes(body.datasetKey), new Uint8Array(100));
    const b = await contribute(hexToBytes(body.datasetKey), new Uint8Array(100));
    const json = (h: EnvelopeHeader) => ({ ...h, manifest: { ...h.manifest, createdAt: h.manifest.createdAt.toString() } });
    await runtime.handlers['contribution.begin']({ header: json(a.header) }, new Uint8Array(0));
    expect(await fail(runtime.handlers['contribution.begin']({ header: json(b.header) }, new Uint8Array(0)))).to.equal('ENCLAVE_BUSY');
  });

  it('drops an abandoned session, which frees its manifest for a retry', async () => {
    let clock = Date.parse('2026-01-01T00:00:00Z');
    const nsm = createSimulatedNsm({ ca, pcrs: { 0: buildA, 1: sha384('runtime'), 2: sha384('lock') }, moduleId: 'i-dev0000000000000000-enc0000000000000000' });
    const runtime = createEnclaveRuntime({ nsm, kms, kmsKeyId: keyId, chainId, registry, pipelineVersion, maxSessions: 1, sessionIdleMs: 1000, now: () => new Date(clock) });
    const { body } = await runtime.handlers.boot({}, new Uint8Array(0));
    const a = await contribute(hexToBytes(body.datasetKey), new Uint8Array(100));
    const json = (h: EnvelopeHeader) => ({ ...h, manifest: { ...h.manifest, createdAt: h.manifest.createdAt.toString() } });
    const first = await runtime.handlers['contribution.begin']({ header: json(a.header) }, new Uint8Array(0));
    clock += 2000;
    const retry = await runtime.handlers['contribution.begin']({ header: json(a.header) }, new Uint8Array(0));
    expect(await fail(runtime.handlers['contribution.chunk']({ session: first.body.session }, a.ciphertext))).to.equal('ENCLAVE_SESSION_UNKNOWN');
    await runtime.handlers['contribution.chunk']({ session: retry.body.session }, a.ciphertext);
    expect((await runtime.handlers['contribution.finish']({ session: retry.body.session }, new Uint8Array(0))).body.audioBytes).to.equal(100);
  });

  it('frees the manifest of a file whose scoring failed as retryable (a crashed scoring thread), not of a refused or timed-out one', async () => {
    let crashes = 1;
    const scorer: ContributionScorer = {
      async score(opened) {
        if (opened.audio.length === 100 && crashes-- > 0) throw new ScoringWorkerCrashedError(1);
        if (opened.audio.length === 200) throw new AudioUnknownFormatError('00');
        if (opened.audio.length === 300) throw new ScoringTimeoutError(30_000, 300, 10);
        return lengthScorer.score(opened);
      },
    };
    const nsm = createSimulatedNsm({ ca, pcrs: { 0: buildA, 1: sha384('runtime'), 2: sha384('lock') }, moduleId: 'i-dev0000000000000000-enc0000000000000000' });
    const runtime = createEnclaveRuntime({ nsm, kms, kmsKeyId: keyId, chainId, registry, pipelineVersion, scorer });
    const { body } = await runtime.handlers.boot({}, new Uint8Array(0));
    const json = (h: EnvelopeHeader) => ({ ...h, manifest: { ...h.manifest, createdAt: h.manifest.createdAt.toString() } });
    const send = async (c: { header: EnvelopeHeader; ciphertext: Uint8Array }) => {
      const { body: begun } = await runtime.handlers['contribution.begin']({ header: json(c.header) }, new Uint8Array(0));
      await runtime.handlers['contribution.chunk']({ session: begun.session }, c.ciphertext);
      return runtime.handlers['contribution.finish']({ session: begun.session }, new Uint8Array(0));
    };
    const crashing = await contribute(hexToBytes(body.datasetKey), new Uint8Array(100));
    expect(await fail(send(crashing))).to.equal('ENCLAVE_SCORING_WORKER_CRASHED');
    expect((await send(crashing)).body.proof?.quality).to.equal(100);
    const refused = await contribute(hexToBytes(body.datasetKey), new Uint8Array(200));
    expect(await fail(send(refused))).to.equal('AUDIO_UNKNOWN_FORMAT');
    expect(await fail(send(refused))).to.equal('ENVELOPE_REPLAYED');
    // The same file would hold a thread as long again: no retry gets it scored.
    const stuck = await contribute(hexToBytes(body.datasetKey), new Uint8Array(300));
    expect(await fail(send(stuck))).to.equal('ENCLAVE_SCORING_TIMEOUT');
    expect(await fail(send(stuck))).to.equal('ENVELOPE_REPLAYED');
  });

  it('relays job requests to the engine, and refuses them when jobs are not configured', async () => {
    const nsm = createSimulatedNsm({ ca, pcrs: { 0: buildA, 1: sha384('runtime'), 2: sha384('lock') }, moduleId: 'i-dev0000000000000000-enc0000000000000000' });
    const plain = createEnclaveRuntime({ nsm, kms, kmsKeyId: keyId, chainId, registry, pipelineVersion });
    await plain.handlers.boot({}, new Uint8Array(0));
    const jobId = keccak256(toHex('job 1'));
    expect(await fail(plain.handlers['job.status']({ jobId }, new Uint8Array(0)))).to.equal('ENCLAVE_JOBS_DISABLED');

    const source: PolicySource = {
      policy: async (id) => { throw new JobPolicyUnknownError(id); },
      escrow: async () => { throw new Error('not reached'); },
      revoked: async () => new Set(),
    };
    const jobs = { source, escrow: { chainId, contract: registry } } as const;
    expect(() => createEnclaveRuntime({ nsm, kms, kmsKeyId: keyId, chainId, registry, pipelineVersion, jobs })).to.throw(TypeError);
    const runtime = createEnclaveRuntime({ nsm, kms, kmsKeyId: keyId, chainId, registry, pipelineVersion, jobs, audit: { domain: auditDomain(chainId), signEvery: 4 } });
    expect(await fail(runtime.handlers['job.status']({ jobId }, new Uint8Array(0)))).to.equal('ENCLAVE_NOT_BOOTED');
    await runtime.handlers.boot({}, new Uint8Array(0));
    const submission = { jobId, policyId: '7', buyer: privateKeyToAccount(generatePrivateKey()).address, kind: 'aggregates', model: '', buyerKey: keccak256('0x01'), deadline: String(Math.floor(Date.now() / 1000) + 600) };
    const attach = (json: unknown) => new TextEncoder().encode(JSON.stringify(json));
    expect(await fail(runtime.handlers['job.submit']({}, attach(submission)))).to.equal('JOB_POLICY_UNKNOWN');
    expect(await fail(runtime.handlers['job.submit']({}, attach([1, 2])))).to.equal('CHANNEL_MESSAGE_INVALID');
    expect(await fail(runtime.handlers['job.submit']({}, new Uint8Array([0xff, 0xfe])))).to.equal('CHANNEL_MESSAGE_INVALID');
    expect(await fail(runtime.handlers['job.submit']({}, attach({ ...submission, kind: 'weights' })))).to.equal('JOB_INVALID_PARAMETER');
    expect(await fail(runtime.handlers['job.status']({ jobId }, new Uint8Array(0)))).to.equal('JOB_INVALID_PARAMETER');
  });

  it('catalogues a scored file with its cached features, so a paid job selects it and pays its contributor', async () => {
    await sodium.ready;
    const nsm = createSimulatedNsm({ ca, pcrs: { 0: buildA, 1: sha384('runtime'), 2: sha384('lock') }, moduleId: 'i-dev0000000000000000-enc0000000000000000' });
    // Features only for audio of 1000 bytes or more: a shorter file has no log-mel and stays out of the catalogue.
    const featureScorer: ContributionScorer = {
      async score(opened) {
        const frames = 10;
        const data = Float32Array.from({ length: frames * 80 }, (_, i) => Math.sin(i + opened.audio.length));
        return { ...(await lengthScorer.score(opened)), durationSec: opened.audio.length / 32_000, ...(opened.audio.length >= 1000 ? { features: { nMels: 80, frames, data } } : {}) };
      },
    };
    const model = buildSoftmaxGradientModel({ features: 80, classes: 2 });
    const P = parameterCount({ features: 80, classes: 2 });
    const buyerAccount = privateKeyToAccount(generatePrivateKey());
    const buyer = buyerAccount.address;
    const signer = createBuyerSigner({ account: buyerAccount, chainId, jobEscrow: registry });
    const policy = {
      id: 1n, createdAt: 0n, retired: false, buyer, jobKinds: 2, modelHashes: [sha256(model)], minScore: 0, languages: ['en', 'de'],
      termsHash: keccak256(toHex('CC-BY-4.0')), epsilon: 100_000_000n, delta: 10n ** 13n, price: 10n ** 18n, expiry: 10n ** 12n,
    };
    const source: PolicySource = {
      policy: async () => policy,
      escrow: async (_jobId, policyId) => ({ paused: false, status: 'paid', buyer, policyId, price: policy.price, policyEpsilonSpent: 0n }),
      revoked: async () => new Set(),
    };
    const runtime = createEnclaveRuntime({
      nsm, kms, kmsKeyId: keyId, chainId, registry, pipelineVersion, scorer: featureScorer,
      jobs: { source, escrow: { chainId, contract: registry } }, audit: { domain: auditDomain(chainId), signEvery: 4 },
    });
    const server = createChannelServer({ handlers: runtime.handlers });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    servers.push(server);
    const client = await connectChannel({ port: (server.address() as AddressInfo).port });
    const { body } = await client.request('boot', {});
    const long = await contribute(hexToBytes(body.datasetKey), new Uint8Array(20_000).fill(7));
    const short = await contribute(hexToBytes(body.datasetKey), new Uint8Array(500).fill(9));
    await upload(client, long.header, long.ciphertext);
    await upload(client, short.header, short.ciphertext);

    const keys = sodium.crypto_box_keypair();
    const jobId = keccak256(toHex('job with one file'));
    const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
    const params = { melBands: 80, classes: ['en', 'de'], parameters: P };
    const { deadline, signature } = await signer.submission({ jobId, policyId: 1n, buyer, kind: 'gradients', model, buyerKey: keys.publicKey, params });
    const submission = { jobId, policyId: '1', buyer, kind: 'gradients', model: Buffer.from(model).toString('base64'), buyerKey: toHex(keys.publicKey), params, deadline: deadline.toString(), signature };
    const submitted = await client.request('job.submit', {}, json(submission));
    expect(submitted.body).to.deep.include({ jobId, kind: 'gradients', status: 'running', files: 1, steps: 0 });
    // The start is sealed at once, its audit entry beside the root that covers it.
    expect(submitted.body.state!.bytes).to.equal(submitted.binary.length);
    expect(decodeStateBundle(submitted.binary).audit!.entries.map((e) => AUDIT_KINDS[e.kind])).to.deep.equal(['job-start']);
    const parameters = Buffer.from(new Float32Array(P).buffer).toString('base64');
    const signed = await signer.step(jobId, 0, { parameters: new Float32Array(P), sampleRate: 1, noiseMultiplier: 1, clipNorm: 1 });
    const step = await client.request('job.step', { jobId }, json({ index: 0, parameters, sampleRate: 1, noiseMultiplier: 1, clipNorm: 1, deadline: signed.deadline.toString(), signature: signed.signature }));
    // The attachment is the sealed state recording the spend, then the sealed result.
    expect(step.body.state).to.not.equal(undefined);
    const result = step.binary.subarray(step.body.state!.bytes);
    const release = JSON.parse(new TextDecoder().decode(sodium.crypto_box_seal_open(result, keys.publicKey, keys.privateKey))) as { noisySum: number[] };
    expect(release.noisySum).to.have.length(P);
    expect((await client.request('job.status', { jobId })).body.steps).to.equal(1);
    const finish = await signer.finish(jobId, 1);
    const finishReply = await client.request('job.finish', { jobId }, json({ steps: 1, deadline: finish.deadline.toString(), signature: finish.signature }));
    // The receipt's entry is sealed too: the state first, the enclave's answer after it.
    const finishState = decodeStateBundle(finishReply.binary.subarray(0, finishReply.body.state!.bytes));
    expect(finishState.audit!.entries.map((e) => AUDIT_KINDS[e.kind])).to.deep.equal(['receipt']);
    const finished = JSON.parse(new TextDecoder().decode(finishReply.binary.subarray(finishReply.body.state!.bytes))) as { receipt: { filesUsed: number }; shares: { account: string; amount: string }[] };
    expect(finished.receipt.filesUsed).to.equal(1);
    expect(finished.shares).to.deep.equal([{ account: long.header.contributor, amount: (10n ** 18n).toString() }]);
    client.close();
  });

  it('restores the privacy ledger from the sealed state: after a restart only the remaining budget can be spent', async () => {
    await sodium.ready;
    const nsm = () => createSimulatedNsm({ ca, pcrs: { 0: buildA, 1: sha384('runtime'), 2: sha384('lock') }, moduleId: 'i-dev0000000000000000-enc0000000000000000' });
    const featureScorer: ContributionScorer = {
      async score(opened) {
        const frames = 10;
        const data = Float32Array.from({ length: frames * 80 }, (_, i) => Math.cos(i + opened.audio.length));
        return { ...(await lengthScorer.score(opened)), durationSec: 1, features: { nMels: 80, frames, data } };
      },
    };
    const model = buildSoftmaxGradientModel({ features: 80, classes: 2 });
    const P = parameterCount({ features: 80, classes: 2 });
    const buyerAccount = privateKeyToAccount(generatePrivateKey());
    const buyer = buyerAccount.address;
    const signer = createBuyerSigner({ account: buyerAccount, chainId, jobEscrow: registry });
    const dp = { sampleRate: 1, noiseMultiplier: 1, delta: 1e-5 };
    // A budget between two and three steps: one spent before the restart leaves exactly one.
    const budget = (epsilonFor({ ...dp, steps: 2 }).epsilon + epsilonFor({ ...dp, steps: 3 }).epsilon) / 2;
    const policy = {
      id: 3n, createdAt: 0n, retired: false, buyer, jobKinds: 2, modelHashes: [sha256(model)], minScore: 0, languages: ['en', 'de'],
      termsHash: keccak256(toHex('CC-BY-4.0')), epsilon: BigInt(Math.floor(budget * POLICY_EPSILON_SCALE)), delta: 10n ** 13n, price: 10n ** 18n, expiry: 10n ** 12n,
    };
    const source: PolicySource = {
      policy: async () => policy,
      escrow: async (_jobId, policyId) => ({ paused: false, status: 'paid', buyer, policyId, price: policy.price, policyEpsilonSpent: 0n }),
      revoked: async () => new Set(),
    };
    const boot = () => createEnclaveRuntime({
      nsm: nsm(), kms, kmsKeyId: keyId, chainId, registry, pipelineVersion, scorer: featureScorer,
      jobs: { source, escrow: { chainId, contract: registry } }, audit: { domain: auditDomain(chainId), signEvery: 4 },
    });
    const keys = sodium.crypto_box_keypair();
    const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
    const parameters = Buffer.from(new Float32Array(P).buffer).toString('base64');
    const stepBody = async (jobId: Hex, index: number) => {
      const { deadline, signature } = await signer.step(jobId, index, { parameters: new Float32Array(P), sampleRate: dp.sampleRate, noiseMultiplier: dp.noiseMultiplier, clipNorm: 1 });
      return json({ index, parameters, sampleRate: dp.sampleRate, noiseMultiplier: dp.noiseMultiplier, clipNorm: 1, deadline: deadline.toString(), signature });
    };
    // What the host keeps of the state: each reply's segments and root.
    const kept = new MemoryStateKeeper();
    const runJob = async (runtime: ReturnType<typeof boot>, datasetKey: Hex, name: string) => {
      const file = await contribute(hexToBytes(datasetKey), new Uint8Array(4000 + name.length).fill(3));
      const session = (await runtime.handlers['contribution.begin']({ header: envelopeHeaderToJson(file.header) }, new Uint8Array(0))).body.session;
      await runtime.handlers['contribution.chunk']({ session }, file.ciphertext);
      const finished = await runtime.handlers['contribution.finish']({ session }, new Uint8Array(0));
      kept.keep(finished.binary!.slice(0, finished.body.state!.bytes));
      const jobId = keccak256(toHex(name));
      const params = { melBands: 80, classes: ['en', 'de'], parameters: P };
      const { deadline, signature } = await signer.submission({ jobId, policyId: 3n, buyer, kind: 'gradients', model, buyerKey: keys.publicKey, params });
      const submission = { jobId, policyId: '3', buyer, kind: 'gradients', model: Buffer.from(model).toString('base64'), buyerKey: toHex(keys.publicKey), params, deadline: deadline.toString(), signature };
      await runtime.handlers['job.submit']({}, json(submission));
      return jobId;
    };

    const first = boot();
    const genesis = await first.handlers.boot({}, new Uint8Array(0));
    const jobA = await runJob(first, genesis.body.datasetKey, 'job before restart');
    const spent = await first.handlers['job.step']({ jobId: jobA }, await stepBody(jobA, 0));
    expect(spent.body.epsilonSpent).to.be.closeTo(epsilonFor({ ...dp, steps: 1 }).epsilon, 1e-9);
    kept.keep(spent.binary!.slice(0, spent.body.state!.bytes));

    // A restart with the state the step returned: one step left, the next one refused.
    const second = boot();
    await second.handlers.boot({ sealed: genesis.body.sealed }, kept.bootBundle());
    const jobB = await runJob(second, genesis.body.datasetKey, 'job after restart');
    await second.handlers['job.step']({ jobId: jobB }, await stepBody(jobB, 0));
    expect(await fail(second.handlers['job.step']({ jobId: jobB }, await stepBody(jobB, 1)))).to.equal('PRIVACY_BUDGET_EXCEEDED');

    // Control: the same restart from the state before the spend would have allowed two more steps.
    const third = boot();
    await third.handlers.boot({ sealed: genesis.body.sealed }, genesis.binary!);
    const jobC = await runJob(third, genesis.body.datasetKey, 'job from the older state');
    await third.handlers['job.step']({ jobId: jobC }, await stepBody(jobC, 0));
    await third.handlers['job.step']({ jobId: jobC }, await stepBody(jobC, 1));
    expect(await fail(third.handlers['job.step']({ jobId: jobC }, await stepBody(jobC, 2)))).to.equal('PRIVACY_BUDGET_EXCEEDED');
  });
});
