// Buyers' jobs, relayed to the enclave's job engine (enclave/src/jobs/job-requests.ts): the
// host passes request bodies through as bytes, never opens a release (each is sealed to the
// buyer's key inside the enclave) and keeps the enclave's refusal codes, so the buyer can act.
// Submit, step and finish bodies carry the buyer's signature; the enclave checks it, the host
// only relays it (a host that altered a body would get the request refused).
import express, { type Express, type Request, type RequestHandler } from 'express';
import type { Hex } from 'viem';
import { isAudataError } from '@audata/wire';
import type { JobRelay } from '../deps.ts';
import { HttpError, InvalidRequestError, preview } from '../errors.ts';

/** The largest job request body: the channel's frame limit (a model of up to about 12 MiB as base64). */
export const MAX_JOB_BODY_BYTES = 16 * 1024 * 1024;

export class JobsUnavailableError extends HttpError {
  override name = 'JobsUnavailableError';
  constructor(reason: string, cause?: unknown) {
    super(503, 'HOST_JOBS_UNAVAILABLE', `Jobs cannot be relayed: ${reason}.`, {
      details: { reason },
      hint: 'Retry shortly; if it persists, the operator should check that the enclave runs with jobs configured.',
      cause,
    });
  }
}

export class JobBodyTooLargeError extends HttpError {
  override name = 'JobBodyTooLargeError';
  constructor(limit: number) {
    super(413, 'HOST_JOB_BODY_TOO_LARGE', `A job request body may hold at most ${limit} bytes.`, {
      details: { expected: limit },
      hint: 'The limit is the channel frame; a model must be smaller (about 12 MiB before base64).',
    });
  }
}

/** A refusal from the enclave, with its code and message kept and a status that fits it. */
export class JobRefusedError extends HttpError {
  override name = 'JobRefusedError';
  constructor(status: number, code: string, message: string, details: Record<string, string | number | boolean | null>) {
    super(status, code, message, { details, hint: 'See the code in client/src/jobs/README.md and enclave/src/jobs/README.md.' });
  }
}

const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  JOB_POLICY_UNKNOWN: 404,
  JOB_UNPAID: 402,
  JOB_STATE: 409,
  JOB_STEP_OUT_OF_ORDER: 409,
  JOB_INTERRUPTED: 409,
  JOB_RUNS_FULL: 503,
  HOST_JOB_FEATURES_MISSING: 503,
  JOB_SIGNATURE_MISSING: 400,
  JOB_SIGNATURE_INVALID: 400,
  JOB_REQUEST_DEADLINE_TOO_FAR: 400,
  JOB_INVALID_PARAMETER: 400,
  CHANNEL_MESSAGE_INVALID: 400,
  JOB_MODEL_TOO_LARGE: 413,
  ENCLAVE_JOBS_DISABLED: 503,
  ENCLAVE_NOT_BOOTED: 503,
  HOST_ENCLAVE_UNREACHABLE: 503,
};

/** Maps what the enclave (or the channel) reported to an HTTP failure; unknown codes stay hidden 500s. */
export function jobFailure(error: unknown): unknown {
  if (!isAudataError(error) || error instanceof HttpError) return error;
  if (error.code === 'HOST_ENCLAVE_UNREACHABLE' || error.code === 'CHANNEL_TIMEOUT' || error.code === 'CHANNEL_CLOSED') return new JobsUnavailableError(error.code, error);
  const status = STATUS_BY_CODE[error.code] ?? (/^(JOB|PRIVACY)_/.test(error.code) ? (error.code.startsWith('JOB_MODEL_') ? 422 : 403) : undefined);
  if (status === undefined) return error;
  const details: Record<string, string | number | boolean | null> = {};
  for (const [key, value] of Object.entries(error.details ?? {})) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || value === null) details[key] = value;
  }
  return new JobRefusedError(status, error.code, error.message, details);
}

function jobId(req: Request): Hex {
  const id = req.params['id'];
  if (typeof id !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(id)) throw new InvalidRequestError('path id', 'a job id (32 bytes as 0x-hex)', preview(String(id), 70));
  return id as Hex;
}

function body(req: Request): Uint8Array {
  const raw: unknown = req.body;
  if (!Buffer.isBuffer(raw) || raw.length === 0) throw new InvalidRequestError('body', 'a JSON object', 'nothing');
  return new Uint8Array(raw.buffer, raw.byteOffset, raw.length);
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');

export function jobRoutes(app: Express, deps: { jobs: JobRelay | undefined; maxBodyBytes?: number }): void {
  const limit = deps.maxBodyBytes ?? MAX_JOB_BODY_BYTES;
  const relay = async <T>(run: (jobs: JobRelay) => Promise<T>): Promise<T> => {
    if (deps.jobs === undefined) throw new JobsUnavailableError('this host has no enclave job relay');
    try {
      return await run(deps.jobs);
    } catch (error) {
      throw jobFailure(error);
    }
  };
  // Bodies stay bytes: the enclave parses them; the host only caps their size.
  const parse = express.raw({ type: () => true, limit });
  const raw: RequestHandler = (req, res, next) =>
    parse(req, res, (error?: unknown) => next((error as { type?: string } | undefined)?.type === 'entity.too.large' ? new JobBodyTooLargeError(limit) : error));

  app.post('/v1/jobs', raw, async (req, res) => {
    const payload = body(req);
    res.status(201).json(await relay((jobs) => jobs.submit(payload)));
  });
  app.get('/v1/jobs/:id', async (req, res) => {
    const id = jobId(req);
    res.setHeader('Cache-Control', 'no-store');
    res.json(await relay((jobs) => jobs.status(id)));
  });
  app.get('/v1/jobs/:id/result', async (req, res) => {
    const id = jobId(req);
    const { sealed, epsilonSpent } = await relay((jobs) => jobs.result(id));
    res.setHeader('Cache-Control', 'no-store');
    res.json({ sealed: b64(sealed), epsilonSpent });
  });
  app.post('/v1/jobs/:id/steps', raw, async (req, res) => {
    const id = jobId(req);
    const payload = body(req);
    const { sealed, epsilonSpent } = await relay((jobs) => jobs.step(id, payload));
    res.json({ sealed: b64(sealed), epsilonSpent });
  });
  app.post('/v1/jobs/:id/finish', raw, async (req, res) => {
    const id = jobId(req);
    const payload = body(req);
    const answer = await relay((jobs) => jobs.finish(id, payload));
    // The enclave's JSON as it sent it: the receipt its signature covers, unaltered.
    res.type('application/json').send(Buffer.from(answer.buffer, answer.byteOffset, answer.byteLength));
  });
}
