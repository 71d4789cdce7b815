// POST /v1/contributions and GET /v1/contributions/:fileId. An upload is answered only once
// its ciphertext is durable, hash-checked against the manifest, recorded and queued.
import type { Express, Request } from 'express';
import { recoverTypedDataAddress, type Address, type Hex, type TypedDataDomain } from 'viem';
import { manifestTypes } from '@audata/wire';
import { HttpError, InvalidRequestError, preview } from '../errors.ts';
import type { BlobStore } from '../blobs/blob-store.ts';
import type { ContributionRecord, ContributionStore } from '../db/contributions.ts';
import { queueStates, type QueueState } from '../queue/scoring-queue.ts';
import type { HostMetrics } from '../metrics.ts';
import { proofForJson } from '../proof-json.ts';
import { parseUploadRequest } from './upload-request.ts';
import type { Logger } from '../log.ts';

export interface ContributionRoutesDeps {
  blobs: BlobStore;
  contributions: ContributionStore;
  metrics: HostMetrics;
  maxUploadBytes: number;
  /** When set, the manifest's signer is recovered and recorded (the enclave still decides). */
  manifestDomain: TypedDataDomain | undefined;
  /** Told when a new file is queued, so an idle scoring worker starts at once instead of at its next poll. */
  onQueued: ((fileId: Hex) => void) | undefined;
}

export class UnsupportedMediaTypeError extends HttpError {
  override name = 'UnsupportedMediaTypeError';
  constructor(received: string) {
    super(415, 'HOST_UNSUPPORTED_MEDIA_TYPE', `The body must be application/octet-stream, received ${preview(received, 60)}.`, {
      details: { expected: 'application/octet-stream', received: preview(received, 60) },
      hint: 'Send the ciphertext as the raw body and the manifest in headers (see openapi.yaml).',
    });
  }
}

export class UploadTooLargeError extends HttpError {
  override name = 'UploadTooLargeError';
  constructor(limit: number, declared: number) {
    super(413, 'HOST_UPLOAD_TOO_LARGE', `The declared length ${declared} exceeds the limit of ${limit} bytes.`, {
      details: { limit, received: declared },
      hint: 'Split the recording or ask the operator for a larger limit; nothing was stored.',
    });
  }
}

export class ContributionNotFoundError extends HttpError {
  override name = 'ContributionNotFoundError';
  constructor(fileId: string) {
    super(404, 'HOST_CONTRIBUTION_NOT_FOUND', `No contribution with fileId ${fileId}.`, { details: { fileId } });
  }
}

export function contributionView(record: ContributionRecord) {
  return {
    fileId: record.fileId,
    status: record.status,
    contributor: record.contributor,
    sizeBytes: record.sizeBytes,
    attempts: record.attempts,
    errorCode: record.errorCode,
    proof: record.proof === null ? null : proofForJson(record.proof),
    txHash: record.txHash,
    createdAt: new Date(record.createdAt).toISOString(),
    updatedAt: new Date(record.updatedAt).toISOString(),
  };
}

function declaredLength(req: Request): number | undefined {
  const header = req.headers['content-length'];
  if (header === undefined) return undefined;
  if (!/^\d{1,16}$/.test(header)) throw new InvalidRequestError('header content-length', 'a decimal byte count', preview(header, 20));
  return Number(header);
}

/** The longest a status request may be held, below common proxy idle timeouts. */
export const MAX_STATUS_WAIT_SECONDS = 30;
const STATUS_RECHECK_MS = 1000;

function statusWait(query: Request['query']): { changedFrom: QueueState; seconds: number } | undefined {
  const changedFrom = query['changedFrom'];
  const waitSeconds = query['waitSeconds'];
  if (changedFrom === undefined) {
    if (waitSeconds !== undefined) throw new InvalidRequestError('query waitSeconds', 'given only with changedFrom', preview(String(waitSeconds), 20));
    return undefined;
  }
  if (typeof changedFrom !== 'string' || !(queueStates as readonly string[]).includes(changedFrom)) {
    throw new InvalidRequestError('query changedFrom', `one of ${queueStates.join(', ')}`, preview(String(changedFrom), 20));
  }
  let seconds = 20;
  if (waitSeconds !== undefined) {
    if (typeof waitSeconds !== 'string' || !/^\d{1,3}$/.test(waitSeconds) || Number(waitSeconds) > MAX_STATUS_WAIT_SECONDS) {
      throw new InvalidRequestError('query waitSeconds', `whole seconds from 0 to ${MAX_STATUS_WAIT_SECONDS}`, preview(String(waitSeconds), 20));
    }
    seconds = Number(waitSeconds);
  }
  return { changedFrom: changedFrom as QueueState, seconds };
}

export function contributionRoutes(app: Express, deps: ContributionRoutesDeps): void {
  app.post('/v1/contributions', async (req, res) => {
    const log = res.locals['logger'] as Logger;
    const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (contentType !== 'application/octet-stream') {
      deps.metrics.uploads.inc({ outcome: 'refused' });
      throw new UnsupportedMediaTypeError(contentType || 'nothing');
    }
    let upload;
    let declared;
    try {
      upload = parseUploadRequest(req.headers);
      declared = declaredLength(req);
      if (declared !== undefined && declared > deps.maxUploadBytes) throw new UploadTooLargeError(deps.maxUploadBytes, declared);
    } catch (error) {
      deps.metrics.uploads.inc({ outcome: 'refused' });
      throw error;
    }
    const fileId = upload.manifest.ciphertextSha256;
    let contributor: Address | null = null;
    if (deps.manifestDomain !== undefined) {
      try {
        contributor = await recoverTypedDataAddress({
          domain: deps.manifestDomain,
          types: manifestTypes,
          primaryType: 'ContributionManifest',
          message: upload.manifest,
          signature: upload.signature,
        });
      } catch {
        deps.metrics.uploads.inc({ outcome: 'refused' });
        throw new InvalidRequestError('header audata-manifest-signature', 'a recoverable secp256k1 signature', 'one that does not recover');
      }
    }

    let stored;
    try {
      stored = await deps.blobs.put(fileId, req, { maxBytes: deps.maxUploadBytes });
    } catch (error) {
      deps.metrics.uploads.inc({ outcome: 'refused' });
      throw error;
    }
    const { created, record } = deps.contributions.record({
      fileId,
      manifest: upload.manifest,
      manifestSignature: upload.signature,
      sealedKey: upload.sealedKey,
      contributor,
      sizeBytes: stored.size,
    });
    deps.metrics.uploads.inc({ outcome: created ? 'created' : 'existing' });
    if (created) {
      deps.metrics.uploadBytes.inc({}, stored.size);
      deps.onQueued?.(fileId as Hex);
    }
    log.info(created ? 'contribution.accepted' : 'contribution.repeated', { fileId, bytes: stored.size, contributor });
    res.status(created ? 201 : 200).location(`/v1/contributions/${fileId}`).json(contributionView(record));
  });

  // With ?changedFrom=STATUS the answer waits (at most waitSeconds) until the status is another:
  // a client learns of its proof the moment it is stored, without polling.
  app.get('/v1/contributions/:fileId', async (req, res) => {
    const fileId = req.params['fileId'] ?? '';
    if (!/^0x[0-9a-f]{64}$/.test(fileId)) throw new InvalidRequestError('path fileId', '0x and 64 lower-case hex digits', preview(fileId, 70));
    const wait = statusWait(req.query);
    let record = deps.contributions.get(fileId as Hex);
    if (record === undefined) throw new ContributionNotFoundError(fileId);
    if (wait !== undefined && record.status === wait.changedFrom) {
      const gone = new AbortController();
      const onClose = () => gone.abort();
      res.on('close', onClose);
      try {
        const deadline = Date.now() + wait.seconds * 1000;
        while (record.status === wait.changedFrom && !gone.signal.aborted) {
          const left = deadline - Date.now();
          if (left <= 0) break;
          // Looked at again every second too: another host process may have made the change.
          await deps.contributions.nextChange(fileId as Hex, Math.min(left, STATUS_RECHECK_MS), gone.signal);
          record = deps.contributions.get(fileId as Hex) ?? record;
        }
      } finally {
        res.off('close', onClose);
      }
      if (gone.signal.aborted) return;
    }
    res.setHeader('Cache-Control', 'no-store');
    res.json(contributionView(record));
  });
}
