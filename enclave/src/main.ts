// The enclave's entry point (bundled by enclave/build.ts; its bytes are PCR0 in dev): reads
// the configuration, picks the NSM, and serves the channel. Key release happens on the host's
// `boot` request, so a restart needs nothing from disk.
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMainThread } from 'node:worker_threads';
import { KMSClient } from '@aws-sdk/client-kms';
import { createDevCa, exportDevCa, importDevCa, type DevCaMaterial } from '@audata/verifier/dev';
import { createChannelServer } from './channel/server.ts';
import { HostCredentials } from './kms/host-credentials.ts';
import { createNitroNsm } from './nsm/nitro-nsm.ts';
import type { Nsm } from './nsm/nsm.ts';
import { createSimulatedNsm } from './nsm/simulated-nsm.ts';
import { readEnclaveConfig, type EnclaveConfig } from './runtime/config.ts';
import { createEnclaveRuntime } from './runtime/enclave-runtime.ts';
import { createPipelineScorer, createPooledScorer, SCORING_PIPELINE_VERSION } from './runtime/pipeline-scorer.ts';
import { DEFAULT_SCORING_TIME_LIMIT, ScoringPool } from './runtime/scoring-pool.ts';
import { FingerprintIndexSlot } from './state/fingerprint-slot.ts';
import { defaultSileroModelPath, SileroVad } from './audio/vad.ts';
import { auditDomain } from '@audata/verifier/audit';
import { createPublicClient, http } from 'viem';
import { ChainPolicySource } from './jobs/policy-source.ts';
import { anchorSourceFromEnv } from './audit/anchor-source.ts';
// Imported for its side effect in a job model's child process (AUDATA_ORT_PROCESS=1, see model-runner.ts).
import './jobs/ort-process.ts';

function simulatedNsm(config: EnclaveConfig): Nsm {
  // Dev only: the CA is kept on the developer's disk so verifiers can be given its root.
  let material: DevCaMaterial;
  if (existsSync(config.devCaPath)) material = JSON.parse(readFileSync(config.devCaPath, 'utf8')) as DevCaMaterial;
  else {
    material = exportDevCa(createDevCa({ now: new Date() }));
    mkdirSync(dirname(config.devCaPath), { recursive: true });
    writeFileSync(config.devCaPath, JSON.stringify(material, null, 2), { mode: 0o600 });
  }
  // The root alone, for `audata verify-attestation --root` and the dev KMS.
  writeFileSync(config.devCaPath.replace(/\.json$/, '') + '-root.pem', material.rootCertificatePem);
  const measurement = JSON.parse(readFileSync(config.measurementPath, 'utf8')) as { pcr0: string; pcr1: string; pcr2: string };
  const pcr = (hex: string) => new Uint8Array(Buffer.from(hex, 'hex'));
  return createSimulatedNsm({
    ca: importDevCa(material),
    pcrs: { 0: pcr(measurement.pcr0), 1: pcr(measurement.pcr1), 2: pcr(measurement.pcr2) },
    moduleId: 'i-dev0000000000000000-enc0000000000000000',
  });
}

/**
 * Jobs read policies, escrow and revocations over the configured RPC URL, and take the chain's
 * latest block time as "now", so expiry and receipt deadlines agree with the contracts.
 */
function jobsParams(jobs: NonNullable<EnclaveConfig['jobs']>, contributionRegistry: EnclaveConfig['registry'], chainId: number) {
  const client = createPublicClient({ transport: http(jobs.rpcUrl) });
  return {
    source: ChainPolicySource.fromRpc(jobs.rpcUrl, { accessPolicyRegistry: jobs.accessPolicyRegistry, jobEscrow: jobs.jobEscrow, contributionRegistry }),
    escrow: { chainId, contract: jobs.jobEscrow },
    // The enclave has no disk: each file's encrypted features go to the host with its finish reply and come back for jobs.
    featureBackend: 'host' as const,
    now: async () => (await client.getBlock({ blockTag: 'latest' })).timestamp,
  };
}

export async function main(env: Readonly<Record<string, string | undefined>> = process.env): Promise<void> {
  const config = readEnclaveConfig(env, dirname(fileURLToPath(import.meta.url)));
  const nsm = config.nsm === 'nitro' ? createNitroNsm({ helperPath: config.nsmHelperPath }) : simulatedNsm(config);
  const hostCredentials = config.kmsCredentials === 'host' ? new HostCredentials() : undefined;
  const kms = new KMSClient({
    region: config.kmsRegion,
    ...(config.kmsEndpoint === undefined ? {} : { endpoint: config.kmsEndpoint }),
    ...(hostCredentials === undefined ? {} : { credentials: hostCredentials.provider }),
  });
  // The model's hash is pinned by the pipeline; a different file refuses to load (in every scoring thread).
  const vadModelPath = env.AUDATA_VAD_MODEL ?? defaultSileroModelPath();
  // The index is restored from the sealed state the host hands in at boot.
  const fingerprints = new FingerprintIndexSlot();
  // The latest anchored state, read from the chain at boot: an older state from the host is refused.
  const anchors = anchorSourceFromEnv(env);
  const scorer = config.scoringThreads === 1
    ? createPipelineScorer({ vad: await SileroVad.load({ modelPath: vadModelPath, intraOpNumThreads: 1 }), index: fingerprints })
    : createPooledScorer({ pool: await ScoringPool.start({ threads: config.scoringThreads, vadModelPath, timeLimit: { ...DEFAULT_SCORING_TIME_LIMIT, floorMs: config.scoringTimeoutMs }, onWarning: (message) => console.warn(`enclave: warning: ${message}`) }), index: fingerprints });
  const runtime = createEnclaveRuntime({
    nsm, kms, kmsKeyId: config.kmsKeyId, chainId: config.chainId, registry: config.registry, pipelineVersion: SCORING_PIPELINE_VERSION, scorer, fingerprints,
    ...(hostCredentials === undefined ? {} : { credentials: hostCredentials }),
    onWarning: (message) => console.warn(`enclave: warning: ${message}`),
    // The log leaves with the sealed states; the host keeps it and serves GET /v1/audit.
    audit: { domain: auditDomain(config.chainId), signEvery: 16 },
    ...(anchors === undefined ? {} : { stateAnchor: (datasetKey: `0x${string}`) => anchors.latest(datasetKey) }),
    ...(config.jobs === undefined ? {} : { jobs: jobsParams(config.jobs, config.registry, config.chainId) }),
  });
  const server = createChannelServer({
    handlers: runtime.handlers,
    onInternalError: (error) => console.error(`enclave: internal error: ${error instanceof Error ? error.name : 'unknown'}`),
  });
  await new Promise<void>((resolve) => ('path' in config.listen ? server.listen(config.listen.path, resolve) : server.listen(config.listen.port, config.listen.host, resolve)));
  console.log(`enclave: ${config.nsm} NSM, signer ${runtime.signer}, channel on ${'path' in config.listen ? config.listen.path : `${config.listen.host}:${config.listen.port}`}`);
}

// A job model's child process serves models only (ort-process.ts did that on import), and a
// scoring thread (this bundle started as a worker) only scores (scoring-worker.ts).
if (process.env.AUDATA_ORT_PROCESS !== '1' && isMainThread) {
  await main().catch((error: unknown) => {
    const e = error as { code?: string; message?: string };
    console.error(`${e.code ?? 'INTERNAL'}: ${e.message ?? String(error)}`);
    process.exit(1);
  });
}
