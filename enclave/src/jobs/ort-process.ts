// The child process a job model runs in (started by model-runner.ts), so a runaway model
// can be killed from outside, with its memory capped by the kernel, without taking the
// enclave's main process with it. Speaks one request at a time over the IPC channel.
import * as ort from 'onnxruntime-node';

export interface ProcessInit {
  model: Uint8Array;
  intraOpNumThreads: number;
}

export interface ProcessFeed {
  data: Float32Array;
  dims: number[];
}

export type ProcessRequest = { id: number; init?: ProcessInit; feeds?: Record<string, ProcessFeed>; outputs?: string[] };
export type ProcessResponse =
  | { id: number; ok: true; outputs: Record<string, { data: Float32Array; dims: number[] }> }
  | { id: number; ok: false; error: string };

let session: Promise<ort.InferenceSession> | undefined;

async function handle(request: ProcessRequest): Promise<ProcessResponse> {
  if (request.init !== undefined) {
    if (session !== undefined) throw new Error('the model is already loaded');
    session = ort.InferenceSession.create(request.init.model, {
      intraOpNumThreads: request.init.intraOpNumThreads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
    await session;
    return { id: request.id, ok: true, outputs: {} };
  }
  if (session === undefined) throw new Error('no model is loaded');
  const feeds: Record<string, ort.Tensor> = {};
  for (const [name, feed] of Object.entries(request.feeds ?? {})) feeds[name] = new ort.Tensor('float32', feed.data, feed.dims);
  const names = request.outputs ?? [];
  const result = await (await session).run(feeds, names);
  const outputs: Record<string, { data: Float32Array; dims: number[] }> = {};
  for (const name of names) {
    const tensor = result[name];
    if (tensor === undefined || tensor.type !== 'float32') throw new Error(`output "${name}" is missing or not float32`);
    outputs[name] = { data: tensor.data as Float32Array, dims: [...tensor.dims] };
  }
  return { id: request.id, ok: true, outputs };
}

/** Serves model requests over the IPC channel of the process that spawned this one. */
export function serveModelProcess(): void {
  if (process.send === undefined) throw new Error('serveModelProcess: no IPC channel to a parent');
  process.on('message', (request: ProcessRequest) => {
    handle(request).then(
      (response) => process.send!(response),
      (error: unknown) => process.send!({ id: request.id, ok: false, error: error instanceof Error ? error.message : String(error) } satisfies ProcessResponse),
    );
  });
  process.on('disconnect', () => process.exit(0));
}

// Set by model-runner.ts in the child's environment: run as this file (tsx) or inside the
// bundled enclave (which imports this module), the child serves; the parent never does.
if (process.env['AUDATA_ORT_PROCESS'] === '1' && process.send !== undefined) serveModelProcess();
