// The host's HTTP API as an express app built from its dependencies, with no listening
// socket: tests run it in-process and `listen` serves it.
import express, { type Express } from 'express';
import { randomUUID } from 'node:crypto';
import type { Hex, TypedDataDomain } from 'viem';
import type { BlobStore } from './blobs/blob-store.ts';
import type { ContributionStore } from './db/contributions.ts';
import type { EnclaveClient, JobRelay } from './deps.ts';
import { HttpNotFoundError } from './errors.ts';
import type { Logger } from './log.ts';
import type { HostMetrics } from './metrics.ts';
import { errorHandler } from './middleware/error-handler.ts';
import { requestContext } from './middleware/request-context.ts';
import type { ScoringQueue } from './queue/scoring-queue.ts';
import type { AuditLogStore } from './db/audit-log.ts';
import { attestationRoutes } from './routes/attestation.ts';
import { auditRoutes } from './routes/audit.ts';
import { contributionRoutes } from './routes/contributions.ts';
import { jobRoutes } from './routes/jobs.ts';
import { serviceRoutes } from './routes/service.ts';

export interface AppDeps {
  enclave: Pick<EnclaveClient, 'attest'>;
  /** Buyers' jobs relayed to the enclave; without it the job routes answer 503. */
  jobs?: JobRelay;
  /** The enclave's audit log as stored with its states; without it GET /v1/audit answers 503. */
  audit?: Pick<AuditLogStore, 'page'>;
  blobs: BlobStore;
  contributions: ContributionStore;
  queue: ScoringQueue;
  metrics: HostMetrics;
  logger: Logger;
  maxUploadBytes: number;
  manifestDomain?: TypedDataDomain;
  /** Told when a new file is queued (the scoring worker's wake-up). */
  onQueued?: (fileId: Hex) => void;
  randomId?: () => string;
  /** Wall clock, milliseconds. */
  now?: () => number;
  /** Monotonic clock for latencies, milliseconds. */
  monotonic?: () => number;
}

export function createApp(deps: AppDeps): Express {
  const now = deps.now ?? Date.now;
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('query parser', 'simple');
  app.use(
    requestContext({
      logger: deps.logger,
      metrics: deps.metrics,
      randomId: deps.randomId ?? randomUUID,
      clock: deps.monotonic ?? (() => performance.now()),
    }),
  );
  attestationRoutes(app, { enclave: deps.enclave });
  contributionRoutes(app, {
    blobs: deps.blobs,
    contributions: deps.contributions,
    metrics: deps.metrics,
    maxUploadBytes: deps.maxUploadBytes,
    manifestDomain: deps.manifestDomain,
    onQueued: deps.onQueued,
  });
  jobRoutes(app, { jobs: deps.jobs });
  auditRoutes(app, { audit: deps.audit });
  serviceRoutes(app, {
    metrics: deps.metrics,
    queueDepth: () => deps.queue.depthByState(),
    blobStoreKind: deps.blobs.kind,
    startedAt: now(),
    now,
  });
  app.use((req) => {
    throw new HttpNotFoundError(req.method, req.path);
  });
  app.use(errorHandler(deps.logger));
  return app;
}
