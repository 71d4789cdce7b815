import { expect } from 'chai';
import sodium from 'libsodium-wrappers';
import { keccak256, sha256, toHex, type Address, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { AuditLog } from '../audit/log.ts';
import { MemoryLedgerStorage } from '../privacy/ledger.ts';
import { createEnclaveSigner } from '../signing/enclave-signer.ts';
import { auditDomain } from '@audata/verifier/audit';
import { buildMeanPoolEmbeddingModel } from './features-job.ts';
import { JobEngine, type JobSubmission } from './job-engine.ts';
import type { EscrowState, Policy } from './policy.ts';
import type { PolicySource } from './policy-source.ts';
import { chacha20Random, RandomStream } from './random.ts';
import type { CatalogueFile } from './selection.ts';
import { buildSoftmaxGradientModel, parameterCount } from './softmax-classifier.ts';

const buyer: Address = '0x00000000000000000000000000000000000000b1';
const alice: Address = '0x00000000000000000000000000000000000000A1';
const bob: Address = '0x00000000000000000000000000000000000000b2';
const terms: Hex = keccak256(toHex('terms'));
const MELS = 80;

const file = (n: number, contributor: Address, language: string, score = 8_000): CatalogueFile => ({
  fileId: keccak256(toHex(`file ${n}`)),
  contributor,
  valid: true,
  score,
  language,
  termsHash: terms,
  durationSec: 3,
});

class FakeSource implements PolicySource {
  revokedIds = new Set<Hex>();
  constructor(
    public policyValue: Policy,
    public escrowValue: EscrowState,
  ) {}
  async policy(): Promise<Policy> {
    return this.policyValue;
  }
  async escrow(): Promise<EscrowState> {
    return this.escrowValue;
  }
  async revoked(ids: readonly Hex[]): Promise<Set<Hex>> {
    return new Set(ids.filter((id) => this.revokedIds.has(id)));
  }
}

async function code(action: () => Promise<unknown>): Promise<string> {
  try {
    await action();
  } catch (error) {
    return (error as { code: string }).code;
  }
  return 'OK';
}

describe('JobEngine (fake chain)', function () {
  this.timeout(60_000);
  const projection = Float32Array.from({ length: MELS * 3 }, (_, i) => ((i * 5) % 13) / 13 - 0.5);
  const featuresModel = buildMeanPoolEmbeddingModel({ melBands: MELS, embedding: 3 }, projection);
  const gradientModel = buildSoftmaxGradientModel({ features: MELS, classes: 2 });
  const aggregatesSpec = new TextEncoder().encode(
    JSON.stringify({ epsilon: 1, delta: 0, mechanism: 'laplace', maxFilesPerContributor: 2, maxDurationSec: 10, scoreEdges: [0, 0.5, 1], languages: ['en'] }),
  );
  const catalogue = [file(1, alice, 'en'), file(2, bob, 'pt-BR', 6_000), file(3, alice, 'en'), file(4, bob, 'de'), file(5, alice, 'en', 1_000)];

  function setup(kindsMask = 7) {
    const policy: Policy = {
      id: 1n,
      buyer,
      jobKinds: kindsMask,
      modelHashes: [sha256(featuresModel), sha256(gradientModel), sha256(aggregatesSpec)],
      minScore: 5_000,
      languages: ['en', 'pt-BR'],
      termsHash: terms,
      epsilon: 2_000_000n,
      delta: 10n ** 13n,
      price: 1_000n,
      expiry: 10n ** 12n,
      createdAt: 1n,
      retired: false,
    };
    const source = new FakeSource(policy, { paused: false, status: 'paid', buyer, policyId: 1n, price: 1_000n, policyEpsilonSpent: 0n });
    const audit = new AuditLog({ signer: privateKeyToAccount(keccak256(toHex('audit'))), domain: auditDomain(1), signEvery: 100 });
    const storage = new MemoryLedgerStorage();
    const engine = new JobEngine({
      source,
      catalogue: () => catalogue,
      features: async (f) => ({ nMels: MELS, frames: 4, data: Float32Array.from({ length: 4 * MELS }, (_, i) => Math.sin(i + Number(BigInt(f.fileId) % 97n))) }),
      ledgerStorage: storage,
      signer: createEnclaveSigner(),
      escrow: { chainId: 1, contract: '0x00000000000000000000000000000000000000e5' },
      audit,
      random: new RandomStream(chacha20Random(new Uint8Array(32).fill(3))),
      now: () => 1_000n,
    });
    return { source, audit, engine, storage };
  }

  let keys: { publicKey: Uint8Array; privateKey: Uint8Array };
  before(async () => {
    await sodium.ready;
    keys = sodium.crypto_box_keypair();
  });
  const submission = (kind: JobSubmission['kind'], overrides: Partial<JobSubmission> = {}): JobSubmission => ({
    jobId: keccak256(toHex(`job ${kind}`)),
    policyId: 1n,
    buyer,
    kind,
    model: kind === 'features' ? featuresModel : kind === 'gradients' ? gradientModel : aggregatesSpec,
    buyerKey: keys.publicKey,
    params: kind === 'features' ? { melBands: MELS, embedding: 3 } : { melBands: MELS, classes: ['en', 'pt-BR'], parameters: parameterCount({ features: MELS, classes: 2 }) },
    ...overrides,
  });
  const open = (sealed: Uint8Array) => JSON.parse(new TextDecoder().decode(sodium.crypto_box_seal_open(sealed, keys.publicKey, keys.privateKey)));

  it('runs a features job: embeddings of the selected files only, sealed to the buyer, shares by score', async () => {
    const { engine, audit } = setup();
    expect(await engine.submit(submission('features'))).to.deep.equal({ files: 3 });
    const { sealed, epsilonSpent } = await engine.runFeatures(submission('features').jobId);
    expect(epsilonSpent).to.equal(0);
    const release = open(sealed);
    expect(release.rows.map((r: { language: string }) => r.language).sort()).to.deep.equal(['en', 'en', 'pt-BR']);
    expect(release.rows[0].embedding).to.have.length(3);
    const { receipt, shares } = await engine.finish(submission('features').jobId);
    expect(receipt.filesUsed).to.equal(3);
    expect(receipt.epsilonSpent).to.equal(0n);
    // alice 8000 + 8000, bob 6000 of 22000.
    expect(shares.find((s) => s.account.toLowerCase() === alice.toLowerCase())!.amount).to.equal(727n);
    expect(shares.find((s) => s.account.toLowerCase() === bob.toLowerCase())!.amount).to.equal(273n);
    expect(audit.export().entries.map((e) => e.kind)).to.deep.equal(['job-start', 'release', 'receipt']);
  });

  it('runs an aggregates job whose approved query is its model bytes, and charges its epsilon', async () => {
    const { engine } = setup();
    await engine.submit(submission('aggregates'));
    const { sealed, epsilonSpent } = await engine.runAggregates(submission('aggregates').jobId);
    expect(epsilonSpent).to.equal(1);
    expect(open(sealed)).to.include.keys('files', 'contributors', 'scoreHistogram', 'languageHistogram');
    const { receipt } = await engine.finish(submission('aggregates').jobId);
    expect(receipt.epsilonSpent).to.equal(1_000_000n);
  });

  it('refuses an aggregates query past the remaining budget with JOB_BUDGET_EXHAUSTED, releasing nothing', async () => {
    const { engine, source, audit } = setup();
    source.escrowValue = { ...source.escrowValue, policyEpsilonSpent: 1_500_000n };
    await engine.submit(submission('aggregates'));
    expect(await code(() => engine.runAggregates(submission('aggregates').jobId))).to.equal('JOB_BUDGET_EXHAUSTED');
    expect(audit.export().entries.map((e) => e.kind)).to.deep.equal(['job-start']);
  });

  it('composes aggregates and DP-SGD spend against one budget, persisted before release', async () => {
    const { engine, storage } = setup();
    const again = (n: number) => submission('aggregates', { jobId: keccak256(toHex(`aggregates ${n}`)) });
    for (const n of [1, 2]) {
      await engine.submit(again(n));
      await engine.runAggregates(again(n).jobId);
      await engine.finish(again(n).jobId);
    }
    expect(new TextDecoder().decode(storage.entries.get(`privacy-pure/1/${buyer.toLowerCase()}`)!)).to.equal('{"epsilon":2}');
    // Budget 2 is now spent by the two aggregates releases: any job is refused at submit.
    expect(await code(() => engine.submit(again(3)))).to.equal('JOB_BUDGET_EXHAUSTED');
    storage.entries.set(`privacy-pure/1/${buyer.toLowerCase()}`, new TextEncoder().encode('{"epsilon":1.5}'));
    const job = submission('gradients');
    await engine.submit(job);
    const parameters = new Float32Array(parameterCount({ features: MELS, classes: 2 }));
    // Epsilon 0.79 for one step at q = 1, sigma = 5, delta 1e-5: over the 0.5 left.
    expect(await code(() => engine.gradientStep(job.jobId, { parameters, sampleRate: 1, noiseMultiplier: 5, clipNorm: 1 }))).to.equal('JOB_BUDGET_EXHAUSTED');
    storage.entries.set(`privacy-pure/1/${buyer.toLowerCase()}`, new TextEncoder().encode('{"epsilon":"lots"}'));
    expect(await code(() => engine.gradientStep(job.jobId, { parameters, sampleRate: 1, noiseMultiplier: 5, clipNorm: 1 }))).to.equal('PRIVACY_LEDGER_CORRUPT');
    await engine.finish(job.jobId);
  });

  it('drops a file revoked during a gradient job before the next step, so it is never used after', async () => {
    const { engine, source } = setup();
    const job = submission('gradients');
    expect(await engine.submit(job)).to.deep.equal({ files: 3 });
    const parameters = new Float32Array(parameterCount({ features: MELS, classes: 2 }));
    const first = await engine.gradientStep(job.jobId, { parameters, sampleRate: 1, noiseMultiplier: 5, clipNorm: 1 });
    expect(first.examples).to.equal(3);
    source.revokedIds.add(catalogue[1]!.fileId);
    const second = await engine.gradientStep(job.jobId, { parameters, sampleRate: 1, noiseMultiplier: 5, clipNorm: 1 });
    expect(second.examples).to.equal(2);
    source.revokedIds.add(catalogue[0]!.fileId);
    source.revokedIds.add(catalogue[2]!.fileId);
    expect(await code(() => engine.gradientStep(job.jobId, { parameters, sampleRate: 1, noiseMultiplier: 5, clipNorm: 1 }))).to.equal('JOB_NO_FILES');
    await engine.finish(job.jobId);
  });

  it('refuses a job whose model fails the checks, a second submission, unknown jobs and wrong-kind calls', async () => {
    const { engine } = setup();
    expect(await code(() => engine.submit(submission('gradients', { model: featuresModel })))).to.equal('JOB_MODEL_SHAPE_MISMATCH');
    await engine.submit(submission('features'));
    expect(await code(() => engine.submit(submission('features')))).to.equal('JOB_STATE');
    expect(await code(() => engine.gradientStep(submission('features').jobId, { parameters: new Float32Array(1), sampleRate: 1, noiseMultiplier: 1, clipNorm: 1 }))).to.equal('JOB_STATE');
    expect(await code(() => engine.runFeatures(keccak256(toHex('nope'))))).to.equal('JOB_STATE');
    await engine.finish(submission('features').jobId);
  });

  it('refuses a job when no file passes the filter, and one outside the policy before starting any model', async () => {
    const { engine, source } = setup();
    source.policyValue = { ...source.policyValue, languages: ['fr'] };
    expect(await code(() => engine.submit(submission('aggregates')))).to.equal('JOB_NO_FILES');
    source.policyValue = { ...source.policyValue, languages: [], jobKinds: 1 };
    expect(await code(() => engine.submit(submission('gradients')))).to.equal('JOB_KIND_NOT_ALLOWED');
  });
});
