import { MemoryStateKeeper } from '../state/memory-keeper.ts';
import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo, Server } from 'node:net';
import { KMSClient } from '@aws-sdk/client-kms';
import sodium from 'libsodium-wrappers';
import { bytesToHex, hexToBytes, keccak256, recoverTypedDataAddress, sha256, toHex, type Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { auditDomain, type AuditEntry } from '@audata/verifier/audit';
import { createDevCa } from '@audata/verifier/dev';
import { decodeStateBundle, envelopeHeaderToJson, proofTypes, registryDomain, type EnvelopeHeader, type SealedDatasetKeyJson } from '@audata/wire';
import { sealContribution } from '../../../client/src/envelope/seal.ts';
import { createDevKmsServer } from '../kms/dev-kms-server.ts';
import { createSimulatedNsm } from '../nsm/simulated-nsm.ts';
import { MemoryFeatureBackend } from '../feature-store/feature-store.ts';
import type { PolicySource } from '../jobs/policy-source.ts';
import { buildSoftmaxGradientModel, parameterCount } from '../jobs/softmax-classifier.ts';
import { createBuyerSigner } from '../../../client/src/jobs/sign.ts';
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
    // The re-issue added no file: its state is a new root over the same segment.
    const kept = new MemoryStateKeeper();
    kept.keep(finished.state);
    kept.keep(reissued.binary!);
    expect(decodeStateBundle(reissued.binary!).segments).to.have.length(0);
    const third = boot(countingScorer().scorer);
    await third.handlers.boot({ sealed: genesis.body.sealed as SealedDatasetKeyJson }, kept.bootBundle());
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

  /** A paid gradient policy over en and de, and a buyer who signs their requests. */
  function market() {
    const model = buildSoftmaxGradientModel({ features: 80, classes: 2 });
    const P = parameterCount({ features: 80, classes: 2 });
    const account = privateKeyToAccount(generatePrivateKey());
    const signer = createBuyerSigner({ account, chainId, jobEscrow: registry });
    const policy = {
      id: 1n, createdAt: 0n, retired: false, buyer: account.address, jobKinds: 2, modelHashes: [sha256(model)], minScore: 0, languages: ['en', 'de'],
      termsHash: keccak256(toHex('CC-BY-4.0')), epsilon: 100_000_000n, delta: 10n ** 13n, price: 10n ** 18n, expiry: 10n ** 12n,
    };
    const source: PolicySource = {
      policy: async () => policy,
      escrow: async (_jobId, policyId) => ({ paused: false, status: 'paid', buyer: account.address, policyId, price: policy.price, policyEpsilonSpent: 0n }),
      revoked: async () => new Set(),
    };
    const keys = sodium.crypto_box_keypair();
    const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
    const params = { melBands: 80, classes: ['en', 'de'], parameters: P };
    return {
      policy, source, keys,
      async submission(name: string) {
        const jobId = keccak256(toHex(name));
        const { deadline, signature } = await signer.submission({ jobId, policyId: 1n, buyer: account.address, kind: 'gradients', model, buyerKey: keys.publicKey, params });
        return { jobId, body: json({ jobId, policyId: '1', buyer: account.address, kind: 'gradients', model: Buffer.from(model).toString('base64'), buyerKey: toHex(keys.publicKey), params, deadline: deadline.toString(), signature }) };
      },
      async step(jobId: Hex, index: number) {
        const { deadline, signature } = await signer.step(jobId, index, { parameters: new Float32Array(P), sampleRate: 1, noiseMultiplier: 1, clipNorm: 1 });
        return json({ index, parameters: Buffer.from(new Float32Array(P).buffer).toString('base64'), sampleRate: 1, noiseMultiplier: 1, clipNorm: 1, deadline: deadline.toString(), signature });
      },
      async finish(jobId: Hex, steps: number) {
        const { deadline, signature } = await signer.finish(jobId, steps);
        return json({ steps, deadline: deadline.toString(), signature });
      },
      open(sealed: Uint8Array) {
        return JSON.parse(new TextDecoder().decode(sodium.crypto_box_seal_open(sealed, keys.publicKey, keys.privateKey))) as { noisySum: number[] };
      },
      P,
    };
  }

  it('rebuilds the job catalogue at boot from the records: a job after a restart selects the files scored before it', async () => {
    const m = market();
    // The encrypted feature entries outlive the enclave (a backend of its own); the catalogue must come from the state.
    const features = new MemoryFeatureBackend();
    const boot = () =>
      createEnclaveRuntime({
        nsm: nsm(), kms, kmsKeyId: keyId, chainId, registry, pipelineVersion, scorer: countingScorer().scorer,
        jobs: { source: m.source, escrow: { chainId, contract: registry }, featureBackend: features }, audit: { domain: auditDomain(chainId), signEvery: 4 },
      });
    const first = boot();
    const genesis = await first.handlers.boot({}, none);
    const en = await contribute(genesis.body.datasetKey, new Uint8Array(20_000).fill(7), 'en');
    const de = await contribute(genesis.body.datasetKey, new Uint8Array(16_000).fill(8), 'de');
    const short = await contribute(genesis.body.datasetKey, new Uint8Array(500).fill(9), 'en');
    const kept = new MemoryStateKeeper();
    for (const file of [en, de, short]) kept.keep((await upload(first, file)).state);

    // Control: restarted without the state, the enclave has nothing to offer.
    const forgetful = boot();
    await forgetful.handlers.boot({ sealed: genesis.body.sealed as SealedDatasetKeyJson }, none);
    expect(await fail(forgetful.handlers['job.submit']({}, (await m.submission('forgetful')).body))).to.equal('JOB_NO_FILES');

    const second = boot();
    await second.handlers.boot({ sealed: genesis.body.sealed as SealedDatasetKeyJson }, kept.bootBundle());
    const job = await m.submission('after restart');
    const submitted = await second.handlers['job.submit']({}, job.body);
    // The short file (no log-mel) stays out, as at scoring.
    expect(submitted.body).to.deep.include({ jobId: job.jobId, kind: 'gradients', status: 'running', files: 2, steps: 0 });
    const step = await second.handlers['job.step']({ jobId: job.jobId }, await m.step(job.jobId, 0));
    expect(m.open(step.binary!.subarray(step.body.state!.bytes)).noisySum).to.have.length(m.P);
    const finished = await second.handlers['job.finish']({ jobId: job.jobId }, await m.finish(job.jobId, 1));
    const answer = JSON.parse(new TextDecoder().decode(finished.binary!.subarray(finished.body.state!.bytes))) as { receipt: { filesUsed: number }; shares: { account: string; amount: string }[] };
    expect(answer.receipt.filesUsed).to.equal(2);
    expect(answer.shares.map((s) => s.account).sort()).to.deep.equal([en.header.contributor, de.header.contributor].sort());
    expect(answer.shares.reduce((sum, s) => sum + BigInt(s.amount), 0n)).to.equal(m.policy.price);
  });

  it('with host-kept features: each entry leaves with its finish reply, and a job after a restart runs on the entries the host supplies, refusing a missing, spoiled or swapped one', async () => {
    const m = market();
    const boot = () =>
      createEnclaveRuntime({
        nsm: nsm(), kms, kmsKeyId: keyId, chainId, registry, pipelineVersion, scorer: countingScorer().scorer,
        jobs: { source: m.source, escrow: { chainId, contract: registry }, featureBackend: 'host' }, audit: { domain: auditDomain(chainId), signEvery: 4 },
      });
    const first = boot();
    const genesis = await first.handlers.boot({}, none);
    const host = new Map<Hex, Uint8Array>();
    const files = [
      await contribute(genesis.body.datasetKey, new Uint8Array(20_000).fill(7), 'en'),
      await contribute(genesis.body.datasetKey, new Uint8Array(16_000).fill(8), 'de'),
      await contribute(genesis.body.datasetKey, new Uint8Array(500).fill(9), 'en'),
    ];
    const kept = new MemoryStateKeeper();
    for (const file of files) {
      const done = await upload(first, file);
      const stateBytes = done.body.state!.bytes;
      kept.keep(done.state.slice(0, stateBytes));
      if (done.body.features === undefined) {
        expect(done.state.length).to.equal(stateBytes);
        continue;
      }
      expect(done.state.length).to.equal(stateBytes + done.body.features.bytes);
      host.set(done.body.fileId.toLowerCase() as Hex, done.state.slice(stateBytes));
    }
    expect(host.size).to.equal(2);
    const [en, de] = [files[0]!.header.manifest.ciphertextSha256.toLowerCase() as Hex, files[1]!.header.manifest.ciphertextSha256.toLowerCase() as Hex];
    const supply = (entries: Array<[Hex, Uint8Array]>) => {
      const parts: number[] = [];
      for (const [id, entry] of entries) {
        const length = new Uint8Array(4);
        new DataView(length.buffer).setUint32(0, entry.length);
        parts.push(...hexToBytes(id), ...length, ...entry);
      }
      return new Uint8Array(parts);
    };

    const second = boot();
    await second.handlers.boot({ sealed: genesis.body.sealed as SealedDatasetKeyJson }, kept.bootBundle());
    const job = await m.submission('host features');
    const submitted = await second.handlers['job.submit']({}, job.body);
    expect(submitted.body.featuresNeeded).to.equal(2);
    const wanted = submitted.binary!;
    expect([bytesToHex(wanted.subarray(0, 32)), bytesToHex(wanted.subarray(32, 64))].sort()).to.deep.equal([en, de].sort());
    // Nothing supplied yet: the job is not started, so the buyer's submission stays good for later.
    expect(await fail(second.handlers['job.step']({ jobId: job.jobId }, await m.step(job.jobId, 0)))).to.equal('JOB_INVALID_PARAMETER');

    const spoiled = host.get(en)!.slice();
    spoiled[spoiled.length - 1]! ^= 1;
    expect(await fail(second.handlers['job.features']({ jobId: job.jobId }, supply([[en, spoiled]])))).to.equal('FEATURE_STORE_TAMPERED');
    expect(await fail(second.handlers['job.features']({ jobId: job.jobId }, supply([[en, host.get(de)!]])))).to.equal('FEATURE_STORE_TAMPERED');
    expect(await fail(second.handlers['job.features']({ jobId: job.jobId }, supply([[en, new Uint8Array(0)]])))).to.equal('FEATURE_STORE_TAMPERED');
    expect(await fail(second.handlers['job.features']({ jobId: job.jobId }, supply([[keccak256(toHex('not needed')), host.get(en)!]])))).to.equal('CHANNEL_MESSAGE_INVALID');
    expect(await fail(second.handlers['job.features']({ jobId: job.jobId }, supply([[en, host.get(en)!]]).subarray(0, 40)))).to.equal('CHANNEL_MESSAGE_INVALID');
    expect(await fail(second.handlers['job.features']({ jobId: keccak256(toHex('no such job')) }, supply([[en, host.get(en)!]])))).to.equal('CHANNEL_MESSAGE_INVALID');

    const half = await second.handlers['job.features']({ jobId: job.jobId }, supply([[en, host.get(en)!]]));
    expect(half.body).to.deep.equal({ accepted: 1, missing: 1 });
    // The same submission with one entry still missing: not started, only that one named.
    const again = await second.handlers['job.submit']({}, job.body);
    expect([again.body.featuresNeeded, bytesToHex(again.binary!)]).to.deep.equal([1, de]);
    // Waiting jobs are bounded: eight more push this one out (the entry they share stays), and its
    // supply is refused until the same submission comes again.
    for (let i = 0; i < 8; i++) expect((await second.handlers['job.submit']({}, (await m.submission(`waiting ${i}`)).body)).body.featuresNeeded).to.equal(1);
    expect(await fail(second.handlers['job.features']({ jobId: job.jobId }, supply([[de, host.get(de)!]])))).to.equal('CHANNEL_MESSAGE_INVALID');
    expect((await second.handlers['job.submit']({}, job.body)).body.featuresNeeded).to.equal(1);
    const all = await second.handlers['job.features']({ jobId: job.jobId }, supply([[de, host.get(de)!]]));
    expect(all.body).to.deep.equal({ accepted: 1, missing: 0 });
    const started = await second.handlers['job.submit']({}, job.body);
    expect(started.body).to.deep.include({ jobId: job.jobId, kind: 'gradients', status: 'running', files: 2, steps: 0 });
    const step = await second.handlers['job.step']({ jobId: job.jobId }, await m.step(job.jobId, 0));
    expect(m.open(step.binary!.subarray(step.body.state!.bytes)).noisySum).to.have.length(m.P);
    const finished = await second.handlers['job.finish']({ jobId: job.jobId }, await m.finish(job.jobId, 1));
    const answer = JSON.parse(new TextDecoder().decode(finished.binary!.subarray(finished.body.state!.bytes))) as { receipt: { filesUsed: number } };
    expect(answer.receipt.filesUsed).to.equal(2);
    // Finished: its entries are let go, and the job takes no more.
    expect(await fail(second.handlers['job.features']({ jobId: job.jobId }, supply([[en, host.get(en)!]])))).to.equal('CHANNEL_MESSAGE_INVALID');
  });

  it('with host-kept features, keeps a file whose entry could not travel in one frame out of jobs, and its proof as it was', async () => {
    const m = market();
    const warnings: string[] = [];
    // 27000 frames of 80 bands: an entry just over 8 MiB.
    const big: ContributionScorer = {
      async score(opened) {
        const frames = 27_000;
        return { valid: true, score: 5000, authenticity: 9000, ownership: 10_000, quality: 5000, uniqueness: 10_000, detailsHash: keccak256(opened.audio), durationSec: 270, features: { nMels: 80, frames, data: new Float32Array(frames * 80) } };
      },
    };
    const runtime = createEnclaveRuntime({
      nsm: nsm(), kms, kmsKeyId: keyId, chainId, registry, pipelineVersion, scorer: big, onWarning: (w) => warnings.push(w),
      jobs: { source: m.source, escrow: { chainId, contract: registry }, featureBackend: 'host' }, audit: { domain: auditDomain(chainId), signEvery: 4 },
    });
    const { body } = await runtime.handlers.boot({}, none);
    const done = await upload(runtime, await contribute(body.datasetKey, new Uint8Array(2000).fill(4)));
    expect(done.body.proof!.score).to.equal(5000);
    expect(done.body.features).to.equal(undefined);
    expect(done.state.length).to.equal(done.body.state!.bytes);
    expect(warnings.join('\n')).to.match(/FeatureStoreInputError.*stays out of jobs/);
    expect(await fail(runtime.handlers['job.submit']({}, (await m.submission('too big')).body))).to.equal('JOB_NO_FILES');
  });
});
