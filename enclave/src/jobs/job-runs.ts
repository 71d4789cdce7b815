// The jobs this enclave has started, kept in the privacy-ledger storage that is sealed with every
// state, so that after a restart a captured signed submission cannot start its job again (and so
// take replayed step signatures) while its deadline lasts. One small entry, pruned of every job
// whose submission has expired: such a submission is refused by its deadline anyway.
import type { Hex } from 'viem';
import type { LedgerStorage } from '../privacy/ledger.ts';
import { PrivacyLedgerCorruptError } from '../privacy/errors.ts';
import { JobRunsFullError } from './job-errors.ts';

/** Where the records live among the ledger entries. */
export const JOB_RUNS_KEY = 'job-runs';
/** Jobs whose submissions are still live at once; about 100 bytes each in every sealed state. */
export const DEFAULT_MAX_JOB_RUNS = 1024;
const FORMAT_VERSION = 1;
const MAX_BYTES = 256 * 1024;

export interface JobRun {
  /** The signed submission's deadline (unix seconds): once past, the record can go. */
  deadline: bigint;
  /** Releases made: a gradient job's steps run, or 1 once a features or aggregates result left. */
  releases: number;
  finished: boolean;
}

function parse(bytes: Uint8Array): Map<string, JobRun> {
  if (bytes.length > MAX_BYTES) throw new PrivacyLedgerCorruptError(`the job records under ${JOB_RUNS_KEY} are ${bytes.length} bytes, over ${MAX_BYTES}`);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw new PrivacyLedgerCorruptError(`the job records under ${JOB_RUNS_KEY} are not UTF-8 JSON`);
  }
  const body = json as { v?: unknown; runs?: unknown };
  if (typeof json !== 'object' || json === null || body.v !== FORMAT_VERSION || !Array.isArray(body.runs)) {
    throw new PrivacyLedgerCorruptError(`the job records under ${JOB_RUNS_KEY} are not { v: ${FORMAT_VERSION}, runs: [...] }`);
  }
  const runs = new Map<string, JobRun>();
  for (const [i, raw] of (body.runs as unknown[]).entries()) {
    const [jobId, deadline, releases, finished] = Array.isArray(raw) ? (raw as unknown[]) : [];
    if (
      typeof jobId !== 'string' || !/^0x[0-9a-f]{64}$/.test(jobId) || runs.has(jobId) ||
      typeof deadline !== 'string' || !/^[0-9]{1,20}$/.test(deadline) ||
      typeof releases !== 'number' || !Number.isSafeInteger(releases) || releases < 0 || releases > 0xffff_ffff ||
      typeof finished !== 'boolean'
    ) {
      throw new PrivacyLedgerCorruptError(`job record ${i} under ${JOB_RUNS_KEY} is not [lower-case job id, deadline, releases, finished], once per job`);
    }
    runs.set(jobId, { deadline: BigInt(deadline), releases, finished });
  }
  return runs;
}

/** The started jobs, read once from storage; every change is written back before the engine acts on it. */
export class JobRuns {
  readonly #storage: LedgerStorage;
  readonly #runs: Map<string, JobRun>;
  readonly #max: number;
  #writes: Promise<unknown> = Promise.resolve();

  private constructor(storage: LedgerStorage, runs: Map<string, JobRun>, max: number) {
    this.#storage = storage;
    this.#runs = runs;
    this.#max = max;
  }

  static async open(storage: LedgerStorage, max = DEFAULT_MAX_JOB_RUNS): Promise<JobRuns> {
    const bytes = await storage.load(JOB_RUNS_KEY);
    return new JobRuns(storage, bytes === undefined ? new Map() : parse(bytes), max);
  }

  get(jobId: Hex): JobRun | undefined {
    const run = this.#runs.get(jobId.toLowerCase());
    return run === undefined ? undefined : { ...run };
  }

  get size(): number {
    return this.#runs.size;
  }

  /** Records a job as started; refused (JOB_RUNS_FULL) when the live records are at the cap. */
  async start(jobId: Hex, deadline: bigint, now: bigint): Promise<void> {
    this.#prune(now);
    const key = jobId.toLowerCase();
    if (!this.#runs.has(key) && this.#runs.size >= this.#max) throw new JobRunsFullError(this.#max, this.#earliestExpiry());
    this.#runs.set(key, { deadline, releases: 0, finished: false });
    await this.#save();
  }

  /** The job's release count, written before the release it counts leaves. */
  async advance(jobId: Hex, releases: number): Promise<void> {
    const run = this.#runs.get(jobId.toLowerCase());
    if (run === undefined) return;
    run.releases = releases;
    await this.#save();
  }

  async finish(jobId: Hex): Promise<void> {
    const run = this.#runs.get(jobId.toLowerCase());
    if (run === undefined) return;
    run.finished = true;
    await this.#save();
  }

  /** Records whose submission expired (the same test as checkRequestDeadline) can no longer be replayed. */
  #prune(now: bigint): void {
    for (const [key, run] of this.#runs) if (now > run.deadline) this.#runs.delete(key);
  }

  #earliestExpiry(): bigint {
    let earliest: bigint | undefined;
    for (const run of this.#runs.values()) if (earliest === undefined || run.deadline < earliest) earliest = run.deadline;
    return earliest ?? 0n;
  }

  /** Writes a snapshot; writes follow one another, so an older snapshot never lands last. */
  #save(): Promise<void> {
    const bytes = new TextEncoder().encode(
      JSON.stringify({ v: FORMAT_VERSION, runs: [...this.#runs].map(([id, r]) => [id, r.deadline.toString(), r.releases, r.finished]) }),
    );
    const write = this.#writes.then(() => this.#storage.save(JOB_RUNS_KEY, bytes));
    this.#writes = write.catch(() => undefined);
    return write;
  }
}
