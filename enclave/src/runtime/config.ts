// The enclave's configuration, read once at start-up from its environment. In Nitro the
// environment is baked into the image (Dockerfile.enclave), so it is part of the measurement:
// the host cannot point the enclave at another KMS key or registry.
import { availableParallelism } from 'node:os';
import { isAddress, type Address } from 'viem';
import { AudataError } from '@audata/wire';

export class ConfigError extends AudataError {
  override name = 'ConfigError' as const;
  constructor(variable: string, problem: string) {
    super('ENCLAVE_CONFIG_INVALID', `${variable} ${problem}.`, { details: { variable, problem }, hint: 'See "Configuration" in enclave/README.md.' });
  }
}

export interface EnclaveConfig {
  listen: { path: string } | { host: string; port: number };
  nsm: 'nitro' | 'simulated';
  /** Simulated NSM only: dev CA material (created when absent) and the measurement from enclave/build.ts. */
  devCaPath: string;
  measurementPath: string;
  nsmHelperPath: string;
  kmsKeyId: string;
  kmsRegion: string;
  kmsEndpoint: string | undefined;
  /**
   * Where the KMS client's AWS credentials come from: `host`, the parent role's temporary
   * credentials handed over the channel (a Nitro enclave has no instance metadata service);
   * `default`, the SDK's default chain (environment variables; the simulated setup and dev KMS).
   */
  kmsCredentials: 'host' | 'default';
  chainId: number;
  registry: Address;
  /** Buyer jobs, when all three are set: the chain the enclave reads policies from, and its contracts. */
  jobs: { rpcUrl: string; accessPolicyRegistry: Address; jobEscrow: Address } | undefined;
  /** Scoring threads (src/runtime/scoring-pool.ts); 1 scores on the main thread. */
  scoringThreads: number;
  /** The floor of a file's time limit on a scoring thread (scoringTimeLimitMs); unused with 1 thread. */
  scoringTimeoutMs: number;
}

/** Above this, scoring threads mostly add memory (a Silero session and a V8 heap each), not speed. */
export const MAX_SCORING_THREADS = 8;

/**
 * A file's time limit on a scoring thread is never below this: well above the second or so a
 * short file takes on a cold or crowded thread, and under the host's 60 s channel timeout, so
 * the host hears why a stuck file failed.
 */
export const DEFAULT_SCORING_TIMEOUT_MS = 30_000;
/** Bounds of AUDATA_SCORING_TIMEOUT_MS: below 1 s ordinary files would fail; above 1 h a stuck thread is as good as lost. */
export const MIN_SCORING_TIMEOUT_MS = 1000;
export const MAX_SCORING_TIMEOUT_MS = 3_600_000;

export function defaultScoringThreads(): number {
  return Math.min(availableParallelism(), MAX_SCORING_THREADS);
}

export function readEnclaveConfig(env: Readonly<Record<string, string | undefined>>, bundleDir: string): EnclaveConfig {
  const listenText = env.AUDATA_ENCLAVE_LISTEN ?? '127.0.0.1:7100';
  const tcp = /^([0-9.]+|localhost):(\d{1,5})$/.exec(listenText);
  const listen = tcp !== null ? { host: tcp[1]!, port: Number(tcp[2]) } : listenText.startsWith('/') ? { path: listenText } : undefined;
  if (listen === undefined || ('port' in listen && listen.port > 65535)) throw new ConfigError('AUDATA_ENCLAVE_LISTEN', `is ${JSON.stringify(listenText)}, expected host:port or an absolute socket path`);
  const nsm = env.AUDATA_NSM ?? 'simulated';
  if (nsm !== 'nitro' && nsm !== 'simulated') throw new ConfigError('AUDATA_NSM', `is ${JSON.stringify(nsm)}, expected nitro or simulated`);
  const kmsKeyId = env.AUDATA_KMS_KEY_ID;
  if (kmsKeyId === undefined || kmsKeyId.length === 0) throw new ConfigError('AUDATA_KMS_KEY_ID', 'is not set');
  // Nitro defaults to the host's credentials: the default chain finds none inside an enclave.
  const kmsCredentials = env.AUDATA_KMS_CREDENTIALS ?? (nsm === 'nitro' ? 'host' : 'default');
  if (kmsCredentials !== 'host' && kmsCredentials !== 'default') throw new ConfigError('AUDATA_KMS_CREDENTIALS', `is ${JSON.stringify(kmsCredentials)}, expected host or default`);
  const chainId = Number(env.AUDATA_CHAIN_ID ?? '31337');
  if (!Number.isSafeInteger(chainId) || chainId <= 0) throw new ConfigError('AUDATA_CHAIN_ID', 'is not a positive integer');
  const registry = env.AUDATA_REGISTRY;
  if (registry === undefined || !isAddress(registry)) throw new ConfigError('AUDATA_REGISTRY', 'is not a contract address');
  const rpcUrl = env.AUDATA_RPC_URL;
  const policies = env.AUDATA_ACCESS_POLICY_REGISTRY;
  const escrow = env.AUDATA_JOB_ESCROW;
  let jobs: EnclaveConfig['jobs'];
  if (rpcUrl !== undefined || policies !== undefined || escrow !== undefined) {
    if (rpcUrl === undefined || !/^https?:\/\/\S+$/.test(rpcUrl)) throw new ConfigError('AUDATA_RPC_URL', 'is not an http(s) URL (jobs need it with AUDATA_ACCESS_POLICY_REGISTRY and AUDATA_JOB_ESCROW)');
    if (policies === undefined || !isAddress(policies)) throw new ConfigError('AUDATA_ACCESS_POLICY_REGISTRY', 'is not a contract address');
    if (escrow === undefined || !isAddress(escrow)) throw new ConfigError('AUDATA_JOB_ESCROW', 'is not a contract address');
    jobs = { rpcUrl, accessPolicyRegistry: policies, jobEscrow: escrow };
  }
  const threadsText = env.AUDATA_SCORING_THREADS;
  const scoringThreads = threadsText === undefined ? defaultScoringThreads() : /^\d{1,2}$/.test(threadsText) ? Number(threadsText) : NaN;
  if (!(scoringThreads >= 1 && scoringThreads <= MAX_SCORING_THREADS)) throw new ConfigError('AUDATA_SCORING_THREADS', `is ${JSON.stringify(threadsText)}, expected an integer from 1 to ${MAX_SCORING_THREADS}`);
  const timeoutText = env.AUDATA_SCORING_TIMEOUT_MS;
  const scoringTimeoutMs = timeoutText === undefined ? DEFAULT_SCORING_TIMEOUT_MS : /^\d{1,7}$/.test(timeoutText) ? Number(timeoutText) : NaN;
  if (!(scoringTimeoutMs >= MIN_SCORING_TIMEOUT_MS && scoringTimeoutMs <= MAX_SCORING_TIMEOUT_MS)) {
    throw new ConfigError('AUDATA_SCORING_TIMEOUT_MS', `is ${JSON.stringify(timeoutText)}, expected milliseconds from ${MIN_SCORING_TIMEOUT_MS} to ${MAX_SCORING_TIMEOUT_MS}`);
  }
  return {
    listen,
    nsm,
    devCaPath: env.AUDATA_DEV_CA ?? '.data/dev-ca.json',
    measurementPath: env.AUDATA_MEASUREMENT ?? `${bundleDir}/measurement.json`,
    nsmHelperPath: env.AUDATA_NSM_HELPER ?? '/usr/local/bin/nsm-helper',
    kmsKeyId,
    kmsRegion: env.AUDATA_KMS_REGION ?? 'us-east-1',
    kmsEndpoint: env.AUDATA_KMS_ENDPOINT,
    kmsCredentials,
    chainId,
    registry,
    jobs,
    scoringThreads,
    scoringTimeoutMs,
  };
}
