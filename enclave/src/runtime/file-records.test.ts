import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo, Server } from 'node:net';
import { KMSClient } from '@aws-sdk/client-kms';
import sodium from 'libsodium-wrappers';
import { hexToBytes, keccak256, recoverTypedDataAddress, sha256, toHex, type Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { auditDomain, type AuditEntry } from '@audata/verifier/audit';
import { createDevCa } from '@audata/verifier/dev';
import { envelopeHeaderToJson, proofTypes, registryDomain, type EnvelopeHeader, type SealedDatasetKeyJson } from '@audata/wire';
import { sealContribution } from '../../../client/src/envelope/seal.ts';
import { createDevKmsServer } from '../kms/dev-kms-server.ts';
import { createSimulatedNsm } from '../nsm/simulated-nsm.ts';
import { MemoryFeatureBackend } from '../feature-store/feature-store.ts';
import type { PolicySource } from '../jobs/policy-source.ts';
import { buildSoftmaxGradientModel, parameterCount } from '../jobs/softmax-classifier.ts';
import { createEnclaveRuntime, type ContributionScorer, type EnclaveRuntime } from './enclave-runtime.ts';

const sha384 = (text: string) => new Uint8Array(createHash('sha384').update(text).digest());
const keyId = 'arn:aws:kms:us-east-1:000000000000:key/00000000-0000-4000-8000-000000000003';
const chainId = 31337;
const registry = '0x5FbDB2315678afecb367f032d93F642f64180aa3';
const pipelineVersion = keccak256(toHex('records pipeline'));
const fail = (p: Promise<unknown>) => p.then(() => 'none', (e: { code?: string }) => e.code);
const none = new Uint8Array(0);

/** Counts its calls, so a test can show a re-issue scores nothing. Features for audio of 1000 bytes or more. */
function countingScorer() {
  const calls = { n: 0 };
  const scorer: ContributionScorer = {
    async score(opened) {
      calls.n += 1;
      const quality = Math.min(10_000, opened.audio.length);
      const frames = 10;
      const data = Float32Array.from({ length: frames * 80 }, (_, i) => Math.sin(i + opened.audio.length));
      return {
        valid: true, score: quality, authenticity: 9000, ownership: 10_000, quality, uniqueness: 10_000 - calls.n, detailsHash: keccak256(opened.audio),
        durationSec: opened.audio.length / 32_000, ...(opened.audio.length >= 1000 ? { features: { nMels: 80 as const, frames, data } } : {}),
      };
    },
  };
  return { scorer, calls };
}

describe('file records in the sealed state: a lost proof signed again, the job catalogue rebuilt at boot', function () {
  this.timeout(60_000);
  const ca = createDevCa({ now: new Date() });
  const build = sha384('records bundle');
  let kmsServer: Server;
  let kms: KMSClient;

  const nsm = () => createSimulatedNsm({ ca, pcrs: { 0: build, 1: sha384('runtime'), 2: sha384('lock') }, moduleId: 'i-dev0000000000000000-enc0000000000000000' });

  async function contribute(datasetKey: Hex, audio: Uint8Array, language = 'en') {
    const parts: Uint8Array[] = [];
    const header = await sealContribution({
      audio: [audio], write: (c) => void parts.push(c.slice()), datasetKey: hexToBytes(datasetKey), account: privateKeyToAccount(generatePrivateKey()),
      chainId, registry, termsHash: keccak256(toHex('CC-BY-4.0')), language, chunkLog2: 12,
    });
    return { header, ciphertext: Uint8Array.from(Buffer.concat(parts)) };
  }

  async function upload(runtime: EnclaveRuntime, file: { header: EnvelopeHeader; ciphertext: Uint8Array }) {
    const begun = await runtime.handlers['contribution.begin']({ header: envelopeHeaderToJson(file.header) }, none);
    await runtime.handlers['contribution.chunk']({ session: begun.body.session }, file.ciphertext);
    const done = await runtime.handlers['contribution.finish']({ session: begun.body.session }, none);
    return { body: done.body, state: done.binary!.slice() };
  }

  before(async () => {
    await sodium.ready;
    kmsServer = createDevKmsServer({ keyId, masterKey: new Uint8Array(randomBytes(32)), policy: { imageSha384: [Buffer.from(build).toString('hex')] }, attestationRoot: ca.rootDer });
    kmsServer.listen(0, '127.0.0.1');
    await once(kmsServer, 'listening');
    kms = new KMSClient({ region: 'us-east-1', endpoint: `http://127.0.0.1:${(kmsServer.address() as AddressInfo).port}`, credentials: { accessKeyId: 'dev', secretAccessKey: 'dev' }, maxAttempts: 1 });
  });
  after(() => kmsServer.close());

  it('signs the recorded result again after a restart, with this boot\'s key and a fresh deadline, without opening or scoring the file', async () => {
    let clock = Date.parse('2026-03-01T10:00:00Z');
    const entries: AuditEntry[] = [];
    const boot = (scorer: ContributionScorer) =>
      createEnclaveRuntime({
        nsm: nsm(), kms, kmsKeyId: keyId, chainId, registry, pipelineVersion, scorer, now: () => new Date(clock), proofTtlSeconds: 600,
        audit: { domain: auditDomain(chainId), signEvery: 4, onEntry: (e) => entries.push(e) },
      });
    const firstScorer = countingScorer();
    const first = boot(firstScorer.scorer);
    expect(await fail(first.handlers['contribution.reissue']({ header: {} as never }, none))).to.equal('ENCLAVE_NOT_BOOTED');
    const genesis = await first.handlers.boot({}, none);
    const file = await contribute(genesis.body.datasetKey, new Uint8Array(20_000).fill(5));
    const finished = await upload(first, file);
    const original = finished.body.proof!;

    // The host "crashed" before storing the proof; the enclave restarts from the state the finish reply carried.
    clock += 120_000;
    const secondScorer = countingScorer();
    const second = boot(secondScorer.scorer);
    const restarted = await second.handlers.boot({ sealed: genesis.body.sealed as SealedDatasetKeyJson }, finished.state);
    expect(await fail(second.handlers['contribution.begin']({ header: envelopeHeaderToJson(file.header) }, none))).to.equal('ENVELOPE_REPLAYED');
    const reissued = await second.handlers['contribution.reissue']({ header: envelopeHeaderToJson(file.header) }, none);
    expect(secondScorer.calls.n).to.equal(0);
    const { deadline, ...scores } = reissued.body.proof;
    const { deadline: firstDeadline, ...firstScores } = original;
    expect(scores).to.deep.equal(firstScores);
    expect(BigInt(deadline)).to.equal(BigInt(firstDeadline) + 120n);
    expect(reissued.body.fileId).to.equal(file.header.manifest.ciphertextSha256);
    expect(reissued.body.contributor).to.equal(file.header.contributor);
    const signer = await recoverTypedDataAddress({
      domain: registryDomain(chainId, registry), types: proofTypes, primaryType: 'ContributionProof', message: { ...reissued.body.proof, deadline: BigInt(deadline) }, signature: reissued.body.signature,
    });
    expect(signer).to.equal(restarted.body.signer);
    expect(signer).to.not.equal(genesis.body.signer);
    // Logged as its own kind, and the state it returns keeps the record (a second restart can re-issue too).
    expect(entries.map((e) => e.kind)).to.deep.equal(['key-release', 'proof', 'key-release', 'proof-reissue']);
    expect(Number(reissued.body.state.counter)).to.equal(Number(restarted.body.state!.counter) + 1);
    const third = boot(countingScorer().scorer);
    await third.handlers.boot({ sealed: genesis.body.sealed as SealedDatasetKeyJson }, reissued.binary!);
    expect((await third.handlers['contribution.reissue']({ header: envelopeHeaderToJson(file.header) }, none)).body.proof.score).to.equal(original.score);
  });

  it('refuses to re-issue for a manifest never finished, a forged header, or a file finished without a result', async () => {
    const runtime = createEnclaveRuntime({ nsm: nsm(), kms, kmsKeyId: keyId, chainId, registry, pipelineVersion, scorer: countingScorer().scorer });
    const { body } = await runtime.handlers.boot({}, none);
    const never = await contribute(body.datasetKey, new Uint8Array(3000).fill(1));
    expect(await fail(runtime.handlers['contribution.reissue']({ header: envelopeHeaderToJson(never.header) }, none))).to.equal('ENCLAVE_CONTRIBUTION_NOT_FINISHED');
    // Being opened is not finished either: the session still owns it.
    await runtime.handlers['contribution.begin']({ header: envelopeHeaderToJson(never.header) }, none);
    expect(await fail(runtime.handlers['contribution.reissue']({ header: envelopeHeaderToJson(never.header) }, none))).to.equal('ENCLAVE_CONTRIBUTION_NOT_FINISHED');
    const done = await contribute(body.datasetKey, new Uint8Array(3000).fill(2));
    await upload(runtime, done);
    const forged = { ...done.header, contributor: privateKeyToAccount(generatePrivateKey()).address };
    expect(await fail(runtime.handlers['contribution.reissue']({ header: envelopeHeaderToJson(forged) }, none))).to.equal('ENVELOPE_MANIFEST_SIGNATURE_INVALID');
    expect(await fail(runtime.handlers['contribution.reissue']({ header: { ...envelopeHeaderToJson(done.header), version: 9 } as never }, none))).to.equal('ENVELOPE_VERSION_UNSUPPORTED');
    expect(await fail(runtime.handlers['contribution.reissue']({ header: { ...envelopeHeaderToJson(done.header), signature: '0x12' } as never }, none))).to.equal('ENVELOPE_HEADER_INVALID');

    // An enclave without a scorer finishes files but records no result: nothing to sign again.
    const plain = createEnclaveRuntime({ nsm: nsm(), kms, kmsKeyId: keyId, chainId, registry, pipelineVersion });
    const plainBoot = await plain.handlers.boot({}, none);
    const opened = await contribute(plainBoot.body.datasetKey, new Uint8Array(3000).fill(3));
    const finished = await upload(plain, opened);
    expect(finished.body.proof).to.equal(undefined);
    expect(await fail(plain.handlers['contribution.reissue']({ header: envelopeHeaderToJson(opened.header) }, none))).to.equal('ENCLAVE_RESULT_NOT_RECORDED');
  });

  it('rebuilds the job catalogue at boot from the records: a job after a restart selects the files scored before it', async () => {
    const model = buildSoftmaxGradientModel({ features: 80, classes: 2 });
    const P = parameterCount({ features: 80, classes: 2 });
    const buyer = privateKeyToAccount(generatePrivateKey()).address;
    const policy = {
      id: 1n, createdAt: 0n, retired: false, buyer, jobKinds: 2, modelHashes: [sha256(model)], minScore: 0, languages: ['en', 'de'],
      termsHash: keccak256(toHex('CC-BY-4.0')), epsilon: 100_000_000n, delta: 10n ** 13n, price: 10n ** 18n, expiry: 10n ** 12n,
    };
    const source: PolicySource = {
      policy: async () => policy,
      escrow: async (_jobId, policyId) => ({ paused: false, status: 'paid', buyer, policyId, price: policy.price, policyEpsilonSpent: 0n }),
      revoked: async () => new Set(),
    };
    // The encrypted feature entries outlive the enclave (the host keeps them); the catalogue must come from the state.
    const features = new MemoryFeatureBackend();
    const boot = () =>
      createEnclaveRuntime({
        nsm: nsm(), kms, kmsKeyId: keyId, chainId, registry, pipelineVersion, scorer: countingScorer().scorer,
        jobs: { source, escrow: { chainId, contract: registry }, featureBackend: features }, audit: { domain: auditDomain(chainId), signEvery: 4 },
      });
    const first = boot();
    const genesis = await first.handlers.boot({}, none);
    const en = await contribute(genesis.body.datasetKey, new Uint8Array(20_000).fill(7), 'en');
    const de = await contribute(genesis.body.datasetKey, new Uint8Array(16_000).fill(8), 'de');
    const short = await contribute(genesis.body.datasetKey, new Uint8Array(500).fill(9), 'en');
    await upload(first, en);
    await upload(first, de);
    const last = await upload(first, short);

    const keys = sodium.crypto_box_keypair();
    const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
    const submission = (name: string) => ({
      jobId: keccak256(toHex(name)), policyId: '1', buyer, kind: 'gradients', model: Buffer.from(model).toString('base64'), buyerKey: toHex(keys.publicKey),
      params: { melBands: 80, classes: ['en', 'de'], parameters: P },
    });

    // Control: restarted without the state, the enclave has nothing to offer.
    const forgetful = boot();
    await forgetful.handlers.boot({ sealed: genesis.body.sealed as SealedDatasetKeyJson }, none);
    expect(await fail(forgetful.handlers['job.submit']({}, json(submission('forgetful'))))).to.equal('JOB_NO_FILES');

    const second = boot();
    await second.handlers.boot({ sealed: genesis.body.sealed as SealedDatasetKeyJson }, last.state);
    const job = submission('after restart');
    const submitted = await second.handlers['job.submit']({}, json(job));
    // The short file (no log-mel) stays out, as at scoring.
    expect(submitted.body).to.deep.equal({ jobId: job.jobId, kind: 'gradients', status: 'running', files: 2, steps: 0 });
    const parameters = Buffer.from(new Float32Array(P).buffer).toString('base64');
    const step = await second.handlers['job.step']({ jobId: job.jobId }, json({ parameters, sampleRate: 1, noiseMultiplier: 1, clipNorm: 1 }));
    const release = JSON.parse(new TextDecoder().decode(sodium.crypto_box_seal_open(step.binary!.subarray(step.body.state!.bytes), keys.publicKey, keys.privateKey))) as { noisySum: number[] };
    expect(release.noisySum).to.have.length(P);
    const answer = JSON.parse(new TextDecoder().decode((await second.handlers['job.finish']({ jobId: job.jobId }, none)).binary)) as { receipt: { filesUsed: number }; shares: { account: string; amount: string }[] };
    expect(answer.receipt.filesUsed).to.equal(2);
    // Shares follow the recorded scores (20000 and 16000 bytes capped at 10000 each: an even split).
    expect(answer.shares.map((s) => s.account).sort()).to.deep.equal([en.header.contributor, de.header.contributor].sort());
    expect(answer.shares.reduce((sum, s) => sum + BigInt(s.amount), 0n)).to.equal(policy.price);
  });
});
