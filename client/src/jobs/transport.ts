// How the buyer's SDK reaches the enclave's job engine: through the untrusted host, which
// only relays (releases are sealed to the buyer, receipts are signed by the enclave and
// settled on chain). An interface, so the SDK runs against the host's HTTP API or in-process.
// Requests that start, step or end a job travel with the buyer's signature (sign.ts).
import { bytesToHex, type Address, type Hex } from 'viem';
import type { JobReceipt, Share } from '@audata/wire';
import { HostRequestError } from '../sdk/errors.ts';

export type JobKind = 'features' | 'gradients' | 'aggregates';

export interface SubmitJobRequest {
  jobId: Hex;
  policyId: bigint;
  buyer: Address;
  kind: JobKind;
  model: Uint8Array;
  buyerKey: Uint8Array;
  params?: object;
}

export interface JobStatusView {
  jobId: Hex;
  kind: JobKind;
  status: 'running' | 'finished' | 'failed';
  /** Files the job selected (a gradient buyer divides the noisy sum by sampleRate * files). */
  files: number;
  steps: number;
  errorCode?: string;
}

/** What a signed request carries besides its content (sign.ts makes it). */
export interface RequestSignature {
  /** Unix seconds on the enclave's clock. */
  deadline: bigint;
  signature: Hex;
}

export interface StepRequest {
  parameters: Float32Array;
  sampleRate: number;
  noiseMultiplier: number;
  clipNorm: number;
}

export interface FinishedJob {
  receipt: JobReceipt;
  signature: Hex;
  shares: Share[];
}

export interface JobTransport {
  submit(request: SubmitJobRequest & RequestSignature): Promise<JobStatusView>;
  status(jobId: Hex): Promise<JobStatusView>;
  /** The sealed release of a features or aggregates job (the signed submission fixed what it releases and to whom). */
  result(jobId: Hex): Promise<Uint8Array>;
  /** One DP-SGD step of a gradient job, the `index`-th (0 first): the sealed noisy sum. */
  step(jobId: Hex, request: StepRequest & { index: number } & RequestSignature): Promise<Uint8Array>;
  /** Ends the job after exactly `steps` steps: the enclave-signed receipt and the shares. */
  finish(jobId: Hex, request: { steps: number } & RequestSignature): Promise<FinishedJob>;
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
const fromB64 = (text: unknown, what: string, status: number): Uint8Array => {
  if (typeof text !== 'string') throw new HostRequestError(what, status, 'BAD_ANSWER', 'no base64 "sealed" field');
  return new Uint8Array(Buffer.from(text, 'base64'));
};

/** Float32 little-endian bytes, the parameters' wire form. */
export function float32Bytes(values: Float32Array): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return out;
}

export function receiptFromJson(json: Record<string, unknown>): JobReceipt {
  const r = json as Record<string, string | number>;
  return {
    jobId: r['jobId'] as Hex,
    policyId: BigInt(r['policyId']!),
    buyer: r['buyer'] as Address,
    modelHash: r['modelHash'] as Hex,
    sharesRoot: r['sharesRoot'] as Hex,
    filesUsed: Number(r['filesUsed']),
    epsilonSpent: BigInt(r['epsilonSpent']!),
    resultHash: r['resultHash'] as Hex,
    deadline: BigInt(r['deadline']!),
  };
}

/**
 * The host routes this transport expects (the host must provide them, relaying to the
 * enclave's job engine): POST /v1/jobs, GET /v1/jobs/{id}, GET /v1/jobs/{id}/result,
 * POST /v1/jobs/{id}/steps, POST /v1/jobs/{id}/finish. Bodies are JSON; bytes are base64,
 * bigints decimal strings; errors are { error: { code, message } } as the rest of the API.
 * Submit, step and finish bodies carry `deadline` (decimal string) and `signature`.
 */
export class HttpJobTransport implements JobTransport {
  constructor(
    readonly baseUrl: string,
    readonly fetchImpl: typeof fetch = fetch,
  ) {}

  async #call(what: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<Record<string, unknown>> {
    let response: Response;
    try {
      response = await this.fetchImpl(`${this.baseUrl}${path}`, {
        method,
        ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
      });
    } catch (error) {
      throw new HostRequestError(what, 0, 'NETWORK', (error as Error).message);
    }
    let json: Record<string, unknown> = {};
    try {
      json = (await response.json()) as Record<string, unknown>;
    } catch {
      if (response.ok) throw new HostRequestError(what, response.status, 'BAD_ANSWER', 'the answer is not JSON');
    }
    if (!response.ok) {
      const error = (json['error'] ?? {}) as { code?: string; message?: string };
      throw new HostRequestError(what, response.status, error.code ?? 'UNKNOWN', error.message ?? response.statusText);
    }
    return json;
  }

  async submit(request: SubmitJobRequest & RequestSignature): Promise<JobStatusView> {
    return (await this.#call('Submitting the job', 'POST', '/v1/jobs', {
      jobId: request.jobId,
      policyId: request.policyId.toString(),
      buyer: request.buyer,
      kind: request.kind,
      model: b64(request.model),
      buyerKey: bytesToHex(request.buyerKey),
      params: request.params ?? {},
      deadline: request.deadline.toString(),
      signature: request.signature,
    })) as unknown as JobStatusView;
  }

  async status(jobId: Hex): Promise<JobStatusView> {
    return (await this.#call('Reading the job status', 'GET', `/v1/jobs/${jobId}`)) as unknown as JobStatusView;
  }

  async result(jobId: Hex): Promise<Uint8Array> {
    return fromB64((await this.#call('Fetching the job result', 'GET', `/v1/jobs/${jobId}/result`))['sealed'], 'Fetching the job result', 200);
  }

  async step(jobId: Hex, request: StepRequest & { index: number } & RequestSignature): Promise<Uint8Array> {
    const json = await this.#call('Running a gradient step', 'POST', `/v1/jobs/${jobId}/steps`, {
      index: request.index,
      parameters: b64(float32Bytes(request.parameters)),
      sampleRate: request.sampleRate,
      noiseMultiplier: request.noiseMultiplier,
      clipNorm: request.clipNorm,
      deadline: request.deadline.toString(),
      signature: request.signature,
    });
    return fromB64(json['sealed'], 'Running a gradient step', 200);
  }

  async finish(jobId: Hex, request: { steps: number } & RequestSignature): Promise<FinishedJob> {
    const json = await this.#call('Finishing the job', 'POST', `/v1/jobs/${jobId}/finish`, { steps: request.steps, deadline: request.deadline.toString(), signature: request.signature });
    const shares = (json['shares'] as { account: Address; amount: string }[] | undefined) ?? [];
    return { receipt: receiptFromJson(json['receipt'] as Record<string, unknown>), signature: json['signature'] as Hex, shares: shares.map((s) => ({ account: s.account, amount: BigInt(s.amount) })) };
  }
}
