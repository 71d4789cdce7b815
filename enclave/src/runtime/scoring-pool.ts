// Scoring threads, so the enclave analyses as many files at once as it has cores. Each thread
// has its own Silero session (the pinned model, hash-checked in the thread) and analyses one
// file at a time; the plaintext moves to it by transfer, so none stays on the main thread.
// The judgement (fingerprint index, final score) stays on the main thread: see pooled-scorer.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { AudataError } from '@audata/wire';
import { DEFAULT_MAX_DURATION_SECONDS } from '../audio/decode/index.ts';
import type { RecordingAnalysis } from '../audio/pipeline.ts';
import { DEFAULT_SCORING_TIMEOUT_MS, MAX_SCORING_THREADS } from './config.ts';
import { RuntimeError } from './errors.ts';
import { SCORING_WORKER_TAG, type ScoringProgress, type ScoringReady, type ScoringRequest, type ScoringResponse, type ScoringWorkerData, type WorkerError } from './scoring-worker.ts';

/**
 * How long a file may hold a thread, counted from when the thread receives it: the larger of a
 * floor and an allowance per second of decoded audio. Until the thread has decoded the file its
 * length is unknown, so the limit is that of the longest file the decoder accepts (1 h).
 */
export interface ScoringTimeLimit {
  floorMs: number;
  msPerAudioSecond: number;
}

/**
 * Decoding and analysis cost 4 to 11 ms per second of audio on one core (30 s to 30 min of
 * speech, this 2-core machine), so 50 ms (20x real time) leaves a margin of 5x or more for a
 * loaded machine. With the 30 s floor (AUDATA_SCORING_TIMEOUT_MS), files up to 10 min get 30 s.
 */
export const DEFAULT_SCORING_TIME_LIMIT: Readonly<ScoringTimeLimit> = { floorMs: DEFAULT_SCORING_TIMEOUT_MS, msPerAudioSecond: 50 };

/** The limit for a file of `audioSeconds` (undefined: not decoded yet, so the decoder's longest). */
export function scoringTimeLimitMs(limit: Readonly<ScoringTimeLimit>, audioSeconds: number | undefined): number {
  const seconds = audioSeconds === undefined ? DEFAULT_MAX_DURATION_SECONDS : Math.min(Math.max(0, audioSeconds), DEFAULT_MAX_DURATION_SECONDS);
  return Math.ceil(Math.max(limit.floorMs, limit.msPerAudioSecond * seconds));
}

/** A scoring thread died with a file in it; the file was not scored and can be sent again. */
export class ScoringWorkerCrashedError extends RuntimeError {
  override name = 'ScoringWorkerCrashedError' as const;
  constructor(exitCode: number) {
    super('ENCLAVE_SCORING_WORKER_CRASHED', `The scoring thread analysing this file stopped (exit code ${exitCode}); another is being started.`, {
      details: { exitCode, retryable: true },
      hint: 'Send the contribution again; nothing of it was scored or recorded.',
    });
  }
}

/**
 * A file held its thread past its time limit (a decoder or analysis caught in a loop); the thread
 * was stopped and another started. Final: the same file would hold a thread as long again.
 */
export class ScoringTimeoutError extends RuntimeError {
  override name = 'ScoringTimeoutError' as const;
  constructor(limitMs: number, audioBytes: number, audioSeconds: number | undefined) {
    const stage = audioSeconds === undefined ? 'decoding' : 'analysis';
    super('ENCLAVE_SCORING_TIMEOUT', `Scoring this file (${audioBytes} bytes${audioSeconds === undefined ? ', not yet decoded' : `, ${audioSeconds.toFixed(1)} s of audio`}) took longer than its limit of ${limitMs} ms; its scoring thread was stopped and another is being started.`, {
      details: { limitMs, audioBytes, stage, ...(audioSeconds === undefined ? {} : { audioSeconds }), retryable: false },
      hint: 'The file will not be scored: sending it again would hold a thread as long again. Record it again as plain WAV or Ogg Opus; if the enclave was only overloaded, raise AUDATA_SCORING_TIMEOUT_MS.',
    });
  }
}

/** No scoring thread is left (the pool was closed, or no thread could be started again). */
export class ScoringUnavailableError extends RuntimeError {
  override name = 'ScoringUnavailableError' as const;
  constructor(reason: string) {
    super('ENCLAVE_SCORING_UNAVAILABLE', `No scoring thread can take the file: ${reason}.`, { details: { reason }, hint: 'Restart the enclave.' });
  }
}

/** A worker's failure on the main thread: the same code, message, details and hint, and the original name. */
export class ScoringThreadError extends AudataError {
  override name: string;
  constructor(error: Required<Pick<WorkerError, 'code'>> & WorkerError) {
    super(error.code, error.message, { ...(error.details === undefined ? {} : { details: error.details }), ...(error.hint === undefined ? {} : { hint: error.hint }) });
    this.name = error.name;
  }
}

function errorFromWorker(error: WorkerError): Error {
  if (error.code !== undefined) return new ScoringThreadError({ ...error, code: error.code });
  // Not a typed refusal: a bug, reported as the channel reports bugs (INTERNAL), message kept for the enclave's log.
  const e = new Error(error.message);
  e.name = error.name;
  return e;
}

export interface ScoringPoolOptions {
  /** Threads, 1 to MAX_SCORING_THREADS. */
  threads: number;
  /** The Silero model; every thread checks its hash before serving. */
  vadModelPath: string;
  /** Tests only: another pinned hash, to see the refusal. */
  expectedVadSha256?: string;
  /**
   * Tests only: the module a thread runs. By default scoring-worker.ts from source (under tsx),
   * or, inside the bundled enclave, the bundle itself (the same measured bytes).
   */
  entry?: URL;
  /** Per-file time limit; DEFAULT_SCORING_TIME_LIMIT unless given. */
  timeLimit?: Readonly<ScoringTimeLimit>;
  /** Told when a thread stops unexpectedly, is stopped or cannot be started again; never given audio. */
  onWarning?: (message: string) => void;
}

interface Task {
  audio: Uint8Array;
  /** The audio's length, kept for the timeout's details once the bytes have moved to the thread. */
  bytes: number;
  resolve: (analysis: RecordingAnalysis) => void;
  reject: (error: unknown) => void;
}

interface Slot {
  /** Undefined while a replacement starts, or for good once none could be started. */
  worker: Worker | undefined;
  dead: boolean;
  task: Task | undefined;
  /** The time limit of the file in the thread. */
  timer: ReturnType<typeof setTimeout> | undefined;
}

export class ScoringPool {
  readonly #options: ScoringPoolOptions;
  readonly #slots: Slot[] = [];
  readonly #queue: Task[] = [];
  #closed = false;
  #nextId = 1;

  private constructor(options: ScoringPoolOptions) {
    this.#options = options;
  }

  /** Starts every thread and waits until each has loaded the model; a refusal (e.g. a wrong model hash) keeps its code. */
  static async start(options: ScoringPoolOptions): Promise<ScoringPool> {
    if (!Number.isSafeInteger(options.threads) || options.threads < 1 || options.threads > MAX_SCORING_THREADS) {
      throw new TypeError(`ScoringPool: threads must be an integer from 1 to ${MAX_SCORING_THREADS}, got ${options.threads}`);
    }
    const pool = new ScoringPool(options);
    for (let i = 0; i < options.threads; i += 1) pool.#slots.push({ worker: undefined, dead: false, task: undefined, timer: undefined });
    const started = await Promise.allSettled(pool.#slots.map((slot) => pool.#spawn(slot)));
    const failed = started.find((s) => s.status === 'rejected');
    if (failed !== undefined) {
      await pool.close();
      throw failed.reason;
    }
    return pool;
  }

  /** Threads serving or being started again. */
  get threads(): number {
    return this.#slots.filter((s) => !s.dead).length;
  }

  /**
   * Decodes and analyses one file on a free thread. Takes the bytes: their buffer moves to the
   * thread (the caller's view is left empty), or, when it cannot move whole, is copied and zeroed.
   */
  analyse(audio: Uint8Array): Promise<RecordingAnalysis> {
    const owned = ownBuffer(audio);
    if (this.#closed || this.threads === 0) {
      owned.fill(0);
      return Promise.reject(new ScoringUnavailableError(this.#closed ? 'the pool is closed' : 'every thread failed to start again'));
    }
    return new Promise((resolve, reject) => {
      this.#queue.push({ audio: owned, bytes: owned.byteLength, resolve, reject });
      this.#dispatch();
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const task of this.#queue.splice(0)) {
      task.audio.fill(0);
      task.reject(new ScoringUnavailableError('the pool is closed'));
    }
    await Promise.all(this.#slots.map(async (slot) => {
      const worker = slot.worker;
      slot.worker = undefined;
      clearTimeout(slot.timer);
      slot.timer = undefined;
      slot.task?.reject(new ScoringUnavailableError('the pool is closed'));
      slot.task = undefined;
      await worker?.terminate();
    }));
  }

  #dispatch(): void {
    for (const slot of this.#slots) {
      if (this.#queue.length === 0) return;
      if (slot.worker === undefined || slot.task !== undefined) continue;
      const task = this.#queue.shift()!;
      slot.task = task;
      const worker = slot.worker;
      const id = this.#nextId++;
      const limit = this.#options.timeLimit ?? DEFAULT_SCORING_TIME_LIMIT;
      const sentAt = performance.now();
      // Armed for the longest file until the thread says how long this one is, then tightened.
      const arm = (audioSeconds: number | undefined) => {
        clearTimeout(slot.timer);
        const limitMs = scoringTimeLimitMs(limit, audioSeconds);
        slot.timer = setTimeout(() => this.#timedOut(slot, worker, task, limitMs, audioSeconds), Math.max(0, sentAt + limitMs - performance.now()));
      };
      const done = (response: ScoringResponse | ScoringProgress) => {
        if (response.id !== id || slot.task !== task) return;
        if ('decodedSeconds' in response) return void (Number.isFinite(response.decodedSeconds) && arm(response.decodedSeconds));
        worker.off('message', done);
        clearTimeout(slot.timer);
        slot.timer = undefined;
        slot.task = undefined;
        if (response.ok) task.resolve(response.analysis);
        else task.reject(errorFromWorker(response.error));
        this.#dispatch();
      };
      worker.on('message', done);
      arm(undefined);
      try {
        worker.postMessage({ id, audio: task.audio } satisfies ScoringRequest, [task.audio.buffer as ArrayBuffer]);
      } catch (error) {
        worker.off('message', done);
        clearTimeout(slot.timer);
        slot.timer = undefined;
        slot.task = undefined;
        task.audio.fill(0);
        task.reject(error);
      }
    }
  }

  /** Starts a thread for the slot and resolves once it has loaded and checked the model. */
  #spawn(slot: Slot): Promise<void> {
    const data: ScoringWorkerData = {
      tag: SCORING_WORKER_TAG,
      vadModelPath: this.#options.vadModelPath,
      ...(this.#options.expectedVadSha256 === undefined ? {} : { expectedVadSha256: this.#options.expectedVadSha256 }),
    };
    const worker = startWorker(this.#options.entry ?? defaultEntry(), data);
    // The exit that follows is what the pool acts on; the error itself may name file content.
    worker.on('error', () => undefined);
    return new Promise((resolve, reject) => {
      let ready = false;
      worker.once('exit', (code) => {
        if (!ready) reject(new ScoringUnavailableError(`a thread exited (code ${code}) before it loaded the model`));
        else this.#lost(slot, worker, code);
      });
      worker.once('message', (message: ScoringReady) => {
        if (!message.ready) {
          void worker.terminate();
          return reject(errorFromWorker(message.error));
        }
        ready = true;
        if (this.#closed) return void worker.terminate().then(() => resolve());
        slot.worker = worker;
        resolve();
        this.#dispatch();
      });
    });
  }

  /** A thread that exits while the pool is open is replaced; the file it held fails as retryable. */
  #lost(slot: Slot, worker: Worker, code: number): void {
    if (slot.worker !== worker || this.#closed) return;
    this.#options.onWarning?.(`a scoring thread stopped (exit code ${code})${slot.task === undefined ? '' : ' with a file in it'}; starting another`);
    this.#replace(slot, new ScoringWorkerCrashedError(code));
  }

  /**
   * A thread still busy with a file at the file's limit is stopped and replaced; the file fails
   * for good. Its plaintext is in that thread alone (moved there), and goes with its isolate.
   */
  #timedOut(slot: Slot, worker: Worker, task: Task, limitMs: number, audioSeconds: number | undefined): void {
    if (slot.worker !== worker || slot.task !== task || this.#closed) return;
    this.#options.onWarning?.(`a scoring thread held a file past its limit of ${limitMs} ms; stopping it and starting another`);
    // The exit that follows finds the slot no longer this worker's, so it is not counted as a crash.
    void worker.terminate();
    this.#replace(slot, new ScoringTimeoutError(limitMs, task.bytes, audioSeconds));
  }

  /** Fails the slot's file, if any, with `failure`, and starts a thread in its place. */
  #replace(slot: Slot, failure: Error): void {
    slot.worker = undefined;
    clearTimeout(slot.timer);
    slot.timer = undefined;
    const task = slot.task;
    slot.task = undefined;
    task?.reject(failure);
    this.#spawn(slot).catch((error: unknown) => {
      this.#options.onWarning?.(`a scoring thread could not be started again (${error instanceof AudataError ? error.code : 'unknown error'})`);
      slot.dead = true;
      if (this.threads > 0) return;
      for (const t of this.#queue.splice(0)) {
        t.audio.fill(0);
        t.reject(new ScoringUnavailableError('every thread failed to start again'));
      }
    });
  }
}

/** The bytes in a buffer of their own, so it can move whole; any other view is copied and zeroed. */
function ownBuffer(audio: Uint8Array): Uint8Array {
  if (audio.buffer instanceof ArrayBuffer && audio.byteOffset === 0 && audio.byteLength === audio.buffer.byteLength) return audio;
  const copy = new Uint8Array(audio);
  audio.fill(0);
  return copy;
}

/**
 * From source, the worker module under tsx; in the bundle, the bundle itself. Decided by what is
 * running, not by what files lie beside it: a file placed next to the bundle must not be run.
 */
function defaultEntry(): URL {
  return import.meta.url.endsWith('.ts') ? new URL('./scoring-worker.ts', import.meta.url) : new URL(import.meta.url);
}

function startWorker(entry: URL, workerData: ScoringWorkerData): Worker {
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry, { workerData });
  // Node 20 does not apply `--import tsx` to a worker's entry, so the thread registers tsx's ESM
  // hooks itself (tsx/esm/api, found by path: `import.meta.resolve` is unavailable when this
  // module runs as CommonJS under a test runner, and the CommonJS build of that API cannot
  // register) before importing the module.
  const api = pathToFileURL(join(dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist/esm/api/index.mjs')).href;
  const boot = `import(${JSON.stringify(api)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(boot, { eval: true, workerData });
}
