// The inside of one scoring thread (started by scoring-pool.ts): decodes a file and runs the
// analysis half of the pipeline with the thread's own Silero session, so files are analysed
// on every core. It never sees the fingerprint index; the main thread judges the result.
import { isMainThread, parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { isAudataError, type ErrorDetails } from '@audata/wire';
import { decodeAudio } from '../audio/decode/index.ts';
import { analyseRecording, type RecordingAnalysis } from '../audio/pipeline.ts';
import { SileroVad } from '../audio/vad.ts';

/** Marks a thread started as a scoring worker, whether from source or inside the bundle. */
export const SCORING_WORKER_TAG = 'audata-scoring-worker';

export interface ScoringWorkerData {
  tag: typeof SCORING_WORKER_TAG;
  vadModelPath: string;
  /** Pinned hash the model must have (the pipeline's own unless a test asks for a refusal). */
  expectedVadSha256?: string;
}

/** An error as it crosses the thread boundary: an AudataError keeps its code, details and hint. */
export interface WorkerError {
  name: string;
  message: string;
  code?: string;
  details?: ErrorDetails;
  hint?: string;
}

export type ScoringRequest = { id: number; audio: Uint8Array };
/** Sent once a file is decoded, before its analysis: the pool sets the file's time limit from its length. */
export type ScoringProgress = { id: number; decodedSeconds: number };
export type ScoringResponse = { id: number; ok: true; analysis: RecordingAnalysis } | { id: number; ok: false; error: WorkerError };
export type ScoringReady = { ready: true; vadModelSha256: string } | { ready: false; error: WorkerError };

export function workerErrorOf(error: unknown): WorkerError {
  if (isAudataError(error)) {
    return { name: error.name, message: error.message, code: error.code, details: error.details, ...(error.hint === undefined ? {} : { hint: error.hint }) };
  }
  return error instanceof Error ? { name: error.name, message: error.message } : { name: 'Error', message: String(error) };
}

/** Loads the model (hash-checked), says so, then analyses one file per request. */
export async function serveScoringWorker(port: MessagePort, data: ScoringWorkerData): Promise<void> {
  let vad: SileroVad;
  try {
    vad = await SileroVad.load({ modelPath: data.vadModelPath, intraOpNumThreads: 1, ...(data.expectedVadSha256 === undefined ? {} : { expectedSha256: data.expectedVadSha256 }) });
  } catch (error) {
    port.postMessage({ ready: false, error: workerErrorOf(error) } satisfies ScoringReady);
    return;
  }
  // One file at a time: the pool sends the next only after this one's answer.
  port.on('message', (request: ScoringRequest) => {
    const onDecoded = (seconds: number) => port.postMessage({ id: request.id, decodedSeconds: seconds } satisfies ScoringProgress);
    analyse(vad, request.audio, onDecoded).then(
      ({ analysis, transfer }) => port.postMessage({ id: request.id, ok: true, analysis } satisfies ScoringResponse, transfer),
      (error: unknown) => port.postMessage({ id: request.id, ok: false, error: workerErrorOf(error) } satisfies ScoringResponse),
    );
  });
  port.postMessage({ ready: true, vadModelSha256: vad.sha256 } satisfies ScoringReady);
}

async function analyse(vad: SileroVad, audio: Uint8Array, onDecoded: (seconds: number) => void): Promise<{ analysis: RecordingAnalysis; transfer: ArrayBuffer[] }> {
  let samples: Float32Array | undefined;
  try {
    const audioData = await decodeAudio(audio);
    samples = audioData.samples;
    onDecoded(audioData.durationSeconds);
    const analysis = await analyseRecording(samples, { vad });
    // The log-mel goes back by transfer; a view into a larger buffer is copied first, so
    // nothing beside it crosses with it.
    const mel = analysis.mel.data;
    if (mel.byteOffset !== 0 || mel.byteLength !== mel.buffer.byteLength) analysis.mel = { ...analysis.mel, data: mel.slice() };
    return { analysis, transfer: analysis.mel.data.byteLength > 0 ? [analysis.mel.data.buffer as ArrayBuffer] : [] };
  } finally {
    // This thread's copy of the plaintext, encoded and decoded, is gone once the file is analysed.
    audio.fill(0);
    samples?.fill(0);
  }
}

// Started by scoring-pool.ts: from source this file runs under tsx; inside the bundled enclave
// the whole bundle runs and this module, found by its tag, serves (src/main.ts then stays idle).
if (!isMainThread && parentPort !== null && (workerData as Partial<ScoringWorkerData> | null)?.tag === SCORING_WORKER_TAG) {
  void serveScoringWorker(parentPort, workerData as ScoringWorkerData);
}
