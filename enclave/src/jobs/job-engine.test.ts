import { expect } from 'chai';
import sodium from 'libsodium-wrappers';
import { keccak256, sha256, toHex, type Address, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { AuditLog } from '../audit/log.ts';
import { MemoryLedgerStorage } from '../privacy/ledger.ts';
import { createEnclaveSigner } from '../signing/enclave-signer.ts';
import { auditDomain } from '@audata/verifier/audit';
import { buildMeanPoolEmbeddingModel } from './features-job.ts';
import { createBuyerSigner } from '../../../client/src/jobs/sign.ts';
import { JobEngine, type JobEngineDeps, type JobSubmission, type StepRequest } from './job-engine.ts';
import type { EscrowState, Policy } from './policy.ts';
import type { PolicySource } from './policy-source.ts';
import { chacha20Random, RandomStream } from './random.ts';
import type { CatalogueFile } from './selection.ts';
import { buildSoftmaxGradientModel, parameterCount } from './softmax-classifier.ts';

const buyerAccount = privateKeyToAccount(keccak256(toHex('buyer')));
const buyer: Address = buyerAccount.address;
const escrow: Address = '0x00000000000000000000000000000000000000e5';
/** The buyer's signer, on the engine's clock (1000). */
const signer = createBuyerSigner({ account: buyerAccount, chainId: 1, jobEscrow: escrow, now: () => 1_000n });
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

  function setup(kindsMask = 7, opts: { storage?: MemoryLedgerStorage; now?: () => bigint; featuresMissing?: JobEngineDeps['featuresMissing'] } = {}) {
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
    const storage = opts.storage ?? new MemoryLedgerStorage();
    const reads = { features: 0 };
    const engine = new JobEngine({
      source,
      catalogue: () => catalogue,
      features: async (f) => (reads.features++, { nMels: MELS, frames: 4, data: Float32Array.from({ length: 4 * MELS }, (_, i) => Math.sin(i + Number(BigInt(f.fileId) % 97n))) }),
      ledgerStorage: storage,
      signer: createEnclaveSigner(),
      escrow: { chainId: 1, contract: escrow },
      audit,
      random: new RandomStream(chacha20Random(new Uint8Array(32).fill(3))),
      now: opts.now ?? (() => 1_000n),
      ...(opts.featuresMissing === undefined ? {} : { featuresMissing: opts.featuresMissing }),
    });
    return { source, audit, engine, storage, reads };
  }

  let keys: { publicKey: Uint8Array; privateKey: Uint8Array };
  before(async () => {
    await sodium.ready;
    keys = sodium.crypto_box_keypair();
  });
  type Unsigned = Omit<JobSubmission, 'deadline' | 'signature'>;
  const unsigned = (kind: JobSubmission['kind'], overrides: Partial<Unsigned> = {}): Unsigned => ({
    jobId: keccak256(toHex(`job ${kind}`)),
    policyId: 1n,
    buyer,
    kind,
    model: kind === 'features' ? featuresModel : kind === 'gradients' ? gradientModel : aggregatesSpec,
    buyerKey: keys.publicKey,
    params: kind === 'features' ? { melBands: MELS, embedding: 3 } : { melBands: MELS, classes: ['en', 'pt-BR'], parameters: parameterCount({ features: MELS, classes: 2 }) },
    ...overrides,
  });
  /** The submission signed by the policy's buyer. */
  const submission = async (kind: JobSubmission['kind'], overrides: Partial<Unsigned> = {}): Promise<JobSubmission> => {
    const u = unsigned(kind, overrides);
    return { ...u, ...(await signer.submission(u)) };
  };
  const step = async (jobId: Hex, index: number, request: Omit<StepRequest, 'index' | 'deadline' | 'signature'>): Promise<StepRequest> => ({ ...request, index, ...(await signer.step(jobId, index, request)) });
  const finishing = async (jobId: Hex, steps = 0) => signer.finish(jobId, steps).then((s) => ({ steps, ...s }));
  const open = (sealed: Uint8Array) => JSON.parse(new TextDecoder().decode(sodium.crypto_box_seal_open(sealed, keys.publicKey, keys.privateKey)));

  it('runs a features job: embeddings of the selected files only, sealed to the buyer, shares by score', async () => {
    const { engine, audit } = setup();
    const jobId = unsigned('features').jobId;
    expect(await engine.submit(await submission('features'))).to.deep.equal({ files: 3, featuresMissing: [] });
    const { sealed, epsilonSpent } = await engine.runFeatures(jobId);
    expect(epsilonSpent).to.equal(0);
    const release = open(sealed);
    expect(release.rows.map((r: { language: string }) => r.language).sort()).to.deep.equal(['en', 'en', 'pt-BR']);
    expect(release.rows[0].embedding).to.have.length(3);
    const { receipt, shares } = await engine.finish(jobId, await finishing(jobId));
    expect(receipt.filesUsed).to.equal(3);
    expect(receipt.epsilonSpent).to.equal(0n);
    // alice 8000 + 8000, bob 6000 of 22000.
    expect(shares.find((s) => s.account.toLowerCase() === alice.toLowerCase())!.amount).to.equal(727n);
    expect(shares.find((s) => s.account.toLowerCase() === bob.toLowerCase())!.amount).to.equal(273n);
    expect(audit.export().entries.map((e) => e.kind)).to.deep.equal(['job-start', 'release', 'receipt']);
  });

  it('runs an aggregates job whose approved query is its model bytes, and charges its epsilon', async () => {
    const { engine } = setup();
    const jobId = unsigned('aggregates').jobId;
    await engine.submit(await submission('aggregates'));
    const { sealed, epsilonSpent } = await engine.runAggregates(jobId);
    expect(epsilonSpent).to.equal(1);
    expect(open(sealed)).to.include.keys('files', 'contributors', 'scoreHistogram', 'languageHistogram');
    const { receipt } = await engine.finish(jobId, await finishing(jobId));
    expect(receipt.epsilonSpent).to.equal(1_000_000n);
  });

  it('refuses an aggregates query past the remaining budget with JOB_BUDGET_EXHAUSTED, releasing nothing', async () => {
    const { engine, source, audit } = setup();
    source.escrowValue = { ...source.escrowValue, policyEpsilonSpent: 1_500_000n };
    await engine.submit(await submission('aggregates'));
    expect(await code(() => engine.runAggregates(unsigned('aggregates').jobId))).to.equal('JOB_BUDGET_EXHAUSTED');
    expect(audit.export().entries.map((e) => e.kind)).to.deep.equal(['job-start']);
  });

  it('composes aggregates and DP-SGD spend against one budget, persisted before release', async () => {
    const { engine, storage } = setup();
    const again = (n: number) => submission('aggregates', { jobId: keccak256(toHex(`aggregates ${n}`)) });
    for (const n of [1, 2]) {
      const job = await again(n);
      await engine.submit(job);
      await engine.runAggregates(job.jobId);
      await engine.finish(job.jobId, await finishing(job.jobId));
    }
    expect(new TextDecoder().decode(storage.entries.get(`privacy-pure/1/${buyer.toLowerCase()}`)!)).to.equal('{"epsilon":2}');
    // Budget 2 is now spent by the two aggregates releases: any job is refused at submit.
    expect(await code(async () => engine.submit(await again(3)))).to.equal('JOB_BUDGET_EXHAUSTED');
    storage.entries.set(`privacy-pure/1/${buyer.toLowerCase()}`, new TextEncoder().encode('{"epsilon":1.5}'));
    const job = await submission('gradients');
    await engine.submit(job);
    const parameters = new Float32Array(parameterCount({ features: MELS, classes: 2 }));
    const request = { parameters, sampleRate: 1, noiseMultiplier: 5, clipNorm: 1 };
    // Epsilon 0.79 for one step at q = 1, sigma = 5, delta 1e-5: over the 0.5 left.
    expect(await code(async () => engine.gradientStep(job.jobId, await step(job.jobId, 0, request)))).to.equal('JOB_BUDGET_EXHAUSTED');
    storage.entries.set(`privacy-pure/1/${buyer.toLowerCase()}`, new TextEncoder().encode('{"epsilon":"lots"}'));
    expect(await code(async () => engine.gradientStep(job.jobId, await step(job.jobId, 0, request)))).to.equal('PRIVACY_LEDGER_CORRUPT');
    await engine.finish(job.jobId, await finishing(job.jobId));
  });

  it('drops a file revoked during a gradient job before the next step, so it is never used after', async () => {
    const { engine, source } = setup();
    const job = await submission('gradients');
    expect(await engine.submit(job)).to.deep.equal({ files: 3, featuresMissing: [] });
    const request = { parameters: new Float32Array(parameterCount({ features: MELS, classes: 2 })), sampleRate: 1, noiseMultiplier: 5, clipNorm: 1 };
    const first = await engine.gradientStep(job.jobId, await step(job.jobId, 0, request));
    expect(first.examples).to.equal(3);
    source.revokedIds.add(catalogue[1]!.fileId);
    const second = await engine.gradientStep(job.jobId, await step(job.jobId, 1, request));
    expect(second.examples).to.equal(2);
    source.revokedIds.add(catalogue[0]!.fileId);
    source.revokedIds.add(catalogue[2]!.fileId);
    expect(await code(async () => engine.gradientStep(job.jobId, await step(job.jobId, 2, request)))).to.equal('JOB_NO_FILES');
    await engine.finish(job.jobId, await finishing(job.jobId, 2));
  });

  it('refuses a job whose model fails the checks, a second submission, unknown jobs and wrong-kind calls', async () => {
    const { engine } = setup();
    const jobId = unsigned('features').jobId;
    expect(await code(async () => engine.submit(await submission('gradients', { model: featuresModel })))).to.equal('JOB_MODEL_SHAPE_MISMATCH');
    await engine.submit(await submission('features'));
    expect(await code(async () => engine.submit(await submission('features')))).to.equal('JOB_STATE');
    expect(await code(async () => engine.gradientStep(jobId, await step(jobId, 0, { parameters: new Float32Array(1), sampleRate: 1, noiseMultiplier: 1, clipNorm: 1 })))).to.equal('JOB_STATE');
    expect(await code(() => engine.runFeatures(keccak256(toHex('nope'))))).to.equal('JOB_STATE');
    await engine.finish(jobId, await finishing(jobId));
  });

  it('refuses a job when no file passes the filter, and one outside the policy before starting any model', async () => {
    const { engine, source } = setup();
    source.policyValue = { ...source.policyValue, languages: ['fr'] };
    expect(await code(async () => engine.submit(await submission('aggregates')))).to.equal('JOB_NO_FILES');
    source.policyValue = { ...source.policyValue, languages: [], jobKinds: 1 };
    expect(await code(async () => engine.submit(await submission('gradients')))).to.equal('JOB_KIND_NOT_ALLOWED');
  });

  describe('buyer signatures', () => {
    const stranger = createBuyerSigner({ account: privateKeyToAccount(keccak256(toHex('stranger'))), chainId: 1, jobEscrow: escrow, now: () => 1_000n });
    const P = parameterCount({ features: MELS, classes: 2 });
    const request = { parameters: new Float32Array(P).fill(0.25), sampleRate: 1, noiseMultiplier: 5, clipNorm: 1 };
    /** What a refused request must leave untouched: no data read, no budget or audit entry written. */
    const untouched = (t: ReturnType<typeof setup>, before: { features: number; audit: number; ledger: number }) => {
      expect(t.reads.features).to.equal(before.features);
      expect(t.audit.export().entries.length).to.equal(before.audit);
      expect(t.storage.entries.size).to.equal(before.ledger);
    };
    const snapshot = (t: ReturnType<typeof setup>) => ({ features: t.reads.features, audit: t.audit.export().entries.length, ledger: t.storage.entries.size });

    it('refuses a submission signed by anyone but the policy buyer, or over other content, before reading escrow or data', async () => {
      const t = setup();
      let escrowReads = 0;
      const escrowOf = t.source.escrow.bind(t.source);
      t.source.escrow = async () => (escrowReads++, escrowOf());
      const base = unsigned('gradients');
      const by = async (s: typeof signer, u: Unsigned) => ({ ...u, ...(await s.submission(u)) });
      // A stranger naming the buyer, with the stranger's own X25519 key.
      expect(await code(async () => t.engine.submit(await by(stranger, base)))).to.equal('JOB_SIGNER_NOT_BUYER');
      // The buyer's signature with the release key swapped by a relay, for another job, or with other parameters.
      const good = await by(signer, base);
      expect(await code(() => t.engine.submit({ ...good, buyerKey: new Uint8Array(32).fill(9) }))).to.equal('JOB_SIGNER_NOT_BUYER');
      expect(await code(() => t.engine.submit({ ...good, jobId: keccak256(toHex('another job')) }))).to.equal('JOB_SIGNER_NOT_BUYER');
      expect(await code(() => t.engine.submit({ ...good, params: { melBands: MELS, classes: ['en', 'pt-BR'], parameters: P + 1 } }))).to.equal('JOB_SIGNER_NOT_BUYER');
      expect(await code(() => t.engine.submit({ ...good, deadline: good.deadline + 1n }))).to.equal('JOB_SIGNER_NOT_BUYER');
      // A signature for another escrow or chain.
      const elsewhere = createBuyerSigner({ account: buyerAccount, chainId: 1, jobEscrow: '0x00000000000000000000000000000000000000e6', now: () => 1_000n });
      expect(await code(async () => t.engine.submit(await by(elsewhere, base)))).to.equal('JOB_SIGNER_NOT_BUYER');
      expect(await code(() => t.engine.submit({ ...good, signature: undefined }))).to.equal('JOB_SIGNATURE_MISSING');
      expect(await code(() => t.engine.submit({ ...good, signature: '0x1234' }))).to.equal('JOB_SIGNATURE_INVALID');
      expect(await code(() => t.engine.submit({ ...good, signature: `0x${'00'.repeat(65)}` }))).to.equal('JOB_SIGNATURE_INVALID');
      expect(escrowReads).to.equal(0);
      untouched(t, { features: 0, audit: 0, ledger: 0 });
      expect(await t.engine.submit(good)).to.deep.equal({ files: 3, featuresMissing: [] });
    });

    it('refuses an expired request and one whose deadline is further ahead than a day, by the engine clock', async () => {
      const t = setup();
      const late = createBuyerSigner({ account: buyerAccount, chainId: 1, jobEscrow: escrow, now: () => 0n, ttlSeconds: 999n });
      const u = unsigned('gradients');
      expect(await code(async () => t.engine.submit({ ...u, ...(await late.submission(u)) }))).to.equal('JOB_REQUEST_EXPIRED');
      const far = createBuyerSigner({ account: buyerAccount, chainId: 1, jobEscrow: escrow, now: () => 1_000n, ttlSeconds: 86_401n });
      expect(await code(async () => t.engine.submit({ ...u, ...(await far.submission(u)) }))).to.equal('JOB_REQUEST_DEADLINE_TOO_FAR');
      await t.engine.submit(await submission('gradients'));
      // A step signed in time but presented after its deadline.
      const stale = { ...request, index: 0, ...(await late.step(u.jobId, 0, request)) };
      expect(await code(() => t.engine.gradientStep(u.jobId, stale))).to.equal('JOB_REQUEST_EXPIRED');
      // The one storage entry is the started job's record (job-runs.ts), no budget.
      untouched(t, { features: 0, audit: 1, ledger: 1 });
    });

    it('binds a step to its job, index and parameters: replays, reorderings and edits are refused before any data or budget is touched', async () => {
      const t = setup();
      const job = await submission('gradients');
      const other = await submission('gradients', { jobId: keccak256(toHex('second job')) });
      await t.engine.submit(job);
      await t.engine.submit(other);
      const first = await step(job.jobId, 0, request);
      const before = snapshot(t);
      expect(await code(async () => t.engine.gradientStep(job.jobId, { ...request, index: 0, ...(await stranger.step(job.jobId, 0, request)) }))).to.equal('JOB_SIGNER_NOT_BUYER');
      expect(await code(() => t.engine.gradientStep(other.jobId, first))).to.equal('JOB_SIGNER_NOT_BUYER');
      expect(await code(() => t.engine.gradientStep(job.jobId, { ...first, parameters: new Float32Array(P).fill(0.5) }))).to.equal('JOB_SIGNER_NOT_BUYER');
      expect(await code(() => t.engine.gradientStep(job.jobId, { ...first, noiseMultiplier: 0.5 }))).to.equal('JOB_SIGNER_NOT_BUYER');
      expect(await code(() => t.engine.gradientStep(job.jobId, { ...first, index: 1 }))).to.equal('JOB_SIGNER_NOT_BUYER');
      expect(await code(() => t.engine.gradientStep(job.jobId, { ...first, signature: undefined }))).to.equal('JOB_SIGNATURE_MISSING');
      // Signed for the second place while the job is at the first: out of order.
      expect(await code(async () => t.engine.gradientStep(job.jobId, await step(job.jobId, 1, request)))).to.equal('JOB_STEP_OUT_OF_ORDER');
      untouched(t, before);
      await t.engine.gradientStep(job.jobId, first);
      // The same signed step again: a replay.
      const after = snapshot(t);
      expect(await code(() => t.engine.gradientStep(job.jobId, first))).to.equal('JOB_STEP_OUT_OF_ORDER');
      untouched(t, after);
      await t.engine.gradientStep(job.jobId, await step(job.jobId, 1, request));
      expect(await code(async () => t.engine.finish(job.jobId, await finishing(job.jobId, 2)))).to.equal('OK');
    });

    it('starts one job when the same signed submission arrives twice at once', async () => {
      const t = setup();
      const job = await submission('features');
      const [a, b] = await Promise.all([code(() => t.engine.submit(job)), code(() => t.engine.submit(job))]);
      expect([a, b]).to.deep.equal(['OK', 'JOB_STATE']);
      expect(t.audit.export().entries.map((e) => e.kind)).to.deep.equal(['job-start']);
    });

    it('runs steps of one job one at a time: a concurrent second step is refused', async () => {
      const t = setup();
      const job = await submission('gradients');
      await t.engine.submit(job);
      const signed = await step(job.jobId, 0, request);
      const [a, b] = await Promise.all([code(() => t.engine.gradientStep(job.jobId, signed)), code(() => t.engine.gradientStep(job.jobId, signed))]);
      expect([a, b]).to.deep.equal(['OK', 'JOB_STATE']);
    });

    it('ends a job only on the buyer\'s signed finish for the steps run; a refused finish leaves the job running', async () => {
      const t = setup();
      const job = await submission('gradients');
      await t.engine.submit(job);
      await t.engine.gradientStep(job.jobId, await step(job.jobId, 0, request));
      expect(await code(async () => t.engine.finish(job.jobId, { steps: 1, ...(await stranger.finish(job.jobId, 1)) }))).to.equal('JOB_SIGNER_NOT_BUYER');
      expect(await code(async () => t.engine.finish(job.jobId, await finishing(job.jobId, 0)))).to.equal('JOB_STEP_OUT_OF_ORDER');
      expect(await code(async () => t.engine.finish(job.jobId, { ...(await finishing(job.jobId, 1)), signature: undefined }))).to.equal('JOB_SIGNATURE_MISSING');
      expect(t.audit.export().entries.map((e) => e.kind)).to.deep.equal(['job-start', 'release']);
      await t.engine.gradientStep(job.jobId, await step(job.jobId, 1, request));
      const { receipt } = await t.engine.finish(job.jobId, await finishing(job.jobId, 2));
      expect(receipt.jobId).to.equal(job.jobId);
      expect(await code(async () => t.engine.finish(job.jobId, await finishing(job.jobId, 2)))).to.equal('JOB_STATE');
    });
  });

  describe('a job starts only with its features, and never twice across a restart', () => {
    const P = parameterCount({ features: MELS, classes: 2 });
    const request = { parameters: new Float32Array(P).fill(0.25), sampleRate: 1, noiseMultiplier: 5, clipNorm: 1 };
    /** What the sealed state carries across a restart: a copy of the ledger storage's entries. */
    const sealedCopy = (storage: MemoryLedgerStorage) => {
      const copy = new MemoryLedgerStorage();
      for (const [key, value] of storage.entries) copy.entries.set(key, value.slice());
      return copy;
    };

    it('registers nothing while features are missing, and starts the same signed submission once they are in', async () => {
      let missing: Hex[] = [catalogue[0]!.fileId];
      const asked: number[] = [];
      const t = setup(7, { featuresMissing: async (_jobId, _kind, files) => (asked.push(files.length), missing) });
      const job = await submission('gradients');
      expect(await t.engine.submit(job)).to.deep.equal({ files: 3, featuresMissing: [catalogue[0]!.fileId] });
      // Nothing started, logged, recorded or spent; the job is unknown to steps.
      expect(t.audit.export().entries).to.have.length(0);
      expect(t.storage.entries.size).to.equal(0);
      expect(await code(async () => t.engine.gradientStep(job.jobId, await step(job.jobId, 0, request)))).to.equal('JOB_STATE');
      missing = [];
      expect(await t.engine.submit(job)).to.deep.equal({ files: 3, featuresMissing: [] });
      expect(asked).to.deep.equal([3, 3]);
      expect(t.audit.export().entries.map((e) => e.kind)).to.deep.equal(['job-start']);
      await t.engine.gradientStep(job.jobId, await step(job.jobId, 0, request));
      await t.engine.finish(job.jobId, await finishing(job.jobId, 1));
    });

    it('after a restart from the sealed storage, refuses a replayed submission, step or finish (JOB_INTERRUPTED) before touching data or budget', async () => {
      const before = setup();
      const job = await submission('gradients');
      await before.engine.submit(job);
      const steps = [await step(job.jobId, 0, request), await step(job.jobId, 1, request)];
      for (const s of steps) await before.engine.gradientStep(job.jobId, s);
      const done = await submission('features');
      await before.engine.submit(done);
      await before.engine.runFeatures(done.jobId);
      await before.engine.finish(done.jobId, await finishing(done.jobId));

      const t = setup(7, { storage: sealedCopy(before.storage) });
      const spent = t.storage.entries.get(`privacy-ledger/1/${buyer.toLowerCase()}`)!.slice();
      const snap = { features: t.reads.features, audit: t.audit.export().entries.length, ledger: t.storage.entries.size };
      // A stranger's replay is refused by the signature first, the buyer's own by the record.
      expect(await code(async () => t.engine.submit({ ...job, buyerKey: new Uint8Array(32).fill(9) }))).to.equal('JOB_SIGNER_NOT_BUYER');
      const refusal = await t.engine.submit(job).then(() => undefined, (e: { code: string; details: Record<string, unknown> }) => e);
      expect(refusal?.code).to.equal('JOB_INTERRUPTED');
      expect(refusal?.details).to.include({ jobId: job.jobId, releases: 2, request: 'submission' });
      expect(await code(() => t.engine.gradientStep(job.jobId, steps[1]!))).to.equal('JOB_INTERRUPTED');
      // The buyer's legitimate next step cannot continue the job either: it is told to submit a new one.
      expect(await code(async () => t.engine.gradientStep(job.jobId, await step(job.jobId, 2, request)))).to.equal('JOB_INTERRUPTED');
      expect(await code(async () => t.engine.finish(job.jobId, await finishing(job.jobId, 2)))).to.equal('JOB_INTERRUPTED');
      // A finished job's submission stays refused; a job never seen is unknown.
      expect(await code(() => t.engine.submit(done))).to.equal('JOB_STATE');
      expect(await code(() => t.engine.runFeatures(done.jobId))).to.equal('JOB_STATE');
      expect(await code(async () => t.engine.gradientStep(keccak256(toHex('never')), await step(keccak256(toHex('never')), 0, request)))).to.equal('JOB_STATE');
      expect({ features: t.reads.features, audit: t.audit.export().entries.length, ledger: t.storage.entries.size }).to.deep.equal(snap);
      expect(t.storage.entries.get(`privacy-ledger/1/${buyer.toLowerCase()}`)).to.deep.equal(spent);

      // A new job runs as usual after the restart.
      const next = await submission('gradients', { jobId: keccak256(toHex('after the restart')) });
      expect(await t.engine.submit(next)).to.deep.equal({ files: 3, featuresMissing: [] });
      await t.engine.gradientStep(next.jobId, await step(next.jobId, 0, request));
    });

    it('keeps a record only while its submission can be replayed: past the deadline the next start prunes it', async () => {
      let now = 1_000n;
      const t = setup(7, { now: () => now });
      const job = await submission('gradients');
      await t.engine.submit(job);
      const records = () => JSON.parse(new TextDecoder().decode(t.storage.entries.get('job-runs'))).runs.map((r: unknown[]) => r[0]);
      expect(records()).to.deep.equal([job.jobId.toLowerCase()]);
      now = job.deadline + 1n;
      const later = createBuyerSigner({ account: buyerAccount, chainId: 1, jobEscrow: escrow, now: () => now });
      const u = unsigned('gradients', { jobId: keccak256(toHex('a later job')) });
      await t.engine.submit({ ...u, ...(await later.submission(u)) });
      expect(records()).to.deep.equal([u.jobId.toLowerCase()]);
      // The pruned job's submission is refused by its own deadline.
      const restarted = setup(7, { storage: sealedCopy(t.storage), now: () => now });
      expect(await code(() => restarted.engine.submit(job))).to.equal('JOB_REQUEST_EXPIRED');
    });
  });
});
