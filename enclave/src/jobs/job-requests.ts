// The job engine's requests as JSON, the form the host relays from its /v1/jobs routes
// (client/src/jobs/transport.ts is the other end): untrusted input checked field by field,
// bytes in base64 with caps before decoding, bigints as decimal strings. Each request that
// starts, steps or ends a job carries the buyer's EIP-712 signature and a deadline; the
// engine checks them (request-auth.ts).
import { isAddress, type Address, type Hex } from 'viem';
import { JobParameterError } from './errors.ts';
import type { FeaturesJobParams, GradientJobParams, JobEngine, JobSubmission } from './job-engine.ts';
import { JOB_KINDS, type JobKind } from './policy.ts';

export const MAX_MODEL_BASE64 = Math.ceil((64 * 1024 * 1024) / 3) * 4;
const MAX_PARAMETERS = 16 * 1024 * 1024;

const isBytes32 = (v: unknown): v is Hex => typeof v === 'string' && /^0x[0-9a-fA-F]{64}$/.test(v);

function base64(value: unknown, field: string, maxChars: number): Uint8Array {
  if (typeof value !== 'string' || value.length > maxChars || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) {
    throw new JobParameterError(field, `base64 of at most ${maxChars} characters`, typeof value === 'string' ? `${value.length} characters` : typeof value);
  }
  return new Uint8Array(Buffer.from(value, 'base64'));
}

function deadline(value: unknown): bigint {
  if (typeof value !== 'string' || !/^[0-9]{1,20}$/.test(value)) throw new JobParameterError('deadline', 'unix seconds as a decimal string', String(value));
  return BigInt(value);
}

function count(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > 0xffff_ffff) throw new JobParameterError(field, 'an integer in 0..2^32-1', String(value));
  return value;
}

function finite(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new JobParameterError(field, 'a finite number', String(value));
  return value;
}

const PARAM_FIELDS: Readonly<Record<JobKind, readonly string[]>> = { features: ['melBands', 'embedding'], gradients: ['melBands', 'classes', 'parameters'], aggregates: [] };

/** The kind's parameters; a field the kind does not take is refused, since the signature covers the parameters the engine uses. */
function params(kind: JobKind, raw: unknown): FeaturesJobParams | GradientJobParams | undefined {
  if (raw !== undefined && (typeof raw !== 'object' || raw === null || Array.isArray(raw))) throw new JobParameterError('params', 'a JSON object', JSON.stringify(raw)?.slice(0, 80) ?? 'none');
  const p = (raw ?? {}) as Record<string, unknown>;
  const extra = Object.keys(p).find((k) => !PARAM_FIELDS[kind].includes(k));
  if (extra !== undefined) throw new JobParameterError(`params.${extra.slice(0, 40)}`, `absent: a ${kind} job takes ${PARAM_FIELDS[kind].join(', ') || 'no parameters'}`, 'a value');
  if (kind === 'aggregates') return undefined;
  const int = (field: string, max: number) => {
    const v = p[field];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1 || v > max) throw new JobParameterError(`params.${field}`, `an integer in 1..${max}`, String(v));
    return v;
  };
  if (kind === 'features') return { melBands: int('melBands', 128), embedding: int('embedding', 65_536) };
  const classes = p['classes'];
  if (!Array.isArray(classes) || classes.length < 2 || classes.length > 1_000 || !classes.every((c) => typeof c === 'string' && c.length > 0 && c.length <= 35)) {
    throw new JobParameterError('params.classes', '2..1000 language tags', JSON.stringify(classes)?.slice(0, 80) ?? 'none');
  }
  return { melBands: int('melBands', 128), classes, parameters: int('parameters', MAX_PARAMETERS) };
}

export function parseSubmission(json: Record<string, unknown>): JobSubmission {
  if (!isBytes32(json['jobId'])) throw new JobParameterError('jobId', '32 bytes of hex', String(json['jobId']));
  if (typeof json['policyId'] !== 'string' || !/^[0-9]{1,78}$/.test(json['policyId'])) throw new JobParameterError('policyId', 'a decimal string', String(json['policyId']));
  if (typeof json['buyer'] !== 'string' || !isAddress(json['buyer'])) throw new JobParameterError('buyer', 'an address', String(json['buyer']));
  const kind = json['kind'] as JobKind;
  if (!JOB_KINDS.includes(kind)) throw new JobParameterError('kind', JOB_KINDS.join(' | '), String(kind));
  const buyerKey = json['buyerKey'];
  if (!isBytes32(buyerKey)) throw new JobParameterError('buyerKey', '32 bytes of hex (X25519)', String(buyerKey));
  const p = params(kind, json['params']);
  return {
    deadline: deadline(json['deadline']),
    signature: json['signature'],
    jobId: json['jobId'],
    policyId: BigInt(json['policyId']),
    buyer: json['buyer'] as Address,
    kind,
    model: base64(json['model'], 'model', MAX_MODEL_BASE64),
    buyerKey: new Uint8Array(Buffer.from(buyerKey.slice(2), 'hex')),
    ...(p === undefined ? {} : { params: p }),
  };
}

function float32(bytes: Uint8Array, field: string): Float32Array {
  if (bytes.length % 4 !== 0) throw new JobParameterError(field, 'float32 little-endian values', `${bytes.length} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Float32Array.from({ length: bytes.length / 4 }, (_, i) => view.getFloat32(i * 4, true));
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');

/** The engine behind JSON requests; each method answers the JSON its host route returns. */
export function jobRequests(engine: JobEngine) {
  const state = new Map<string, { kind: JobKind; files: number; steps: number; status: 'running' | 'finished' }>();
  const results = new Map<string, Promise<{ sealed: string; epsilonSpent: number }>>();
  /** A job of this boot; one started before a restart is JOB_INTERRUPTED (engine.refuseStartedBefore). */
  const view = async (jobId: Hex, request: string) => {
    const s = state.get(jobId.toLowerCase());
    if (s === undefined) {
      await engine.refuseStartedBefore(jobId, request);
      throw new JobParameterError('jobId', 'a submitted job', jobId);
    }
    return { jobId, ...s };
  };
  return {
    /**
     * Starts the job, or, when its features are not all in reach (host-kept entries), answers the
     * ids it waits for in `featuresMissing` and registers nothing: the same body starts it later.
     */
    async submit(json: Record<string, unknown>) {
      const submission = parseSubmission(json);
      const { files, featuresMissing } = await engine.submit(submission);
      if (featuresMissing.length > 0) return { jobId: submission.jobId, kind: submission.kind, files, steps: 0, status: 'running' as 'running' | 'finished', featuresMissing };
      state.set(submission.jobId.toLowerCase(), { kind: submission.kind, files, steps: 0, status: 'running' });
      return view(submission.jobId, 'submission');
    },
    /** Whether this boot runs (or ran) the job. */
    has: (jobId: Hex) => state.has(jobId.toLowerCase()),
    status: (jobId: Hex) => view(jobId, 'status'),
    /** Runs a features or aggregates job once and keeps its sealed release, so asking again returns the same bytes. */
    async result(jobId: Hex) {
      const { kind } = await view(jobId, 'result');
      const key = jobId.toLowerCase();
      let answer = results.get(key);
      if (answer === undefined) {
        answer = (async () => {
          const release = kind === 'features' ? await engine.runFeatures(jobId) : await engine.runAggregates(jobId);
          return { sealed: b64(release.sealed), epsilonSpent: release.epsilonSpent };
        })();
        results.set(key, answer);
        answer.catch(() => results.delete(key));
      }
      return answer;
    },
    async step(jobId: Hex, json: Record<string, unknown>) {
      const s = await view(jobId, 'step');
      const parameters = float32(base64(json['parameters'], 'parameters', Math.ceil((MAX_PARAMETERS * 4) / 3) * 4 + 4), 'parameters');
      const release = await engine.gradientStep(jobId, {
        index: count(json['index'], 'index'),
        deadline: deadline(json['deadline']),
        signature: json['signature'],
        parameters,
        sampleRate: finite(json['sampleRate'], 'sampleRate'),
        noiseMultiplier: finite(json['noiseMultiplier'], 'noiseMultiplier'),
        clipNorm: finite(json['clipNorm'], 'clipNorm'),
      });
      state.get(jobId.toLowerCase())!.steps = s.steps + 1;
      return { sealed: b64(release.sealed), epsilonSpent: release.epsilonSpent };
    },
    async finish(jobId: Hex, json: Record<string, unknown>) {
      await view(jobId, 'finish');
      const { receipt, signature, shares } = await engine.finish(jobId, { steps: count(json['steps'], 'steps'), deadline: deadline(json['deadline']), signature: json['signature'] });
      state.get(jobId.toLowerCase())!.status = 'finished';
      return {
        receipt: { ...receipt, policyId: receipt.policyId.toString(), epsilonSpent: receipt.epsilonSpent.toString(), deadline: receipt.deadline.toString() },
        signature,
        shares: shares.map((s) => ({ account: s.account, amount: s.amount.toString() })),
      };
    },
  };
}
