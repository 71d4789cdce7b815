import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo, Server } from 'node:net';
import { KMSClient } from '@aws-sdk/client-kms';
import sodium from 'libsodium-wrappers';
import { hexToBytes, keccak256, sha256, toHex, type Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { auditDomain, hashAuditEntry, verifyAuditLog } from '@audata/verifier/audit';
import { createDevCa } from '@audata/verifier/dev';
import { envelopeHeaderToJson, type SealedDatasetKeyJson } from '@audata/wire';
import { sealContribution } from '../../../client/src/envelope/seal.ts';
import { createBuyerSigner } from '../../../client/src/jobs/sign.ts';
import { MemoryFeatureBackend } from '../feature-store/feature-store.ts';
import { MemoryStateKeeper } from '../state/memory-keeper.ts';
import { createDevKmsServer } from '../kms/dev-kms-server.ts';
import { createSimulatedNsm } from '../nsm/simulated-nsm.ts';
import type { PolicySource } from '../jobs/policy-source.ts';
import { buildSoftmaxGradientModel, parameterCount } from '../jobs/softmax-classifier.ts';
import { createEnclaveRuntime, type ContributionScorer } from './enclave-runtime.ts';

const sha384 = (text: string) => new Uint8Array(createHash('sha384').update(text).digest());
const keyId = 'arn:aws:kms:us-east-1:000000000000:key/00000000-0000-4000-8000-000000000007';
const chainId = 31337;
const registry = '0x5FbDB2315678afecb367f032d93F642f64180aa3';
const fail = (p: Promise<unknown>) => p.then(() => 'none', (e: { code?: string }) => e.code);
const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const scorer: ContributionScorer = {
  async score(opened) {
    const frames = 10;
    const data = Float32Array.from({ length: frames * 80 }, (_, i) => Math.sin(i + opened.audio.length));
    return { valid: true, score: 9000, authenticity: 9000, ownership: 10_000, quality: 9000, uniqueness: 10_000, detailsHash: keccak256(opened.audio), durationSec: 1, features: { nMels: 80, frames, data } };
  },
};

describe('job requests across an enclave restart (sealed job records)', function () {
  this.timeout(60_000);
  const ca = createDevCa({ now: new Date() });
  const build = sha384('job restart bundle');
  let kmsServer: Server;
  let kms: KMSClient;
  before(async () => {
    await sodium.ready;
    kmsServer = createDevKmsServer({ keyId, masterKey: new Uint8Array(randomBytes(32)), policy: { imageSha384: [Buffer.from(build).toString('hex')] }, attestationRoot: ca.rootDer });
    kmsServer.listen(0, '127.0.0.1');
    await once(kmsServer, 'listening');
    kms = new KMSClient({ region: 'us-east-1', endpoint: `http://127.0.0.1:${(kmsServer.address() as AddressInfo).port}`, credentials: { accessKeyId: 'dev', secretAccessKey: 'dev' }, maxAttempts: 1 });
  });
  after(() => kmsServer.close());

  /** A buyer with a paid policy, runtimes over one feature backend, and the buyer's signed requests. */
  const setup = () => {
    const model = buildSoftmaxGradientModel({ features: 80, classes: 2 });
    const P = parameterCount({ features: 80, classes: 2 });
    const buyer = privateKeyToAccount(generatePrivateKey());
    const signer = createBuyerSigner({ account: buyer, chainId, jobEscrow: registry });
    const policy = {
      id: 4n, createdAt: 0n, retired: false, buyer: buyer.address, jobKinds: 2, modelHashes: [sha256(model)], minScore: 0, languages: ['en'],
      termsHash: keccak256(toHex('CC-BY-4.0')), epsilon: 100_000_000n, delta: 10n ** 13n, price: 10n ** 18n, expiry: 10n ** 12n,
    };
    const source: PolicySource = {
      policy: async () => policy,
      escrow: async (_jobId, policyId) => ({ paused: false, status: 'paid', buyer: buyer.address, policyId, price: policy.price, policyEpsilonSpent: 0n }),
      revoked: async () => new Set(),
    };
    // The feature entries outlive a boot (as on a host-kept or durable backend), so the catalogue is rebuilt.
    const backend = new MemoryFeatureBackend();
    const boot = () => createEnclaveRuntime({
      nsm: createSimulatedNsm({ ca, pcrs: { 0: build, 1: sha384('runtime'), 2: sha384('lock') }, moduleId: 'i-dev0000000000000000-enc0000000000000000' }),
      kms, kmsKeyId: keyId, chainId, registry, pipelineVersion: keccak256(toHex('p')), scorer,
      jobs: { source, escrow: { chainId, contract: registry }, featureBackend: backend }, audit: { domain: auditDomain(chainId), signEvery: 8 },
    });
    const keys = sodium.crypto_box_keypair();
    const submission = async (name: string) => {
      const jobId = keccak256(toHex(name));
      const params = { melBands: 80, classes: ['en', 'de'], parameters: P };
      const { deadline, signature } = await signer.submission({ jobId, policyId: 4n, buyer: buyer.address, kind: 'gradients', model, buyerKey: keys.publicKey, params });
      return { jobId, body: json({ jobId, policyId: '4', buyer: buyer.address, kind: 'gradients', model: Buffer.from(model).toString('base64'), buyerKey: toHex(keys.publicKey), params, deadline: deadline.toString(), signature }) };
    };
    const stepBody = async (jobId: Hex, index: number) => {
      const step = { parameters: new Float32Array(P), sampleRate: 1, noiseMultiplier: 2, clipNorm: 1 };
      const { deadline, signature } = await signer.step(jobId, index, step);
      return json({ index, parameters: Buffer.from(step.parameters.buffer).toString('base64'), sampleRate: 1, noiseMultiplier: 2, clipNorm: 1, deadline: deadline.toString(), signature });
    };
    const finishBody = async (jobId: Hex, steps: number) => {
      const { deadline, signature } = await signer.finish(jobId, steps);
      return json({ steps, deadline: deadline.toString(), signature });
    };
    return { boot, submission, stepBody, finishBody };
  };

  /** One scored file: the finish reply (its state first in the attachment). */
  const contribute = async (runtime: ReturnType<typeof createEnclaveRuntime>, datasetKey: Hex) => {
    const parts: Uint8Array[] = [];
    const header = await sealContribution({
      audio: [new Uint8Array(6000).fill(5)], write: (c) => void parts.push(c.slice()), datasetKey: hexToBytes(datasetKey), account: privateKeyToAccount(generatePrivateKey()),
      chainId, registry, termsHash: keccak256(toHex('CC-BY-4.0')), language: 'en', chunkLog2: 12,
    });
    const session = (await runtime.handlers['contribution.begin']({ header: envelopeHeaderToJson(header) }, new Uint8Array(0))).body.session;
    await runtime.handlers['contribution.chunk']({ session }, Buffer.concat(parts));
    return runtime.handlers['contribution.finish']({ session }, new Uint8Array(0));
  };

  it('refuses a captured submission and step replayed after a restart (JOB_INTERRUPTED), and a legitimate continuation too; a new job runs', async () => {
    const { boot, submission, stepBody } = setup();
    // What the host keeps of the state bundles the replies carry.
    const kept = new MemoryStateKeeper();
    const first = boot();
    const genesis = await first.handlers.boot({}, new Uint8Array(0));
    kept.keep(genesis.binary!);
    const finished = await contribute(first, genesis.body.datasetKey);
    const beforeJob = finished.binary!.slice(0, finished.body.state!.bytes);
    kept.keep(beforeJob);

    const job = await submission('a job interrupted by a restart');
    // Kept too: the start is sealed with the submit reply, so even a restart before the first step refuses a replay.
    kept.keep((await first.handlers['job.submit']({}, job.body)).binary!);
    const steps = [await stepBody(job.jobId, 0), await stepBody(job.jobId, 1)];
    for (const step of steps) {
      const reply = await first.handlers['job.step']({ jobId: job.jobId }, step);
      kept.keep(reply.binary!.slice(0, reply.body.state!.bytes));
    }

    // Restarted from the state the last step returned: the captured requests are refused.
    const second = boot();
    await second.handlers.boot({ sealed: genesis.body.sealed as SealedDatasetKeyJson }, kept.bootBundle());
    expect(await fail(second.handlers['job.submit']({}, job.body))).to.equal('JOB_INTERRUPTED');
    expect(await fail(second.handlers['job.step']({ jobId: job.jobId }, steps[1]!))).to.equal('JOB_INTERRUPTED');
    // The buyer's own next step is told to submit a new job rather than resumed (job-engine.ts, refuseStartedBefore).
    expect(await fail(second.handlers['job.step']({ jobId: job.jobId }, await stepBody(job.jobId, 2)))).to.equal('JOB_INTERRUPTED');
    expect(await fail(second.handlers['job.status']({ jobId: job.jobId }, new Uint8Array(0)))).to.equal('JOB_INTERRUPTED');
    const next = await submission('the buyer\'s new job');
    expect((await second.handlers['job.submit']({}, next.body)).body).to.include({ status: 'running', files: 1 });
    const release = await second.handlers['job.step']({ jobId: next.jobId }, await stepBody(next.jobId, 0));
    expect(release.body.epsilonSpent).to.be.greaterThan(0);

    // Control: from the state before the job was submitted, the same submission starts it.
    const third = boot();
    await third.handlers.boot({ sealed: genesis.body.sealed as SealedDatasetKeyJson }, kept.bootBundle(beforeJob));
    expect((await third.handlers['job.submit']({}, job.body)).body).to.include({ status: 'running', files: 1 });
  });

  it('seals a job\'s start and its receipt with their audit entries: a restart after job.finish continues the log at the next seq, and the kept log replays clean', async () => {
    const { boot, submission, stepBody, finishBody } = setup();
    const kept = new MemoryStateKeeper();
    const first = boot();
    const genesis = await first.handlers.boot({}, new Uint8Array(0));
    kept.keep(genesis.binary!);
    const finished = await contribute(first, genesis.body.datasetKey);
    kept.keep(finished.binary!.slice(0, finished.body.state!.bytes));
    const job = await submission('a job whose receipt is sealed');
    const submitted = await first.handlers['job.submit']({}, job.body);
    expect(submitted.body.state!.bytes).to.equal(submitted.binary!.length);
    kept.keep(submitted.binary!);
    const step = await first.handlers['job.step']({ jobId: job.jobId }, await stepBody(job.jobId, 0));
    kept.keep(step.binary!.slice(0, step.body.state!.bytes));
    const done = await first.handlers['job.finish']({ jobId: job.jobId }, await finishBody(job.jobId, 1));
    kept.keep(done.binary!.slice(0, done.body.state!.bytes));
    expect(JSON.parse(new TextDecoder().decode(done.binary!.subarray(done.body.state!.bytes)))).to.have.property('receipt');
    expect(kept.audit().entries.map((e) => e.kind)).to.deep.equal(['key-release', 'proof', 'job-start', 'release', 'receipt']);
    // The receipt is anchorable: the latest state's anchor names all five entries.
    const anchor = (await first.handlers['state.anchor']({ contract: registry }, new Uint8Array(0))).body.anchor;
    expect([anchor.auditEntries, anchor.auditHead]).to.deep.equal(['5', hashAuditEntry(kept.audit().entries[4]!)]);

    // Restarted from the state job.finish returned: the log goes on after the receipt, no seq reused.
    const second = boot();
    const restarted = await second.handlers.boot({ sealed: genesis.body.sealed as SealedDatasetKeyJson }, kept.bootBundle());
    kept.keep(restarted.binary!);
    const log = kept.audit();
    expect(log.entries.map((e) => [e.seq, e.kind])).to.deep.equal([[0, 'key-release'], [1, 'proof'], [2, 'job-start'], [3, 'release'], [4, 'receipt'], [5, 'key-release']]);
    const verdict = await verifyAuditLog(log, { signers: [first.signer, second.signer], domain: auditDomain(chainId), anchors: [{ seq: 4, head: hashAuditEntry(log.entries[4]!) }] });
    expect(verdict).to.include({ entries: 6, anchoredThrough: 4 });
  });
});
