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
import { manifestDomain, type ContributionProof } from '@audata/wire';
import { enclaveRegistryAbi as fullEnclaveRegistryAbi, audataTokenAbi } from '../../../contracts/src/generated/abi.ts';
import { startAudata, type AudataFixture } from '../../../contracts/src/testing/fixture.ts';
import { sealContribution } from '../../../client/src/envelope/seal.ts';
import { createChannelServer } from '../../../enclave/src/channel/server.ts';
import { createDevKmsServer } from '../../../enclave/src/kms/dev-kms-server.ts';
import { createSimulatedNsm } from '../../../enclave/src/nsm/simulated-nsm.ts';
import { createEnclaveRuntime, type ContributionScorer } from '../../../enclave/src/runtime/enclave-runtime.ts';
import { contributionRegistryAbi } from '../chain/abi.ts';
import { loadConfig } from '../config.ts';
import { ChannelEnclaveClient, sealedKeyStore } from '../enclave-client.ts';
import { SealedEnclaveStateStore } from '../enclave-state.ts';
import { startHost } from '../host.ts';
import { createLogger } from '../log.ts';
import { processNext } from '../queue/worker.ts';
import type { ScoringQueue } from '../queue/scoring-queue.ts';
import { encodeManifestHeader, MANIFEST_HEADER, SEALED_KEY_HEADER, SIGNATURE_HEADER } from '../routes/upload-request.ts';
import { startService, type Service } from './service.ts';

const keyId = 'arn:aws:kms:us-east-1:000000000000:key/00000000-0000-4000-8000-000000000004';
const quiet = () => createLogger({ level: 'error', sink: () => undefined });

/** Scores by length and counts its calls: the second enclave must never score the file again. */
function countingScorer() {
  const calls = { n: 0 };
  const scorer: ContributionScorer = {
    async score(opened) {
      calls.n += 1;
      const quality = Math.min(10_000, opened.audio.length % 10_000);
      return { valid: true, score: quality, authenticity: 9000, ownership: 10_000, quality, uniqueness: 8765, detailsHash: keccak256(opened.audio) };
    },
  };
  return { scorer, calls };
}

describe('crash gap: the host dies after the enclave finished a file but before keeping its proof (real anvil)', function () {
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

  async function startEnclave(scorer: ContributionScorer): Promise<void> {
    const m = f.measurement;
    const nsm = createSimulatedNsm({ ca, pcrs: { 0: hexToBytes(m.pcr0), 1: hexToBytes(m.pcr1!), 2: hexToBytes(m.pcr2!) }, moduleId: 'i-dev0000000000000000-enc0000000000000000' });
    const runtime = createEnclaveRuntime({ nsm, kms, kmsKeyId: keyId, chainId: f.anvil.chain.id, registry: f.addresses.contributionRegistry, pipelineVersion: keccak256(toHex('p')), scorer });
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
    dataDir = mkdtempSync(join(tmpdir(), 'audata-crash-gap-'));
  });
  after(async () => {
    await service?.close();
    await killEnclave();
    kmsServer?.close();
    await f?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('a new host and enclave complete the file from the recorded result: one proof on chain, not scored twice', async () => {
    const config = { ...loadConfig({}, []), dataDir, port: 0, leaseMs: 1_000, maxAttempts: 5 };

    // Run 1: a host whose scoring step dies between the enclave's reply and the queue's record of it.
    const first = countingScorer();
    await startEnclave(first.scorer);
    let host1: Awaited<ReturnType<typeof startHost>> | undefined;
    const client1 = new ChannelEnclaveClient({
      address: { port: enclavePort },
      sealedKeys: { load: () => sealedKeyStore(host1!.enclaveState).load(), save: (s) => sealedKeyStore(host1!.enclaveState).save(s) },
      states: { bootAttachment: () => new SealedEnclaveStateStore(host1!.db).bootAttachment(), segmentBundles: () => new SealedEnclaveStateStore(host1!.db).segmentBundles(), save: (ref, blob) => new SealedEnclaveStateStore(host1!.db).save(ref, blob) },
    });
    host1 = await startHost(config, { enclave: client1, logger: quiet(), manifestDomain: manifestDomain(f.anvil.chain.id, f.addresses.contributionRegistry) });
    const boot1 = await client1.ready();

    const contributor = privateKeyToAccount(generatePrivateKey());
    const parts: Uint8Array[] = [];
    const header = await sealContribution({
      audio: [new Uint8Array(randomBytes(7_000))], write: (c) => void parts.push(c.slice()), datasetKey: hexToBytes(boot1.datasetKey), account: contributor,
      chainId: f.anvil.chain.id, registry: f.addresses.contributionRegistry, termsHash: keccak256(toHex('CC-BY-4.0')), language: 'en',
    });
    const fileId = header.manifest.ciphertextSha256;
    const uploaded = await fetch(`${host1.listening.url}/v1/contributions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/octet-stream',
        [MANIFEST_HEADER]: encodeManifestHeader(header.manifest),
        [SIGNATURE_HEADER]: header.signature,
        [SEALED_KEY_HEADER]: Buffer.from(hexToBytes(header.sealedKey)).toString('base64'),
      },
      body: Buffer.concat(parts),
    });
    expect(uploaded.status).to.equal(201);

    let lost: ContributionProof | undefined;
    const queue1 = host1.queue;
    const crashing = {
      lease: (worker: string) => queue1.lease(worker),
      fail: queue1.fail.bind(queue1),
      complete: (_lease: unknown, signed: { proof: ContributionProof }) => {
        lost = signed.proof;
        throw new Error('the host process died here');
      },
    } as unknown as ScoringQueue;
    const crashed = await processNext({ queue: crashing, contributions: host1.contributions, blobs: host1.blobs, enclave: client1, logger: quiet(), workerId: 'run-1' }).then(
      (outcome) => `no crash: ${JSON.stringify(outcome)}`,
      (error: Error) => error.message,
    );
    expect(crashed).to.equal('the host process died here');
    expect(first.calls.n).to.equal(1);
    expect(host1.queue.get(fileId)?.state).to.equal('leased');
    client1.close();
    await host1.listening.close();
    host1.close();
    // The enclave goes down too; its state (with the file's record) is what run 1 kept.
    await killEnclave();

    // Run 2: a fresh enclave booted from that state, and the whole host service on the same data.
    const second = countingScorer();
    await startEnclave(second.scorer);
    const operatorKey = generatePrivateKey();
    const operator = privateKeyToAccount(operatorKey);
    await f.send(await f.timelock(), { address: f.addresses.enclaveRegistry, abi: fullEnclaveRegistryAbi, functionName: 'grantRole', args: [keccak256(toHex('OPERATOR_ROLE')), operator.address] });
    await f.anvil.testClient.setBalance({ address: operator.address, value: 10n ** 20n });
    const signers: Hex[] = [];
    service = await startService({
      config,
      enclaveAddress: { port: enclavePort },
      chain: { rpcUrl: f.anvil.rpcUrl, operatorKey, enclaveRegistry: f.addresses.enclaveRegistry, contributionRegistry: f.addresses.contributionRegistry, measurementId: f.measurementId, attestationRoot: ca.rootDer, pollingIntervalMs: 20 },
      logger: quiet(),
      idleMs: 50,
      onBoot: (boot) => void signers.push(boot.signer),
    });
    const status = async () => ((await (await fetch(`${service!.host.listening.url}/v1/contributions/${fileId}`)).json()) as { status: string }).status;
    const deadline = Date.now() + 30_000;
    for (let s = await status(); s !== 'submitted'; s = await status()) {
      if (s === 'failed' || Date.now() > deadline) throw new Error(`the file ended ${s}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    expect(second.calls.n, 'scored again').to.equal(0);
    const events = await f.anvil.publicClient.getContractEvents({ address: f.addresses.contributionRegistry, abi: contributionRegistryAbi, eventName: 'ProofRecorded', args: { fileId }, fromBlock: 0n });
    expect(events).to.have.length(1);
    const onChain = events[0]!.args;
    // The result run 1 lost, signed by run 2's enclave.
    expect(onChain.signer).to.equal(signers[0]);
    expect(onChain.signer).to.not.equal(boot1.signer);
    const { deadline: _d, ...recorded } = onChain.proof!;
    const { deadline: _l, ...expected } = lost!;
    expect({ ...recorded, contributor: recorded.contributor.toLowerCase() }).to.deep.equal({ ...expected, contributor: expected.contributor.toLowerCase() });
    const balance = await f.anvil.publicClient.readContract({ address: f.addresses.token, abi: audataTokenAbi, functionName: 'balanceOf', args: [contributor.address] });
    expect(balance).to.equal(onChain.reward);
  });
});
