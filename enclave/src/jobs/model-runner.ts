// Runs a checked ONNX model under time and memory limits: onnxruntime-node in a child
// process whose data segment the kernel caps (RLIMIT_DATA covers ORT's native buffers,
// which a worker thread's resourceLimits would not), killed when a run overruns. A worker
// thread is not used because terminating it during a native ORT run aborts the whole process.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { JobModelResourceError, JobModelRunError, JobModelTimeoutError, JobParameterError } from './errors.ts';
import type { ProcessFeed, ProcessRequest, ProcessResponse } from './ort-process.ts';

export interface RunnerLimits {
  /** Wall-clock limit for each run. */
  timeoutMs: number;
  /** Wall-clock limit for starting the process and loading the model. */
  loadTimeoutMs: number;
  /** Cap on the process's data segment (heap and anonymous mappings, native ones included). */
  maxMemoryMb: number;
  /** ORT intra-op threads; 1 keeps one job on one core. */
  intraOpNumThreads: number;
}

export const DEFAULT_RUNNER_LIMITS: RunnerLimits = { timeoutMs: 30_000, loadTimeoutMs: 30_000, maxMemoryMb: 2048, intraOpNumThreads: 1 };

export type Feeds = Record<string, ProcessFeed>;
export type Outputs = Record<string, { data: Float32Array; dims: number[] }>;

export class ModelRunner {
  readonly #child: ChildProcess;
  readonly #limits: RunnerLimits;
  #nextId = 1;
  #pending: { id: number; resolve: (r: ProcessResponse) => void; reject: (e: unknown) => void } | undefined;
  #dead: unknown;

  private constructor(child: ChildProcess, limits: RunnerLimits) {
    this.#child = child;
    this.#limits = limits;
    child.on('message', (response: ProcessResponse) => {
      const pending = this.#pending;
      if (pending !== undefined && pending.id === response.id) {
        this.#pending = undefined;
        pending.resolve(response);
      }
    });
    child.on('error', (error) => this.#fail(new JobModelRunError(error.message)));
    child.on('exit', (code, signal) =>
      this.#fail(new JobModelResourceError(`the model process exited (${signal ?? `code ${code}`}), e.g. out of its ${limits.maxMemoryMb} MiB memory cap`)),
    );
  }

  /** Starts a process and loads the model in it; the model must have passed checkModel first. */
  static async start(model: Uint8Array, limits: RunnerLimits = DEFAULT_RUNNER_LIMITS): Promise<ModelRunner> {
    const valid =
      limits.timeoutMs > 0 && limits.loadTimeoutMs > 0 && Number.isSafeInteger(limits.maxMemoryMb) && limits.maxMemoryMb >= 64 &&
      Number.isSafeInteger(limits.intraOpNumThreads) && limits.intraOpNumThreads >= 1;
    if (!valid) throw new JobParameterError('limits', 'timeoutMs > 0, loadTimeoutMs > 0, integer maxMemoryMb >= 64, intraOpNumThreads >= 1', JSON.stringify(limits));
    const entry = fileURLToPath(new URL('./ort-process.ts', import.meta.url));
    // From source, the child runs ort-process.ts under tsx's loader (by path: `import.meta.resolve`
    // is unavailable when this module runs as CommonJS under a test runner). In the bundled
    // enclave there is no source beside it: the child runs the same measured bundle, which
    // serves models when AUDATA_ORT_PROCESS is set (src/main.ts).
    const node = existsSync(entry)
      ? [process.execPath, '--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href, entry]
      : [process.execPath, process.argv[1] ?? ''];
    // `ulimit -d` sets RLIMIT_DATA before exec; the limit survives exec and binds node and ORT alike.
    const child = spawn(
      '/bin/sh',
      ['-c', `ulimit -d ${limits.maxMemoryMb * 1024} && exec "$@"`, 'sh', ...node],
      { stdio: ['ignore', 'ignore', 'ignore', 'ipc'], serialization: 'advanced', env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', AUDATA_ORT_PROCESS: '1' } },
    );
    const runner = new ModelRunner(child, limits);
    const loaded = runner.#await(0, limits.loadTimeoutMs);
    child.send({ id: 0, init: { model, intraOpNumThreads: limits.intraOpNumThreads } } satisfies ProcessRequest);
    const response = await loaded.catch(async (error: unknown) => {
      await runner.close();
      throw error;
    });
    if (!response.ok) {
      await runner.close();
      throw new JobModelRunError(`the model did not load: ${response.error}`);
    }
    return runner;
  }

  /** Runs the model once; on timeout the process is killed and this runner is dead. */
  async run(feeds: Feeds, outputs: string[]): Promise<Outputs> {
    if (this.#pending !== undefined) throw new JobModelRunError('a run is already in progress');
    const id = this.#nextId++;
    const response = this.#await(id, this.#limits.timeoutMs);
    // Structured clone sends a view's whole backing buffer, so a view into a larger array is compacted first.
    const compact: Feeds = {};
    for (const [name, feed] of Object.entries(feeds)) {
      const whole = feed.data.byteOffset === 0 && feed.data.byteLength === feed.data.buffer.byteLength;
      compact[name] = { data: whole ? feed.data : feed.data.slice(), dims: feed.dims };
    }
    if (this.#dead === undefined) this.#child.send({ id, feeds: compact, outputs } satisfies ProcessRequest);
    const result = await response;
    if (!result.ok) {
      // ORT reports an allocation refused by the memory cap as an ordinary run failure.
      if (/failed to allocate memory|bad_alloc/i.test(result.error)) throw new JobModelResourceError(`an allocation exceeded the ${this.#limits.maxMemoryMb} MiB memory cap`);
      throw new JobModelRunError(result.error);
    }
    return result.outputs;
  }

  async close(): Promise<void> {
    this.#dead ??= new JobModelRunError('the runner is closed');
    if (this.#child.exitCode === null && this.#child.signalCode === null) {
      const exited = new Promise((resolve) => this.#child.once('exit', resolve));
      this.#child.kill('SIGKILL');
      await exited;
    }
  }

  #await(id: number, timeoutMs: number): Promise<ProcessResponse> {
    if (this.#dead !== undefined) return Promise.reject(this.#dead);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#fail(new JobModelTimeoutError(timeoutMs));
        this.#child.kill('SIGKILL');
      }, timeoutMs);
      this.#pending = {
        id,
        resolve: (r) => (clearTimeout(timer), resolve(r)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      };
    });
  }

  #fail(error: unknown): void {
    this.#dead ??= error;
    const pending = this.#pending;
    this.#pending = undefined;
    pending?.reject(this.#dead);
  }
}
