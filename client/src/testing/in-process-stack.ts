// The whole system in one process for client tests: anvil with Audata deployed (the enclave's
// measurement approved at genesis), the dev KMS, an enclave runtime behind the channel server
// (simulated NSM under a dev CA), and the host service. Loopback only; stop() ends everything.
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo, Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KMSClient } from '@aws-sdk/client-kms';
import { keccak256, toHex, type Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts';
import { createDevCa, toPem, type DevCa } from '@audata/verifier/dev';
import { deployAudata, type AudataDeployment } from '../../../contracts/src/deploy.ts';
import { startAnvil, type Anvil } from '../../../contracts/src/testing/anvil.ts';
import { createChannelServer } from '../../../enclave/src/channel/server.ts';
import { createDevKmsServer } from '../../../enclave/src/kms/dev-kms-server.ts';
import { createSimulatedNsm } from '../../../enclave/src/nsm/simulated-nsm.ts';
import { createEnclaveRuntime, type ContributionScorer } from '../../../enclave/src/runtime/enclave-runtime.ts';
import { loadConfig } from '../../../host/src/config.ts';
import { createLogger } from '../../../host/src/log.ts';
import { startService, type Service } from '../../../host/src/worker/service.ts';
import type { ClientConfig } from '../sdk/config.ts';

const KEY_ID = 'arn:aws:kms:us-east-1:000000000000:key/00000000-0000-4000-8000-00000000c11e';
export const TERMS_HASH = keccak256(toHex('Audata test terms: CC-BY-4.0, consent to scoring and DP jobs'));
const sha384 = (text: string) => new Uint8Array(createHash('sha384').update(text).digest());

export interface Stack {
  anvil: Anvil;
  deployment: AudataDeployment;
  ca: DevCa;
  pcrs: { 0: Uint8Array; 1: Uint8Array; 2: Uint8Array };
  service: Service;
  dir: string;
  /** A client configuration file for this stack (dev root pinned by fingerprint). */
  configPath: string;
  config: ClientConfig;
  /** Funded contributor keys (they pay gas only to revoke). */
  contributorKeys: Hex[];
  contributors: PrivateKeyAccount[];
  /** Starts another enclave runtime (a new boot) listening on the same port. */
  restartEnclave(): Promise<void>;
  stop(): Promise<void>;
}

export async function startStack(options: { scorer: ContributionScorer; approve?: boolean }): Promise<Stack> {
  const dir = mkdtempSync(join(tmpdir(), 'audata-stack-'));
  const anvil = await startAnvil();
  const stops: (() => Promise<void> | void)[] = [() => anvil.stop(), () => rmSync(dir, { recursive: true, force: true })];
  const stop = async () => {
    for (const s of stops.reverse()) await s();
  };
  try {
    const [deployer, guardian, operator, ...users] = anvil.accounts;
    const pcrs = { 0: sha384('test enclave bundle'), 1: sha384('test runtime'), 2: sha384('test lock') };
    const deployment = await deployAudata(
      { publicClient: anvil.publicClient, walletClient: anvil.walletClient(deployer!) },
      {
        guardian: guardian!.address,
        operator: operator!.address,
        ...(options.approve === false ? {} : { measurement: { pcr0: toHex(pcrs[0]), pcr1: toHex(pcrs[1]), pcr2: toHex(pcrs[2]) } }),
      },
    );
    const ca = createDevCa({ now: new Date() });
    const kmsServer = createDevKmsServer({ keyId: KEY_ID, masterKey: new Uint8Array(randomBytes(32)), policy: { imageSha384: [Buffer.from(pcrs[0]).toString('hex')] }, attestationRoot: ca.rootDer });
    kmsServer.listen(0, '127.0.0.1');
    await once(kmsServer, 'listening');
    stops.push(() => void kmsServer.close());
    const kms = new KMSClient({ region: 'us-east-1', endpoint: `http://127.0.0.1:${(kmsServer.address() as AddressInfo).port}`, credentials: { accessKeyId: 'dev', secretAccessKey: 'dev' }, maxAttempts: 1 });

    let server: Server | undefined;
    let port = 0;
    const sockets = new Set<Socket>();
    const startEnclave = async () => {
      const nsm = createSimulatedNsm({ ca, pcrs, moduleId: 'i-dev0000000000000000-enc0000000000000000' });
      const runtime = createEnclaveRuntime({ nsm, kms, kmsKeyId: KEY_ID, chainId: anvil.chain.id, registry: deployment.addresses.contributionRegistry, pipelineVersion: keccak256(toHex('test pipeline')), scorer: options.scorer });
      server = createChannelServer({ handlers: runtime.handlers });
      server.on('connection', (socket: Socket) => {
        sockets.add(socket);
        socket.once('close', () => sockets.delete(socket));
      });
      server.listen(port, '127.0.0.1');
      await once(server, 'listening');
      port = (server.address() as AddressInfo).port;
    };
    const stopEnclave = async () => {
      const s = server;
      server = undefined;
      if (s === undefined) return;
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    };
    await startEnclave();
    stops.push(stopEnclave);

    // The HD operator's key, so the host signs as the account deployAudata gave OPERATOR_ROLE.
    const operatorKey = toHex(operator!.getHdKey().privateKey!) as Hex;
    const service = await startService({
      config: { ...loadConfig({}, []), dataDir: join(dir, 'host'), port: 0, leaseMs: 10_000 },
      enclaveAddress: { port },
      chain: {
        rpcUrl: anvil.rpcUrl,
        operatorKey,
        enclaveRegistry: deployment.addresses.enclaveRegistry,
        contributionRegistry: deployment.addresses.contributionRegistry,
        measurementId: deployment.measurementId ?? keccak256(toHex('no measurement approved')),
        attestationRoot: ca.rootDer,
        pollingIntervalMs: 20,
      },
      logger: createLogger({ level: 'error', sink: () => undefined }),
    });
    stops.push(() => service.close());

    const rootPath = join(dir, 'dev-root.pem');
    writeFileSync(rootPath, toPem(ca.rootDer));
    const config: ClientConfig = {
      hostUrl: service.host.listening.url,
      rpcUrl: anvil.rpcUrl,
      enclaveRegistry: deployment.addresses.enclaveRegistry,
      contributionRegistry: deployment.addresses.contributionRegistry,
      termsHash: TERMS_HASH,
      devRoot: { path: rootPath, sha256: createHash('sha256').update(ca.rootDer).digest('hex') },
    };
    const configPath = join(dir, 'client.json');
    writeFileSync(configPath, JSON.stringify(config, null, 2));
    const contributorKeys = users.slice(0, 3).map(() => generatePrivateKey());
    const contributors = contributorKeys.map((key) => privateKeyToAccount(key));
    for (const c of contributors) await anvil.testClient.setBalance({ address: c.address, value: 10n ** 19n });
    return {
      anvil,
      deployment,
      ca,
      pcrs,
      service,
      dir,
      configPath,
      config,
      contributorKeys,
      contributors,
      async restartEnclave() {
        await stopEnclave();
        await startEnclave();
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
