// The local devnet `make run` brings up: anvil, the enclave bundle built and measured, the
// contracts deployed with that measurement approved, the dev KMS, the enclave (simulated NSM)
// and the host, each a real child process on loopback, plus a client configuration for the CLI.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPublicClient, createWalletClient, http, keccak256, toHex, type Chain, type Hex, type PublicClient, type Transport } from 'viem';
import { mnemonicToAccount, type HDAccount } from 'viem/accounts';
import { foundry } from 'viem/chains';
import { createDevCa, exportDevCa, type DevCaMaterial } from '@audata/verifier/dev';
import { certificateDer } from '@audata/verifier';
import { defaultGovernance, deployAudata, type AudataDeployment } from '../../contracts/src/deploy.ts';
import { ANVIL_MNEMONIC, anvilBinary } from '../../contracts/src/testing/anvil.ts';
import { buildEnclave, type Measurement } from '../../enclave/build.ts';
import { ensurePortFree, type DevnetPorts } from './ports.ts';
import { startProcess, type ServiceProcess } from './processes.ts';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const TERMS_TEXT = 'Audata devnet terms: recordings licensed CC-BY-4.0 for scoring and differentially private jobs approved by the DAO.';
/**
 * Short governance delays, which the scenario still passes by moving anvil's clock: the chain
 * ends about 8 minutes ahead of the wall clock, well inside the enclave's proof lifetime (1 h,
 * counted on the wall clock), so contributions keep working after the scenario. Production's
 * days-long delays would leave every later proof expired on arrival. Anyone may propose: a
 * devnet's contributors hold a fraction of a token each.
 */
export const DEVNET_GOVERNANCE = { ...defaultGovernance, votingDelay: 60, votingPeriod: 300, timelockDelay: 120n, proposalThreshold: 0n };
const KMS_KEY_ID = 'arn:aws:kms:us-east-1:000000000000:key/00000000-0000-4000-8000-00000000dev0';
/** The host's "role" on the devnet: the only access key id the dev KMS serves. */
const HOST_ACCESS_KEY_ID = 'ASIADEVNETHOSTROLE01';

export interface Devnet {
  dataDir: string;
  ports: DevnetPorts;
  rpcUrl: string;
  hostUrl: string;
  chain: Chain;
  publicClient: PublicClient<Transport, Chain>;
  measurement: Measurement;
  deployment: AudataDeployment;
  /** The client configuration file `audata` reads (--config). */
  clientConfigPath: string;
  /** Funded development accounts for contributors (anvil's, index 3 on). */
  contributors: readonly HDAccount[];
  processes: Record<'anvil' | 'kms' | 'enclave' | 'host', ServiceProcess>;
  /** Kills the enclave process (SIGKILL), as a crash would. */
  killEnclave(): Promise<void>;
  startEnclave(): Promise<void>;
  stop(): Promise<void>;
}

export interface DevnetOptions {
  ports: DevnetPorts;
  dataDir?: string;
  log?: (line: string) => void;
  hostEnv?: NodeJS.ProcessEnv;
}

const tsx = (script: string) => ['--import', 'tsx', join(ROOT, script)];

export async function startDevnet(options: DevnetOptions): Promise<Devnet> {
  const log = options.log ?? (() => undefined);
  const { ports } = options;
  const dataDir = resolve(options.dataDir ?? join(ROOT, '.data', 'devnet'));
  for (const name of ['anvil', 'kms', 'enclave', 'host'] as const) await ensurePortFree(name, ports[name]);
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(join(dataDir, 'logs'), { recursive: true });
  const logFile = (name: string) => join(dataDir, 'logs', `${name}.log`);
  const started: ServiceProcess[] = [];
  const stopAll = async () => {
    for (const p of started.reverse()) await p.stop();
  };

  try {
    log(`starting anvil on 127.0.0.1:${ports.anvil}`);
    const anvil = await startProcess({
      name: 'anvil',
      command: anvilBinary(),
      args: ['--host', '127.0.0.1', '--port', String(ports.anvil), '--mnemonic', ANVIL_MNEMONIC, '--accounts', '10'],
      env: process.env,
      logFile: logFile('anvil'),
      ready: /Listening on/,
    });
    started.push(anvil);
    const rpcUrl = `http://127.0.0.1:${ports.anvil}`;
    const chain: Chain = { ...foundry, rpcUrls: { default: { http: [rpcUrl] } } };
    const publicClient = createPublicClient({ chain, transport: http(rpcUrl), pollingInterval: 50 });
    const accounts = Array.from({ length: 10 }, (_, addressIndex) => mnemonicToAccount(ANVIL_MNEMONIC, { addressIndex }));
    const [deployer, guardian, operator] = accounts as [HDAccount, HDAccount, HDAccount];

    log('building the enclave bundle and measuring it (enclave/build.ts)');
    const measurement = await buildEnclave(join(dataDir, 'enclave'));
    log(`  PCR0 ${measurement.pcr0.slice(0, 32)}... (${measurement.bundleBytes} bytes of bundle)`);

    log('deploying the contracts; the measurement is approved at genesis, then the timelock holds every governed setting');
    const deployment = await deployAudata(
      { publicClient, walletClient: createWalletClient({ chain, transport: http(rpcUrl), account: deployer }) },
      { guardian: guardian.address, operator: operator.address, measurement: { pcr0: `0x${measurement.pcr0}`, pcr1: `0x${measurement.pcr1}`, pcr2: `0x${measurement.pcr2}` }, governance: DEVNET_GOVERNANCE },
    );
    log(`  EnclaveRegistry ${deployment.addresses.enclaveRegistry}, ContributionRegistry ${deployment.addresses.contributionRegistry}, measurement ${deployment.measurementId}`);

    // The dev CA the simulated NSM signs with; the KMS and the clients trust only its root.
    const caPath = join(dataDir, 'dev-ca.json');
    const material: DevCaMaterial = exportDevCa(createDevCa({ now: new Date() }));
    writeFileSync(caPath, JSON.stringify(material, null, 2), { mode: 0o600 });
    const rootPath = join(dataDir, 'dev-ca-root.pem');
    writeFileSync(rootPath, material.rootCertificatePem);

    log(`starting the dev KMS on 127.0.0.1:${ports.kms} (policy: this PCR0 only)`);
    const kms = await startProcess({
      name: 'dev KMS',
      command: process.execPath,
      args: tsx('enclave/src/kms/dev-kms-main.ts'),
      env: { ...process.env, AUDATA_DEV_KMS_PORT: String(ports.kms), AUDATA_KMS_KEY_ID: KMS_KEY_ID, AUDATA_DEV_CA_ROOT: rootPath, AUDATA_MEASUREMENT: join(dataDir, 'enclave', 'measurement.json'), AUDATA_DEV_KMS_MASTER_KEY: join(dataDir, 'kms-master.key'), AUDATA_DEV_KMS_ACCESS_KEY_ID: HOST_ACCESS_KEY_ID },
      logFile: logFile('kms'),
      ready: /dev KMS on/,
    });
    started.push(kms);

    const enclaveEnv: NodeJS.ProcessEnv = {
      ...process.env,
      AUDATA_ENCLAVE_LISTEN: `127.0.0.1:${ports.enclave}`,
      AUDATA_NSM: 'simulated',
      AUDATA_DEV_CA: caPath,
      AUDATA_MEASUREMENT: join(dataDir, 'enclave', 'measurement.json'),
      AUDATA_KMS_KEY_ID: KMS_KEY_ID,
      AUDATA_KMS_ENDPOINT: `http://127.0.0.1:${ports.kms}`,
      AUDATA_CHAIN_ID: String(chain.id),
      AUDATA_REGISTRY: deployment.addresses.contributionRegistry,
      // Buyer jobs: the enclave reads policies, escrow and revocations from anvil itself.
      AUDATA_RPC_URL: rpcUrl,
      AUDATA_ACCESS_POLICY_REGISTRY: deployment.addresses.accessPolicyRegistry,
      AUDATA_JOB_ESCROW: deployment.addresses.jobEscrow,
      // At boot the enclave reads its latest anchored state from AuditAnchor and refuses an older one.
      AUDATA_AUDIT_ANCHOR: deployment.addresses.auditAnchor,
      // As in Nitro: no credentials of its own; it signs KMS calls with those the host hands over
      // (the dev KMS serves only the host's access key id, so a boot proves they travelled).
      AUDATA_KMS_CREDENTIALS: 'host',
      AWS_ACCESS_KEY_ID: undefined,
      AWS_SECRET_ACCESS_KEY: undefined,
      AWS_SESSION_TOKEN: undefined,
    };
    const processes = { anvil, kms } as Devnet['processes'];
    const startEnclave = async () => {
      log(`starting the enclave (simulated NSM) on 127.0.0.1:${ports.enclave}`);
      const enclave = await startProcess({ name: 'enclave', command: process.execPath, args: [join(dataDir, 'enclave', 'enclave.mjs')], env: enclaveEnv, logFile: logFile('enclave'), ready: /channel on/, cwd: ROOT });
      processes.enclave = enclave;
      started.push(enclave);
    };
    await startEnclave();

    log(`starting the host on 127.0.0.1:${ports.host} (it boots the enclave and registers its signer)`);
    const host = await startProcess({
      name: 'host',
      command: process.execPath,
      args: tsx('scripts/devnet/host-main.ts'),
      env: {
        ...process.env,
        AUDATA_HOST_PORT: String(ports.host),
        AUDATA_HOST_DATA_DIR: join(dataDir, 'host'),
        AUDATA_HOST_LEASE_MS: '30000',
        AUDATA_RPC_URL: rpcUrl,
        AUDATA_OPERATOR_KEY: toHex(operator.getHdKey().privateKey!),
        AUDATA_ENCLAVE_ADDRESS: `127.0.0.1:${ports.enclave}`,
        AUDATA_ENCLAVE_REGISTRY: deployment.addresses.enclaveRegistry,
        AUDATA_CONTRIBUTION_REGISTRY: deployment.addresses.contributionRegistry,
        AUDATA_ACCESS_POLICY_REGISTRY: deployment.addresses.accessPolicyRegistry,
        AUDATA_MEASUREMENT_ID: deployment.measurementId!,
        AUDATA_DEV_CA_ROOT: rootPath,
        AUDATA_CHAIN_POLL_MS: '20',
        AUDATA_WORKER_IDLE_MS: '5',
        // Every state anchored (about 59k gas each, contracts/src/gas.bench.ts): no rollback window on the devnet.
        AUDATA_AUDIT_ANCHOR: deployment.addresses.auditAnchor,
        AUDATA_ANCHOR_EVERY_STATES: '1',
        // The host's own credentials (the SDK's default chain finds them here), handed to the enclave.
        AUDATA_ENCLAVE_AWS_CREDENTIALS: '1',
        AWS_ACCESS_KEY_ID: HOST_ACCESS_KEY_ID,
        AWS_SECRET_ACCESS_KEY: randomBytes(20).toString('base64'),
        ...options.hostEnv,
      },
      logFile: logFile('host'),
      ready: /host: ready on/,
    });
    started.push(host);
    processes.host = host;
    const hostUrl = `http://127.0.0.1:${ports.host}`;

    const clientConfigPath = join(dataDir, 'client.json');
    const rootDer = certificateDer(readFileSync(rootPath, 'utf8'));
    writeFileSync(
      clientConfigPath,
      `${JSON.stringify(
        {
          hostUrl,
          rpcUrl,
          enclaveRegistry: deployment.addresses.enclaveRegistry,
          contributionRegistry: deployment.addresses.contributionRegistry,
          termsHash: keccak256(toHex(TERMS_TEXT)),
          devRoot: { path: 'dev-ca-root.pem', sha256: createHash('sha256').update(rootDer).digest('hex') },
        },
        null,
        2,
      )}\n`,
    );

    return {
      dataDir,
      ports,
      rpcUrl,
      hostUrl,
      chain,
      publicClient,
      measurement,
      deployment,
      clientConfigPath,
      contributors: accounts.slice(3),
      processes,
      async killEnclave() {
        await processes.enclave.stop('SIGKILL');
      },
      startEnclave,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

export function devKey(account: HDAccount): Hex {
  return toHex(account.getHdKey().privateKey!);
}
