import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo, Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KMSClient } from '@aws-sdk/client-kms';
import { keccak256, toHex, hexToBytes, type Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { createDevCa } from '@audata/verifier/dev';
import { enclaveRegistryAbi as fullEnclaveRegistryAbi, audataTokenAbi } from '../../../contracts/src/generated/abi.ts';
import { startAudata, type AudataFixture } from '../../../contracts/src/testing/fixture.ts';
import { sealContribution } from '../../../client/src/envelope/seal.ts';
import { createChannelServer } from '../../../enclave/src/channel/server.ts';
import { createDevKmsServer } from '../../../enclave/src/kms/dev-kms-server.ts';
import { createSimulatedNsm } from '../../../enclave/src/nsm/simulated-nsm.ts';
import { createEnclaveRuntime, type ContributionScorer } from '../../../enclave/src/runtime/enclave-runtime.ts';
import { contributionRegistryAbi } from '../chain/abi.ts';
import { loadConfig } from '../config.ts';
import { createLogger } from '../log.ts';
import { encodeManifestHeader, MANIFEST_HEADER, SEALED_KEY_HEADER, SIGNATURE_HEADER } from '../routes/upload-request.ts';
import { startService, type Service } from './service.ts';

const keyId = 'arn:aws:kms:us-east-1:000000000000:key/00000000-0000-4000-8000-000000000002';

/** Scores by length, slowly enough that the enclave can be killed while files are in flight. */
const slowScorer: ContributionScorer = {
  async score(opened) {
    await new Promise((resolve) => setTimeout(resolve, 150));
    const quality = Math.min(10_000, opened.audio.length % 10_000);
    return { valid: true, score: quality, authenticity: 9000, ownership: 10_000, quality, uniqueness: 10_000, detailsHash: keccak256(opened.audio) };
  },
};

describe('host service: queue → enclave → chain, with the enclave killed mid-queue (real anvil)', function () {
  this.timeout(90_000);
  const ca = createDevCa({ now: new Date() });
  let f: AudataFixture;
  let kmsServer: Server;
  let kms: KMSClient;
  let enclaveServer: Server | undefined;
  let enclavePort = 0;
  const sockets = new Set<Socket>();
  let service: Service | undefined;
  let dataDir: string;

  async function startEnclave(): Promise<void> {
    const m = f.measurement;
    const nsm = createSimulatedNsm({ ca, pcrs: { 0: hexToBytes(m.pcr0), 1: hexToBytes(m.pcr1!), 2: hexToBytes(m.pcr2!) }, moduleId: 'i-dev0000000000000000-enc0000000000000000' });
    const runtime = createEnclaveRuntime({ nsm, kms, kmsKeyId: keyId, chainId: f.anvil.chain.id, registry: f.addresses.contributionRegistry, pipelineVersion: keccak256(toHex('p')), scorer: slowScorer });
    enclaveServer = createChannelServer({ handlers: runtime.handlers });
    enclaveServer.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    });
    enclaveServer.listen(enclavePort, '127.0.0.1');
    await once(enclaveServer, 'listening');
    enclavePort = (enclaveServer.address() as AddressInfo).port;
  }
  async function killEnclave(): Promise<void> {
    const server = enclaveServer;
    enclaveServer = undefined;
    if (server === undefined) return;
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  before(async () => {
    f = await startAudata();
    kmsServer = createDevKmsServer({ keyId, masterKey: new Uint8Array(randomBytes(32)), policy: { imageSha384: [f.measurement.pcr0.slice(2)] }, attestationRoot: ca.rootDer });
    kmsServer.listen(0, '127.0.0.1');
    await once(kmsServer, 'listening');
    kms = new KMSClient({ region: 'us-east-1', endpoint: `http://127.0.0.1:${(kmsServer.address() as AddressInfo).port}`, credentials: { accessKeyId: 'dev', secretAccessKey: 'dev' }, maxAttempts: 1 });
    dataDir = mkdtempSync(join(tmpdir(), 'audata-service-'));
  });
  after(async () => {
    await service?.close();
    await killEnclave();
    kmsServer?.close();
    await f?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('scores and records every file exactly once although the enclave dies and comes back', async () => {
    await startEnclave();
    const operatorKey = generatePrivateKey();
    const operator = privateKeyToAccount(operatorKey);
    await f.send(await f.timelock(), { address: f.addresses.enclaveRegistry, abi: fullEnclaveRegistryAbi, functionName: 'grantRole', args: [keccak256(toHex('OPERATOR_ROLE')), operator.address] });
    await f.anvil.testClient.setBalance({ address: operator.address, value: 10n ** 20n });

    const boots: string[] = [];
    service = await startService({
      config: { ...loadConfig({}, []), dataDir, port: 0, leaseMs: 5_000, maxAttempts: 5 },
      enclaveAddress: { port: enclavePort },
      chain: { rpcUrl: f.anvil.rpcUrl, operatorKey, enclaveRegistry: f.addresses.enclaveRegistry, contributionRegistry: f.addresses.contributionRegistry, measurementId: f.measurementId, attestationRoot: ca.rootDer, pollingIntervalMs: 20 },
      logger: createLogger({ level: 'error', sink: () => undefined }),
      onBoot: (boot) => void boots.push(boot.signer),
    });
    const url = service.host.listening.url;

    const contributor = privateKeyToAccount(generatePrivateKey());
    const datasetKey = hexToBytes(service.enclave.boot!.datasetKey);
    const fileIds: Hex[] = [];
    for (let i = 0; i < 6; i++) {
      const parts: Uint8Array[] = [];
      const header = await sealContribution({
        audio: [new Uint8Array(randomBytes(3_000 + i * 1_000))], write: (c) => void parts.push(c.slice()), datasetKey, account: contributor,
        chainId: f.anvil.chain.id, registry: f.addresses.contributionRegistry, termsHash: keccak256(toHex('CC-BY-4.0')), language: 'en',
      });
      const response = await fetch(`${url}/v1/contributions`, {
        method: 'POST',
        headers: {
          'content-type': 'application/octet-stream',
          [MANIFEST_HEADER]: encodeManifestHeader(header.manifest),
          [SIGNATURE_HEADER]: header.signature,
          [SEALED_KEY_HEADER]: Buffer.from(hexToBytes(header.sealedKey)).toString('base64'),
        },
        body: Buffer.concat(parts),
      });
      expect(response.status).to.equal(201);
      fileIds.push(header.manifest.ciphertextSha256);
    }

    // Kill the enclave once the first proof is on chain, while the others are queued or in flight.
    const status = async (fileId: Hex) => ((await (await fetch(`${url}/v1/contributions/${fileId}`)).json()) as { status: string }).status;
    for (let waited = 0; (await status(fileIds[0]!)) !== 'submitted'; waited += 20) {
      if (waited > 20_000) throw new Error('the first file was never submitted');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await killEnclave();
    const atKill = await Promise.all(fileIds.map(status));
    expect(atKill.filter((s) => s !== 'submitted').length, 'files still to do when the enclave died').to.be.greaterThan(2);
    await new Promise((resolve) => setTimeout(resolve, 500));
    await startEnclave();

    const deadline = Date.now() + 45_000;
    for (;;) {
      const states = await Promise.all(fileIds.map(status));
      if (states.every((s) => s === 'submitted')) break;
      if (states.includes('failed') || Date.now() > deadline) throw new Error(`not all submitted: ${states.join(', ')}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(boots).to.have.length(2);
    expect(boots[0]).to.not.equal(boots[1]);
    let minted = 0n;
    for (const fileId of fileIds) {
      const events = await f.anvil.publicClient.getContractEvents({ address: f.addresses.contributionRegistry, abi: contributionRegistryAbi, eventName: 'ProofRecorded', args: { fileId }, fromBlock: 0n });
      expect(events, fileId).to.have.length(1);
      minted += events[0]!.args.reward!;
    }
    const balance = await f.anvil.publicClient.readContract({ address: f.addresses.token, abi: audataTokenAbi, functionName: 'balanceOf', args: [contributor.address] });
    expect(balance).to.equal(minted);
  });
});
