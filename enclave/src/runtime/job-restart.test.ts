import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo, Server } from 'node:net';
import { KMSClient } from '@aws-sdk/client-kms';
import sodium from 'libsodium-wrappers';
import { hexToBytes, keccak256, sha256, toHex, type Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { auditDomain } from '@audata/verifier/audit';
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

  it('refuses a captured submission and step replayed after a restart (JOB_INTERRUPTED), and a legitimate continuation too; a new job runs', async () => {
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

    // What the host keeps of the state bundles the replies carry.
    const kept = new MemoryStateKeeper();
    const first = boot();
    const genesis = await first.handlers.boot({}, new Uint8Array(0));
    kept.keep(genesis.binary!);
    const parts: Uint8Array[] = [];
    const header = await sealContribution({
      audio: [new Uint8Array(6000).fill(5)], write: (c) => void parts.push(c.slice()), datasetKey: hexToBytes(genesis.body.datasetKey), account: privateKeyToAccount(generatePrivateKey()),
      chainId, registry, termsHash: keccak256(toHex('CC-BY-4.0')), language: 'en', chunkLog2: 12,
    });
    const session = (await first.handlers['contribution.begin']({ header: envelopeHeaderToJson(header) }, new Uint8Array(0))).body.session;
    await first.handlers['contribution.chunk']({ session }, Buffer.concat(parts));
    const finished = await first.handlers['contribution.finish']({ session }, new Uint8Array(0));
    const beforeJob = finished.binary!.slice(0, finished.body.state!.bytes);
    kept.keep(beforeJob);

    const job = await submission('a job interrupted by a restart');
    await first.handlers['job.submit']({}, job.body);
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
});
