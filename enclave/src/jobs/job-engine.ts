// Runs buyers' jobs inside the enclave from submission to receipt: reads the policy and the
// escrow from the chain, refuses any request the policy's buyer did not sign and anything
// outside the policy, selects files (never a revoked
// one), runs the job kind, seals every release to the buyer, logs job start, each release
// and the receipt in the audit log, and signs a receipt whose shares pay the contributors
// whose files were actually used.
import { createHash } from 'node:crypto';
import type { Address, Hex, TypedDataDomain } from 'viem';
import { jobFinishTypedData, jobRequestDomain, jobStepMessage, jobStepTypedData, jobSubmissionMessage, jobSubmissionTypedData } from '@audata/wire';
import type { AuditLog } from '../audit/log.ts';
import type { LogMelFeatures } from '../feature-store/feature-store.ts';
import { PrivacyLedger, type LedgerStorage } from '../privacy/ledger.ts';
import { PrivacyLedgerCorruptError } from '../privacy/errors.ts';
import type { EnclaveSigner, SigningTarget } from '../signing/enclave-signer.ts';
import { capContributions, releaseAggregates, type AggregatePolicy } from './aggregates.ts';
import { JobParameterError } from './errors.ts';
import { runFeaturesJob, type EmbeddingModel } from './features-job.ts';
import { privateGradientStep, type ExampleSet, type GradientModel } from './gradient-step.ts';
import { JobBudgetExhaustedError, JobInterruptedError, JobNoFilesError, JobStateError, JobStepOutOfOrderError } from './job-errors.ts';
import { JobRuns } from './job-runs.ts';
import { checkModel, featuresJobIo, gradientJobIo, DEFAULT_MODEL_LIMITS, type ModelLimits } from './model-check.ts';
import { ModelRunner, DEFAULT_RUNNER_LIMITS, type RunnerLimits } from './model-runner.ts';
import { authorizeJob, policyBudget, POLICY_EPSILON_SCALE, type JobKind, type JobRequest, type Policy } from './policy.ts';
import type { PolicySource } from './policy-source.ts';
import type { RandomStream } from './random.ts';
import { checkRequestDeadline, DEFAULT_MAX_REQUEST_TTL_SECONDS, requireBuyerSignature } from './request-auth.ts';
import { signJobReceipt, type SignedJobReceipt, type UsedFile } from './receipt.ts';
import { encodeRelease, sealToBuyer } from './seal.ts';
import { selectFiles, type CatalogueFile } from './selection.ts';

export interface FeaturesJobParams {
  melBands: number;
  embedding: number;
}

export interface GradientJobParams {
  /** D: the log-mel band count; each example is the file's mean log-mel over frames. */
  melBands: number;
  /** Class labels (language tags) in the model's output order; files in other languages are not examples. */
  classes: string[];
  parameters: number;
}

/**
 * An aggregates job carries no ONNX model: its "model" bytes are the UTF-8 JSON of its
 * AggregatePolicy, so the policy's model hash approves the exact query (bins, caps, epsilon).
 */
export type AggregatesJobParams = AggregatePolicy;

export interface JobSubmission {
  jobId: Hex;
  policyId: bigint;
  buyer: Address;
  kind: JobKind;
  model: Uint8Array;
  /** The buyer's X25519 public key; every release is sealed to it. */
  buyerKey: Uint8Array;
  params?: FeaturesJobParams | GradientJobParams;
  /** Unix seconds, by this engine's clock, after which the signed submission is refused. */
  deadline: bigint;
  /** The buyer's EIP-712 signature of the JobSubmission (wire/src/eip712.ts), as received: checked here. */
  signature: unknown;
}

export interface StepRequest {
  /** The step's place in the job, 0 for the first: the number of steps run before it. */
  index: number;
  parameters: Float32Array;
  sampleRate: number;
  noiseMultiplier: number;
  clipNorm: number;
  chunkSize?: number;
  deadline: bigint;
  /** The buyer's EIP-712 signature of the JobStep, as received. */
  signature: unknown;
}

/** The buyer ends the job after exactly `steps` steps. */
export interface FinishRequest {
  steps: number;
  deadline: bigint;
  /** The buyer's EIP-712 signature of the JobFinish, as received. */
  signature: unknown;
}

export interface SealedRelease {
  sealed: Uint8Array;
  epsilonSpent: number;
}

interface RunningModel extends GradientModel, EmbeddingModel {
  close(): Promise<void>;
}

export interface JobEngineDeps {
  source: PolicySource;
  /** The enclave's scored files. */
  catalogue: () => Iterable<CatalogueFile>;
  /** A file's log-mel features (the encrypted feature store, computing on a miss). */
  features: (file: CatalogueFile) => Promise<LogMelFeatures>;
  ledgerStorage: LedgerStorage;
  signer: Pick<EnclaveSigner, 'signReceipt'>;
  /** Where receipts settle: this chain's JobEscrow. */
  escrow: SigningTarget;
  audit: Pick<AuditLog, 'append'>;
  random: RandomStream;
  /** Unix seconds (the enclave's clock; in tests the chain's). */
  now?: () => bigint | Promise<bigint>;
  /** How far ahead a signed request's deadline may lie (default one day). */
  maxRequestTtlSeconds?: bigint;
  receiptTtlSeconds?: bigint;
  modelLimits?: ModelLimits;
  startModel?: (bytes: Uint8Array) => Promise<RunningModel>;
  runnerLimits?: RunnerLimits;
  /**
   * Where the features a job will read come from another party (the host keeps the entries): the
   * ids of the selected files whose features are not yet in reach. A job with any is not started
   * (nothing registered, logged or spent); the same signed submission starts it once they are.
   */
  featuresMissing?: (jobId: Hex, kind: JobKind, files: readonly CatalogueFile[]) => Promise<Hex[]>;
  /** Live job records kept in the sealed storage (default 1024). */
  maxJobRuns?: number;
}

/** A submission's outcome: started, or waiting for the listed files' features (not registered). */
export interface SubmitOutcome {
  files: number;
  featuresMissing: Hex[];
}

interface Job {
  submission: JobSubmission;
  request: JobRequest;
  policy: Policy;
  ledger: PrivacyLedger;
  epsilonBefore: number;
  files: CatalogueFile[];
  model: RunningModel | undefined;
  used: Map<string, CatalogueFile>;
  releases: Uint8Array[];
  aggregatesEpsilon: number;
  /** Pure-DP epsilon already spent by this (policy, buyer), as last read. */
  pure: number;
  steps: number;
  /** A step or finish is under way: another waits its turn by being refused. */
  busy: boolean;
  done: boolean;
}

/** Where the pure-DP (aggregates) spend of a (policy, buyer) is kept, beside its RDP ledger. */
export function pureSpendKey(policyId: string, buyer: string): string {
  return `privacy-pure/${policyId}/${buyer.toLowerCase()}`;
}

async function loadPureSpend(storage: LedgerStorage, key: string): Promise<number> {
  const bytes = await storage.load(key);
  if (bytes === undefined) return 0;
  let value: unknown;
  try {
    value = bytes.length <= 256 ? (JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as { epsilon?: unknown }).epsilon : undefined;
  } catch {
    value = undefined;
  }
  if (typeof value !== 'number' || !(value >= 0) || !Number.isFinite(value)) throw new PrivacyLedgerCorruptError(`the pure-DP spend under ${key} is not { epsilon >= 0 }`);
  return value;
}

const sha256Hex = (bytes: Uint8Array): Hex => `0x${createHash('sha256').update(bytes).digest('hex')}`;

/** EIP-712 uint32 fields (a step index, a step count) refused by a typed error rather than by the encoder. */
function uint32(field: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0 || value > 0xffff_ffff) throw new JobParameterError(field, 'an integer in 0..2^32-1', String(value));
  return value;
}

function finiteNumber(field: string, value: number): number {
  if (!Number.isFinite(value)) throw new JobParameterError(field, 'a finite number', String(value));
  return value;
}

/** The parameter vector's wire form, which the step signature covers: float32 little-endian. */
function float32Bytes(values: Float32Array): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return out;
}

function meanOverFrames(mel: LogMelFeatures, out: Float32Array, offset: number): void {
  for (let m = 0; m < mel.nMels; m++) {
    let sum = 0;
    for (let t = 0; t < mel.frames; t++) sum += mel.data[t * mel.nMels + m]!;
    out[offset + m] = sum / mel.frames;
  }
}

function parseAggregatesSpec(model: Uint8Array): AggregatePolicy {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(model)) as AggregatePolicy;
  } catch {
    throw new JobParameterError('model', 'the UTF-8 JSON of the aggregates parameters', `${model.length} bytes that do not parse`);
  }
}

export class JobEngine {
  readonly #deps: JobEngineDeps;
  readonly #jobs = new Map<string, Job>();
  /** Job ids whose submission is being checked: the same signed submission sent twice at once starts one job. */
  readonly #submitting = new Set<string>();
  /** Jobs started by this enclave, before and since a restart (sealed with the state). */
  #runs: Promise<JobRuns> | undefined;
  readonly #now: () => bigint | Promise<bigint>;
  /** Buyer requests are bound to the JobEscrow receipts settle on. */
  readonly #domain: TypedDataDomain;

  constructor(deps: JobEngineDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? (() => BigInt(Math.floor(Date.now() / 1000)));
    this.#domain = jobRequestDomain(deps.escrow.chainId, deps.escrow.contract);
  }

  #jobRuns(): Promise<JobRuns> {
    if (this.#runs === undefined) {
      this.#runs = JobRuns.open(this.#deps.ledgerStorage, this.#deps.maxJobRuns);
      this.#runs.catch(() => (this.#runs = undefined));
    }
    return this.#runs;
  }

  async #checkDeadline(request: string, deadline: bigint): Promise<void> {
    checkRequestDeadline(request, deadline, await this.#now(), this.#deps.maxRequestTtlSeconds ?? DEFAULT_MAX_REQUEST_TTL_SECONDS);
  }

  /**
   * Spend is composed basically across mechanisms: the RDP ledger's epsilon (DP-SGD steps)
   * plus the pure-DP epsilon of aggregates releases, both persisted per (policy, buyer).
   */
  async #authorize(request: JobRequest, read?: Policy): Promise<{ policy: Policy; ledger: PrivacyLedger; pure: number }> {
    const policy = read ?? (await this.#deps.source.policy(request.policyId));
    const escrow = await this.#deps.source.escrow(request.jobId, request.policyId);
    const ledger = await PrivacyLedger.open(this.#deps.ledgerStorage, { policyId: policy.id.toString(), buyer: request.buyer, budget: policyBudget(policy) });
    const pure = await loadPureSpend(this.#deps.ledgerStorage, pureSpendKey(policy.id.toString(), request.buyer));
    authorizeJob(request, policy, escrow, await this.#now(), ledger.spent().epsilon + pure);
    return { policy, ledger, pure };
  }

  /**
   * Checks the buyer's signature (against the policy's buyer read from the chain, before
   * anything else is read), then the job against its policy and the chain, selects its files
   * and logs its start. Returns the number of files. A job started before (in this boot or,
   * from the sealed records, an earlier one) is refused after the signature check.
   */
  async submit(submission: JobSubmission): Promise<SubmitOutcome> {
    const key = submission.jobId.toLowerCase();
    if (this.#jobs.has(key) || this.#submitting.has(key)) throw new JobStateError(submission.jobId, 'new', 'already submitted');
    this.#submitting.add(key);
    try {
      return await this.#submit(submission, key);
    } finally {
      this.#submitting.delete(key);
    }
  }

  async #submit(submission: JobSubmission, key: string): Promise<SubmitOutcome> {
    if (submission.buyerKey.length !== 32) throw new JobParameterError('buyerKey', '32 bytes (X25519)', submission.buyerKey.length);
    await this.#checkDeadline('submission', submission.deadline);
    const read = await this.#deps.source.policy(submission.policyId);
    const message = jobSubmissionMessage({ ...submission, params: submission.params }, sha256Hex);
    await requireBuyerSignature('submission', jobSubmissionTypedData(this.#domain, message), submission.signature, read);
    const runs = await this.#jobRuns();
    const run = runs.get(submission.jobId);
    if (run !== undefined) {
      if (run.finished) throw new JobStateError(submission.jobId, 'new', 'finished');
      throw new JobInterruptedError(submission.jobId, run.releases, 'submission');
    }
    const request: JobRequest = { jobId: submission.jobId, policyId: submission.policyId, buyer: submission.buyer, kind: submission.kind, modelHash: message.modelHash };
    const { policy, ledger } = await this.#authorize(request, read);
    // Static model checks before anything touches data; the model process starts only for a passing model.
    let model: RunningModel | undefined;
    if (submission.kind !== 'aggregates') {
      const p = submission.params;
      if (p === undefined) throw new JobParameterError('params', `the ${submission.kind} job parameters`, 'none');
      const io = submission.kind === 'features' ? featuresJobIo(p as FeaturesJobParams) : gradientJobIo({ parameters: (p as GradientJobParams).parameters, features: p.melBands, classes: (p as GradientJobParams).classes.length });
      checkModel(submission.model, io, this.#deps.modelLimits ?? DEFAULT_MODEL_LIMITS);
    } else {
      parseAggregatesSpec(submission.model);
    }
    const selection = await selectFiles(this.#deps.catalogue(), policy, this.#deps.source);
    if (selection.files.length === 0) throw new JobNoFilesError(policy.id, selection.revoked);
    const missing = (await this.#deps.featuresMissing?.(submission.jobId, submission.kind, selection.files)) ?? [];
    if (missing.length > 0) return { files: selection.files.length, featuresMissing: missing };
    if (submission.kind !== 'aggregates') {
      model = await (this.#deps.startModel ?? ((bytes) => ModelRunner.start(bytes, this.#deps.runnerLimits ?? DEFAULT_RUNNER_LIMITS)))(submission.model);
    }
    // Recorded before the job exists, and only once it can run: a failed start leaves no record, so the buyer may submit again.
    try {
      await runs.start(submission.jobId, submission.deadline, await this.#now());
    } catch (error) {
      await model?.close();
      throw error;
    }
    this.#jobs.set(key, {
      submission,
      request,
      policy,
      ledger,
      epsilonBefore: ledger.spent().epsilon,
      files: selection.files,
      model,
      used: new Map(),
      releases: [],
      aggregatesEpsilon: 0,
      pure: 0,
      steps: 0,
      busy: false,
      done: false,
    });
    await this.#deps.audit.append(
      'job-start',
      JSON.stringify({ jobId: request.jobId, policyId: policy.id.toString(), buyer: request.buyer, kind: request.kind, modelHash: request.modelHash, files: selection.files.length }),
    );
    return { files: selection.files.length, featuresMissing: [] };
  }

  /**
   * Refuses a request for a job the sealed records show started but this engine does not run:
   * JOB_INTERRUPTED (it started before a restart; its step index is known, but its model, used
   * files and releases are not, so it can neither go on nor sign a fair receipt), or JOB_STATE
   * when it finished. Passes any other job.
   */
  async refuseStartedBefore(jobId: Hex, request: string): Promise<void> {
    if (this.#jobs.has(jobId.toLowerCase())) return;
    const run = (await this.#jobRuns()).get(jobId);
    if (run === undefined) return;
    if (run.finished) throw new JobStateError(jobId, 'running', 'finished');
    throw new JobInterruptedError(jobId, run.releases, request);
  }

  async #job(jobId: Hex, kind: JobKind | undefined, request: string): Promise<Job> {
    const job = this.#jobs.get(jobId.toLowerCase());
    if (job === undefined) {
      await this.refuseStartedBefore(jobId, request);
      throw new JobStateError(jobId, 'submitted', 'unknown');
    }
    if (job.done) throw new JobStateError(jobId, 'running', 'finished');
    if (kind !== undefined && job.submission.kind !== kind) throw new JobStateError(jobId, `a ${kind} job`, `a ${job.submission.kind} job`);
    return job;
  }

  /** Re-reads policy, escrow and revocations, so a step never runs after a retirement, pause or revocation. */
  async #refresh(job: Job): Promise<void> {
    const { policy, ledger, pure } = await this.#authorize(job.request);
    job.policy = policy;
    job.ledger = ledger;
    job.pure = pure;
    const revoked = await this.#deps.source.revoked(job.files.map((f) => f.fileId));
    if (revoked.size > 0) {
      const gone = new Set([...revoked].map((id) => id.toLowerCase()));
      job.files = job.files.filter((f) => !gone.has(f.fileId.toLowerCase()));
    }
    if (job.files.length === 0) throw new JobNoFilesError(policy.id, revoked.size);
  }

  async #release(job: Job, value: unknown): Promise<Uint8Array> {
    const sealed = await sealToBuyer(encodeRelease(value), job.submission.buyerKey);
    job.releases.push(sealed);
    await this.#deps.audit.append('release', sealed);
    return sealed;
  }

  /** A features job: the approved model over every selected file's cached features, one sealed release. */
  async runFeatures(jobId: Hex): Promise<SealedRelease> {
    const job = await this.#job(jobId, 'features', 'result');
    if (job.releases.length > 0) throw new JobStateError(jobId, 'not yet run', 'already run');
    await this.#refresh(job);
    const { release, used } = await runFeaturesJob({ model: job.model!, features: this.#deps.features }, job.files, job.submission.params as FeaturesJobParams);
    for (const f of used) job.used.set(f.fileId.toLowerCase(), f);
    await (await this.#jobRuns()).advance(job.request.jobId, 1);
    return { sealed: await this.#release(job, release), epsilonSpent: 0 };
  }

  /** An aggregates job: noisy dataset-card statistics over the selected files, charged its epsilon up front. */
  async runAggregates(jobId: Hex): Promise<SealedRelease> {
    const job = await this.#job(jobId, 'aggregates', 'result');
    if (job.releases.length > 0) throw new JobStateError(jobId, 'not yet run', 'already run');
    await this.#refresh(job);
    const spec = parseAggregatesSpec(job.submission.model);
    const escrow = await this.#deps.source.escrow(job.request.jobId, job.policy.id);
    // Pure-DP spend is not an RDP step, so it is charged by basic composition against
    // everything already spent: the ledger's DP-SGD spend plus what the chain has settled.
    const budget = policyBudget(job.policy).epsilon;
    const local = job.ledger.spent().epsilon + job.pure;
    const spent = Math.max(local, Number(escrow.policyEpsilonSpent) / POLICY_EPSILON_SCALE);
    if (!(spec.epsilon > 0) || spent + spec.epsilon > budget) throw new JobBudgetExhaustedError(job.policy.id, spent + spec.epsilon, budget);
    // Durable before release, as the RDP ledger does for a step.
    const key = pureSpendKey(job.policy.id.toString(), job.request.buyer);
    await this.#deps.ledgerStorage.save(key, new TextEncoder().encode(JSON.stringify({ epsilon: job.pure + spec.epsilon })));
    job.pure += spec.epsilon;
    const files = job.files.map((f) => ({ fileId: f.fileId, contributor: f.contributor, durationSec: f.durationSec, score: f.score / 10_000, language: f.language }));
    const release = releaseAggregates(files, spec, this.#deps.random);
    const kept = new Set(capContributions(files, spec).map((f) => f.fileId.toLowerCase()));
    for (const f of job.files) if (kept.has(f.fileId.toLowerCase())) job.used.set(f.fileId.toLowerCase(), f);
    job.aggregatesEpsilon = spec.epsilon;
    await (await this.#jobRuns()).advance(job.request.jobId, 1);
    return { sealed: await this.#release(job, { kind: 'aggregates', ...release }), epsilonSpent: spec.epsilon };
  }

  /**
   * One DP-SGD step of a gradient job: the buyer's parameters in, one noisy gradient sum
   * sealed to the buyer out. The buyer's signature over this job, this step index and these
   * parameters is checked first; then the ledger refuses a step past the budget before any
   * data is read. Steps of one job run one at a time.
   */
  async gradientStep(jobId: Hex, step: StepRequest): Promise<SealedRelease & { examples: number }> {
    const job = await this.#job(jobId, 'gradients', 'step');
    if (job.busy) throw new JobStateError(jobId, 'idle', 'running a step');
    job.busy = true;
    try {
      await this.#checkDeadline('step', step.deadline);
      const message = jobStepMessage({
        jobId: job.request.jobId,
        index: uint32('index', step.index),
        parameters: float32Bytes(step.parameters),
        sampleRate: finiteNumber('sampleRate', step.sampleRate),
        noiseMultiplier: finiteNumber('noiseMultiplier', step.noiseMultiplier),
        clipNorm: finiteNumber('clipNorm', step.clipNorm),
        deadline: step.deadline,
      });
      await requireBuyerSignature('step', jobStepTypedData(this.#domain, message), step.signature, job.policy);
      if (step.index !== job.steps) throw new JobStepOutOfOrderError(jobId, 'step', job.steps, step.index);
      return await this.#step(job, step);
    } finally {
      job.busy = false;
    }
  }

  async #step(job: Job, step: StepRequest): Promise<SealedRelease & { examples: number }> {
    await this.#refresh(job);
    const params = job.submission.params as GradientJobParams;
    if (step.parameters.length !== params.parameters) throw new JobParameterError('parameters', `${params.parameters} values`, step.parameters.length);
    // The RDP ledger knows only DP-SGD steps; aggregates already spent count against the same budget.
    if (job.pure > 0) {
      const after = job.ledger.canSpend({ sampleRate: step.sampleRate, noiseMultiplier: step.noiseMultiplier }).epsilon + job.pure;
      const budget = policyBudget(job.policy).epsilon;
      if (after > budget) throw new JobBudgetExhaustedError(job.policy.id, after, budget);
    }
    const examples = await this.#examples(job, params);
    const result = await privateGradientStep(
      { model: job.model!, ledger: job.ledger, random: this.#deps.random },
      examples.set,
      { parameters: step.parameters, sampleRate: step.sampleRate, noiseMultiplier: step.noiseMultiplier, clipNorm: step.clipNorm, chunkSize: step.chunkSize ?? 256 },
    );
    for (const index of result.used) {
      const file = examples.files[index]!;
      job.used.set(file.fileId.toLowerCase(), file);
    }
    job.steps += 1;
    // The step index is sealed with the spend, before the release: a restart never forgets a step that left.
    await (await this.#jobRuns()).advance(job.request.jobId, job.steps);
    const sealed = await this.#release(job, { kind: 'gradient-step', step: job.steps, noisySum: Array.from(result.noisySum), epsilonSpent: result.epsilonSpent });
    return { sealed, epsilonSpent: result.epsilonSpent, examples: examples.set.count };
  }

  async #examples(job: Job, params: GradientJobParams): Promise<{ set: ExampleSet; files: CatalogueFile[] }> {
    const classOf = new Map(params.classes.map((c, k) => [c.toLowerCase(), k]));
    const D = params.melBands;
    const K = params.classes.length;
    const files: CatalogueFile[] = [];
    const mels: LogMelFeatures[] = [];
    for (const file of job.files) {
      if (!classOf.has(file.language.toLowerCase())) continue;
      const mel = await this.#deps.features(file);
      if (mel.nMels !== D || mel.frames < 1) continue;
      files.push(file);
      mels.push(mel);
    }
    const features = new Float32Array(files.length * D);
    const labels = new Float32Array(files.length * K);
    files.forEach((file, i) => {
      meanOverFrames(mels[i]!, features, i * D);
      labels[i * K + classOf.get(file.language.toLowerCase())!] = 1;
    });
    return { set: { count: files.length, features, featureDim: D, labels, classes: K }, files };
  }

  /**
   * Ends the job when its buyer signs for it after exactly the steps run: stops its model,
   * signs the receipt (shares of the files used, epsilon this job spent) and logs it.
   */
  async finish(jobId: Hex, request: FinishRequest): Promise<SignedJobReceipt> {
    const job = await this.#job(jobId, undefined, 'finish');
    if (job.busy) throw new JobStateError(jobId, 'idle', 'running a step');
    job.busy = true;
    try {
      await this.#checkDeadline('finish', request.deadline);
      const message = { jobId: job.request.jobId, steps: uint32('steps', request.steps), deadline: request.deadline };
      await requireBuyerSignature('finish', jobFinishTypedData(this.#domain, message), request.signature, job.policy);
      if (request.steps !== job.steps) throw new JobStepOutOfOrderError(jobId, 'finish', job.steps, request.steps);
    } finally {
      job.busy = false;
    }
    job.done = true;
    await (await this.#jobRuns()).finish(job.request.jobId);
    await job.model?.close();
    const epsilonSpent = job.submission.kind === 'gradients' ? Math.max(0, job.ledger.spent().epsilon - job.epsilonBefore) : job.aggregatesEpsilon;
    const used: UsedFile[] = [...job.used.values()].map((f) => ({ contributor: f.contributor, score: f.score }));
    const signed = await signJobReceipt(this.#deps.signer, this.#deps.escrow, {
      jobId: job.request.jobId,
      policyId: job.policy.id,
      buyer: job.request.buyer,
      modelHash: job.request.modelHash,
      price: job.policy.price,
      used,
      epsilonSpent,
      releases: job.releases,
      deadline: (await this.#now()) + (this.#deps.receiptTtlSeconds ?? 86_400n),
    });
    await this.#deps.audit.append('receipt', JSON.stringify({ ...signed.receipt, policyId: signed.receipt.policyId.toString(), epsilonSpent: signed.receipt.epsilonSpent.toString(), deadline: signed.receipt.deadline.toString(), signature: signed.signature }));
    return signed;
  }
}
