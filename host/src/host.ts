// Builds the whole host from its configuration and the two parts supplied from outside (the
// enclave client, and later the chain writer): data directory, database, blob store,
// queue, metrics and the app. Anything unusable fails here, before the port is opened.
import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import type { Express } from 'express';
import type { TypedDataDomain } from 'viem';
import { createApp } from './app.ts';
import type { BlobStore } from './blobs/blob-store.ts';
import { FsBlobStore } from './blobs/fs-store.ts';
import { createS3Client, S3BlobStore } from './blobs/s3-store.ts';
import type { HostConfig } from './config.ts';
import { AuditLogStore } from './db/audit-log.ts';
import { ContributionStore } from './db/contributions.ts';
import { EnclaveStateStore } from './db/enclave-state.ts';
import { openDatabase } from './db/open-database.ts';
import type { EnclaveClient, JobRelay } from './deps.ts';
import { HostError } from './errors.ts';
import { listen, type Listening } from './listen.ts';
import { createLogger, type Logger } from './log.ts';
import { createHostMetrics, type HostMetrics } from './metrics.ts';
import { ScoringQueue } from './queue/scoring-queue.ts';

export class DataDirError extends HostError {
  override name = 'DataDirError';
  constructor(path: string, reason: string, cause?: unknown) {
    super('HOST_DATA_DIR_UNUSABLE', `The data directory ${path} cannot be used: ${reason}.`, {
      details: { path, reason },
      hint: 'Point AUDATA_HOST_DATA_DIR (or --data-dir) at a writable directory.',
      cause,
    });
  }
}

export interface HostParts {
  enclave: EnclaveClient;
  /** Buyers' jobs relayed to the enclave (the channel client); without it the job routes answer 503. */
  jobs?: JobRelay;
  logger?: Logger;
  /** The EIP-712 domain of manifests, once the registry address is known. */
  manifestDomain?: TypedDataDomain;
  /** Told when a new file is queued (the scoring worker's wake-up). */
  onQueued?: (fileId: `0x${string}`) => void;
  now?: () => number;
}

export interface Host {
  app: Express;
  db: Database;
  blobs: BlobStore;
  queue: ScoringQueue;
  contributions: ContributionStore;
  enclaveState: EnclaveStateStore;
  metrics: HostMetrics;
  logger: Logger;
  close(): void;
}

function prepareDataDir(path: string): void {
  try {
    mkdirSync(path, { recursive: true });
  } catch (error) {
    throw new DataDirError(path, (error as NodeJS.ErrnoException).code ?? 'cannot create', error);
  }
  if (!statSync(path).isDirectory()) throw new DataDirError(path, 'not a directory');
  try {
    accessSync(path, constants.W_OK | constants.R_OK);
  } catch (error) {
    throw new DataDirError(path, 'not readable and writable', error);
  }
}

export function createHost(config: HostConfig, parts: HostParts): Host {
  const logger = parts.logger ?? createLogger({ level: config.logLevel });
  const now = parts.now ?? Date.now;
  prepareDataDir(config.dataDir);
  const db = openDatabase(join(config.dataDir, 'host.sqlite'), { now });
  try {
    const blobs: BlobStore =
      config.blobStore === 's3' && config.s3 !== undefined
        ? new S3BlobStore(createS3Client(config.s3), { bucket: config.s3.bucket, prefix: config.s3.prefix, spoolDir: join(config.dataDir, 'spool') })
        : new FsBlobStore(join(config.dataDir, 'blobs'));
    const queue = new ScoringQueue(db, { leaseMs: config.leaseMs, maxAttempts: config.maxAttempts, now });
    const contributions = new ContributionStore(db, queue, now);
    const metrics = createHostMetrics(() => queue.depthByState());
    const app = createApp({
      enclave: parts.enclave,
      blobs,
      contributions,
      queue,
      metrics,
      logger,
      maxUploadBytes: config.maxUploadBytes,
      audit: new AuditLogStore(db),
      now,
      ...(parts.jobs === undefined ? {} : { jobs: parts.jobs }),
      ...(parts.manifestDomain === undefined ? {} : { manifestDomain: parts.manifestDomain }),
      ...(parts.onQueued === undefined ? {} : { onQueued: parts.onQueued }),
    });
    return { app, db, blobs, queue, contributions, enclaveState: new EnclaveStateStore(db, now), metrics, logger, close: () => db.close() };
  } catch (error) {
    db.close();
    throw error;
  }
}

/** createHost, then listen; logs the effective settings without credentials. */
export async function startHost(config: HostConfig, parts: HostParts): Promise<Host & { listening: Listening }> {
  const host = createHost(config, parts);
  try {
    const listening = await listen(host.app, { port: config.port, bind: config.bind });
    host.logger.info('host.started', {
      url: listening.url,
      dataDir: config.dataDir,
      blobStore: config.blobStore,
      ...(config.s3 === undefined ? {} : { s3: { endpoint: config.s3.endpoint ?? 'aws', bucket: config.s3.bucket, region: config.s3.region } }),
      maxUploadBytes: config.maxUploadBytes,
    });
    return { ...host, listening };
  } catch (error) {
    host.close();
    throw error;
  }
}
