// The host package's entry point: what the integration (the `make run` scenario, the worker
// that drives the enclave, the chain writer) builds on.
export { createApp, type AppDeps } from './app.ts';
export { createHost, startHost, DataDirError, type Host, type HostParts } from './host.ts';
export { loadConfig, ConfigError, defaults as configDefaults, type HostConfig, type S3Config } from './config.ts';
export { listen, PortInUseError, type Listening } from './listen.ts';
export { HostError, HttpError } from './errors.ts';
export { createLogger, redact, type Logger, type LogLevel } from './log.ts';
export type { EnclaveClient, ChainWriter, AttestationResult, ScoreRequest, SignedProof } from './deps.ts';
export type { BlobStore, Sha256Hex } from './blobs/blob-store.ts';
export { FsBlobStore } from './blobs/fs-store.ts';
export { S3BlobStore, createS3Client } from './blobs/s3-store.ts';
export { openDatabase } from './db/open-database.ts';
export { ContributionStore, type ContributionRecord } from './db/contributions.ts';
export { EnclaveStateStore } from './db/enclave-state.ts';
export { ScoringQueue, LeaseLostError, type Lease, type QueueState } from './queue/scoring-queue.ts';
export { submitProof } from './queue/submit-proof.ts';
export { encodeManifestHeader, MANIFEST_HEADER, SIGNATURE_HEADER, SEALED_KEY_HEADER } from './routes/upload-request.ts';
