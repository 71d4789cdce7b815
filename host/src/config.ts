// The host's settings, read once from the environment and the command line and checked
// before anything starts, so a bad setting stops the process with its name instead of
// failing some request later.
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { HostError } from './errors.ts';
import type { LogLevel } from './log.ts';

export interface S3Config {
  /** e.g. http://127.0.0.1:4568; undefined means AWS's own endpoint for the region. */
  endpoint: string | undefined;
  bucket: string;
  region: string;
  /** Key prefix inside the bucket, e.g. "audata/". */
  prefix: string;
  /** Explicit credentials; undefined lets the SDK's default chain find them (instance role). */
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } | undefined;
  forcePathStyle: boolean;
}

export interface HostConfig {
  dataDir: string;
  bind: string;
  port: number;
  blobStore: 'fs' | 's3';
  s3: S3Config | undefined;
  /** Largest ciphertext accepted in one upload. */
  maxUploadBytes: number;
  /** How long a scoring worker holds an item before it returns to the queue. */
  leaseMs: number;
  /** Scoring attempts before an item is moved to failed. */
  maxAttempts: number;
  /** Files in the enclave at once: match the enclave's scoring threads to keep them all busy. */
  scoringConcurrency: number;
  logLevel: LogLevel;
}

/** A setting is missing, malformed or out of range; names the setting and where it came from. */
export class ConfigError extends HostError {
  override name = 'ConfigError';
  constructor(setting: string, expected: string, received: string) {
    super('HOST_CONFIG_INVALID', `Setting ${setting} is invalid: expected ${expected}, received ${received}.`, {
      details: { setting, expected, received },
      hint: `Fix ${setting} (see host/README.md, Configuration) and start again.`,
    });
  }
}

export const defaults = {
  dataDir: '.data/host',
  bind: '127.0.0.1',
  port: 8787,
  blobStore: 'fs',
  maxUploadBytes: 64 * 1024 * 1024,
  leaseMs: 60_000,
  maxAttempts: 5,
  scoringConcurrency: 2,
  logLevel: 'info',
  s3Region: 'us-east-1',
} as const;

/** Flag name → environment variable. A flag wins over its variable. */
const settings = {
  'data-dir': 'AUDATA_HOST_DATA_DIR',
  bind: 'AUDATA_HOST_BIND',
  port: 'AUDATA_HOST_PORT',
  'blob-store': 'AUDATA_HOST_BLOB_STORE',
  's3-endpoint': 'AUDATA_HOST_S3_ENDPOINT',
  's3-bucket': 'AUDATA_HOST_S3_BUCKET',
  's3-region': 'AUDATA_HOST_S3_REGION',
  's3-prefix': 'AUDATA_HOST_S3_PREFIX',
  'max-upload-bytes': 'AUDATA_HOST_MAX_UPLOAD_BYTES',
  'lease-ms': 'AUDATA_HOST_LEASE_MS',
  'max-attempts': 'AUDATA_HOST_MAX_ATTEMPTS',
  'scoring-concurrency': 'AUDATA_HOST_SCORING_CONCURRENCY',
  'log-level': 'AUDATA_HOST_LOG_LEVEL',
} as const;
type Flag = keyof typeof settings;

function intSetting(name: string, raw: string, min: number, max: number): number {
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `an integer in ${min}..${max}`, JSON.stringify(raw));
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `an integer in ${min}..${max}`, raw);
  return value;
}

/**
 * Builds the configuration from `env` and `argv` (flags such as `--port 9000`), falling back
 * to defaults. Throws ConfigError on the first bad setting. Secrets (S3 credentials) come
 * only from the environment, never from flags, which other users can see in `ps`.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, argv: readonly string[] = []): HostConfig {
  let flags: Partial<Record<Flag, string>>;
  try {
    const options = Object.fromEntries(Object.keys(settings).map((flag) => [flag, { type: 'string' as const }]));
    flags = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values as Partial<Record<Flag, string>>;
  } catch (error) {
    throw new ConfigError('command line', `flags among --${Object.keys(settings).join(', --')}`, error instanceof Error ? error.message : String(error));
  }
  const get = (flag: Flag): { name: string; raw: string | undefined } => {
    if (flags[flag] !== undefined) return { name: `--${flag}`, raw: flags[flag] };
    const value = env[settings[flag]];
    return { name: settings[flag], raw: value === '' ? undefined : value };
  };
  const withDefault = (flag: Flag, fallback: string) => {
    const { name, raw } = get(flag);
    return { name, raw: raw ?? fallback };
  };

  const dataDir = resolve(withDefault('data-dir', defaults.dataDir).raw);
  const bind = withDefault('bind', defaults.bind);
  if (!/^[A-Za-z0-9.:-]+$/.test(bind.raw)) throw new ConfigError(bind.name, 'a host name or IP address', JSON.stringify(bind.raw));
  const port = withDefault('port', String(defaults.port));
  const maxUpload = withDefault('max-upload-bytes', String(defaults.maxUploadBytes));
  const lease = withDefault('lease-ms', String(defaults.leaseMs));
  const attempts = withDefault('max-attempts', String(defaults.maxAttempts));
  const concurrency = withDefault('scoring-concurrency', String(defaults.scoringConcurrency));
  const level = withDefault('log-level', defaults.logLevel);
  if (!['debug', 'info', 'warn', 'error'].includes(level.raw)) {
    throw new ConfigError(level.name, 'one of debug, info, warn, error', JSON.stringify(level.raw));
  }
  const kind = withDefault('blob-store', defaults.blobStore);
  if (kind.raw !== 'fs' && kind.raw !== 's3') throw new ConfigError(kind.name, '"fs" or "s3"', JSON.stringify(kind.raw));

  return {
    dataDir,
    bind: bind.raw,
    port: intSetting(port.name, port.raw, 0, 65535),
    blobStore: kind.raw,
    s3: kind.raw === 's3' ? loadS3(env, get) : undefined,
    maxUploadBytes: intSetting(maxUpload.name, maxUpload.raw, 1, 2 ** 40),
    leaseMs: intSetting(lease.name, lease.raw, 1000, 24 * 3600 * 1000),
    maxAttempts: intSetting(attempts.name, attempts.raw, 1, 100),
    scoringConcurrency: intSetting(concurrency.name, concurrency.raw, 1, 64),
    logLevel: level.raw as LogLevel,
  };
}

function loadS3(env: NodeJS.ProcessEnv, get: (flag: Flag) => { name: string; raw: string | undefined }): S3Config {
  const bucket = get('s3-bucket');
  // S3 bucket naming rules: 3-63 characters, lower case letters, digits, dots and hyphens.
  if (bucket.raw === undefined || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket.raw)) {
    throw new ConfigError(bucket.name, 'an S3 bucket name (3-63 of a-z 0-9 . -) when the blob store is s3', JSON.stringify(bucket.raw ?? ''));
  }
  const endpoint = get('s3-endpoint');
  if (endpoint.raw !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(endpoint.raw);
    } catch {
      url = undefined;
    }
    if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.search !== '' || url.username !== '') {
      throw new ConfigError(endpoint.name, 'an http(s) URL without query or credentials', JSON.stringify(endpoint.raw));
    }
  }
  const region = get('s3-region').raw ?? defaults.s3Region;
  if (!/^[a-z0-9-]+$/.test(region)) throw new ConfigError(get('s3-region').name, 'an AWS region such as us-east-1', JSON.stringify(region));
  const prefix = get('s3-prefix').raw ?? '';
  if (!/^[A-Za-z0-9._/-]*$/.test(prefix)) throw new ConfigError(get('s3-prefix').name, 'a key prefix of A-Z a-z 0-9 . _ / -', JSON.stringify(prefix));

  const accessKeyId = env['AWS_ACCESS_KEY_ID'];
  const secretAccessKey = env['AWS_SECRET_ACCESS_KEY'];
  const sessionToken = env['AWS_SESSION_TOKEN'];
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    // Never echo a credential: say which one is missing.
    throw new ConfigError(
      accessKeyId === undefined ? 'AWS_ACCESS_KEY_ID' : 'AWS_SECRET_ACCESS_KEY',
      'both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither',
      'only the other one',
    );
  }
  const credentials =
    accessKeyId === undefined || secretAccessKey === undefined
      ? undefined
      : { accessKeyId, secretAccessKey, ...(sessionToken === undefined ? {} : { sessionToken }) };
  return { endpoint: endpoint.raw, bucket: bucket.raw, region, prefix, credentials, forcePathStyle: true };
}
