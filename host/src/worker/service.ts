// The whole host service in one call: the HTTP API, the enclave channel client, the chain
// writer and the scoring worker, wired so that every enclave boot registers its new signer
// (for the approved measurement only) before any file is scored under it.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ChannelAddress } from '@audata/wire';
import { manifestDomain } from '@audata/wire';
import { StateAnchorer, type AnchorCadence } from '../chain/anchorer.ts';
import { ViemChainWriter, type ChainWriterParams } from '../chain/chain-writer.ts';
import type { HostConfig } from '../config.ts';
import type { AwsCredentialIdentity } from '@audata/wire';
import { ChannelEnclaveClient, sealedKeyStore, type BootInfo } from '../enclave-client.ts';
import { SealedEnclaveStateStore } from '../enclave-state.ts';
import { FeatureEntryStore } from '../db/feature-entries.ts';
import { startHost, type Host } from '../host.ts';
import type { Listening } from '../listen.ts';
import { createLogger, type Logger } from '../log.ts';
import type { StepOutcome } from '../queue/worker.ts';
import { ScoringWorker } from './scoring-worker.ts';

export interface ServiceParams {
  config: HostConfig;
  enclaveAddress: ChannelAddress;
  chain: ChainWriterParams;
  logger?: Logger;
  workerId?: string;
  onStep?: (outcome: StepOutcome) => void;
  onBoot?: (boot: BootInfo, registration: { txHash: `0x${string}` }) => void;
  /** Ciphertext bytes per channel frame (default 1 MiB). */
  pieceBytes?: number;
  /** How often an idle worker looks at the queue (default 100 ms). */
  idleMs?: number;
  /** With chain.auditAnchor: when the enclave's state is anchored (host/src/chain/anchorer.ts). */
  anchorCadence?: AnchorCadence;
  /**
   * AWS credentials for an enclave that signs KMS calls with the host's (enclaveCredentialsFromEnv,
   * AUDATA_ENCLAVE_AWS_CREDENTIALS=1): sent with each boot and refreshed before they expire.
   */
  enclaveCredentials?: () => Promise<AwsCredentialIdentity | undefined>;
}

export interface Service {
  host: Host & { listening: Listening };
  enclave: ChannelEnclaveClient;
  chain: ViemChainWriter;
  worker: ScoringWorker;
  close(): Promise<void>;
}

export async function startService(params: ServiceParams): Promise<Service> {
  const logger = params.logger ?? createLogger({ level: params.config.logLevel });
  const chain = await ViemChainWriter.connect({
    attestationUri: (sha256) => pathToFileURL(join(params.config.dataDir, 'attestations', `${sha256.slice(2)}.cbor`)).href,
    ...params.chain,
  });
  let host: (Host & { listening: Listening }) | undefined;
  let worker: ScoringWorker | undefined;
  let anchorer: StateAnchorer | undefined;
  const enclave = new ChannelEnclaveClient({
    address: params.enclaveAddress,
    ...(params.pieceBytes === undefined ? {} : { pieceBytes: params.pieceBytes }),
    ...(params.enclaveCredentials === undefined ? {} : { credentials: params.enclaveCredentials }),
    // The code only: the credentials never reach a log.
    onCredentialsError: (error) => logger.warn('enclave.credentials_refresh_failed', { code: (error as { code?: string }).code ?? 'INTERNAL' }),
    onEnclaveTime: (ms) => host?.metrics.scoring.observe({ stage: 'enclave' }, ms / 1000),
    sealedKeys: {
      load: () => (host === undefined ? undefined : sealedKeyStore(host.enclaveState).load()),
      save: (sealed) => {
        if (host === undefined) throw new Error('the host store is not open yet');
        sealedKeyStore(host.enclaveState).save(sealed);
      },
    },
    features: {
      save: (fileId, entry) => {
        if (host === undefined) throw new Error('the host store is not open yet');
        return new FeatureEntryStore(host.db, host.blobs).save(fileId, entry);
      },
      load: async (fileId) => (host === undefined ? undefined : new FeatureEntryStore(host.db, host.blobs).load(fileId)),
    },
    states: {
      bootAttachment: () => (host === undefined ? new Uint8Array(0) : stateStore(host).bootAttachment()),
      segmentBundles: () => (host === undefined ? [] : stateStore(host).segmentBundles()),
      save: (ref, blob) => {
        if (host === undefined) throw new Error('the host store is not open yet');
        const saved = stateStore(host).save(ref, blob);
        anchorer?.noteState(BigInt(ref.counter));
        return saved;
      },
    },
    onBoot: async (boot, attest) => {
      const document = await attest(new Uint8Array(randomBytes(32)));
      // Kept where the registry's attestationUri points, so auditors can check the binding later.
      const sha256 = createHash('sha256').update(document).digest('hex');
      const dir = join(params.config.dataDir, 'attestations');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `${sha256}.cbor`), document);
      const registration = await chain.registerEnclaveSigner({ document });
      logger.info('enclave.booted', { signer: boot.signer, genesis: boot.genesis, txHash: registration.txHash });
      params.onBoot?.(boot, registration);
    },
  });
  host = await startHost(params.config, {
    enclave,
    jobs: enclave,
    logger,
    manifestDomain: manifestDomain(chain.publicClient.chain.id, params.chain.contributionRegistry),
    onQueued: () => worker?.notify(),
  });
  try {
    await enclave.ready();
  } catch (error) {
    enclave.close();
    await closeHost(host);
    throw error;
  }
  worker = new ScoringWorker({
    queue: host.queue,
    contributions: host.contributions,
    blobs: host.blobs,
    enclave,
    chain,
    logger,
    workerId: params.workerId ?? `worker-${process.pid}`,
    metrics: host.metrics,
    concurrency: params.config.scoringConcurrency,
    ready: () => enclave.ready(),
    ...(params.idleMs === undefined ? {} : { idleMs: params.idleMs }),
    ...(params.onStep === undefined ? {} : { onStep: params.onStep }),
  });
  worker.start();
  const auditAnchor = params.chain.auditAnchor;
  if (auditAnchor !== undefined && params.anchorCadence !== undefined) {
    anchorer = new StateAnchorer({
      cadence: params.anchorCadence,
      requestAnchor: () => enclave.stateAnchor(auditAnchor),
      submit: (anchor, signature) => chain.submitAnchor(anchor, signature),
      onAnchored: (anchor, txHash) => logger.info('state.anchored', { counter: anchor.stateCounter.toString(), auditEntries: anchor.auditEntries.toString(), txHash }),
      onError: (error) => logger.warn('state.anchor_failed', { code: (error as { code?: string }).code ?? 'INTERNAL' }),
    });
    anchorer.start();
    // The boot's own state (stored before the anchorer existed) is due like any other.
    anchorer.noteState(stateStore(host).latest()?.counter ?? 0n);
  }
  const started = host;
  const running = worker;
  return {
    host: started,
    enclave,
    chain,
    worker: running,
    async close() {
      await anchorer?.stop();
      await running.stop();
      enclave.close();
      await closeHost(started);
    },
  };
}

const stateStores = new WeakMap<Host, SealedEnclaveStateStore>();
function stateStore(host: Host): SealedEnclaveStateStore {
  let store = stateStores.get(host);
  if (store === undefined) stateStores.set(host, (store = new SealedEnclaveStateStore(host.db)));
  return store;
}

async function closeHost(host: Host & { listening: Listening }): Promise<void> {
  await host.listening.close();
  host.close();
}
