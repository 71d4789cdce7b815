// The rollback the anchor closes, end to end on anvil: enclaves boot over the channel (simulated
// NSM, dev KMS), sign their latest state, the host's chain writer anchors it on AuditAnchor, and
// a later boot reads the anchor from the chain itself and refuses an older or forked state.
import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo, Server } from 'node:net';
import { KMSClient } from '@aws-sdk/client-kms';
import { toHex, type Hex } from 'viem';
import { auditDomain, type AuditEntry } from '@audata/verifier/audit';
import { createDevCa } from '@audata/verifier/dev';
import { connectChannel, type ChannelClient, type SealedDatasetKeyJson } from '@audata/wire';
import { auditAnchorAbi, enclaveRegistryAbi } from '../../../contracts/src/generated/abi.ts';
import { bytes32, startAudata, type AudataFixture } from '../../../contracts/src/testing/fixture.ts';
import { anchorMessageOf } from '../../../host/src/chain/anchorer.ts';
import { ViemChainWriter } from '../../../host/src/chain/chain-writer.ts';
import { createChannelServer } from '../channel/server.ts';
import { createDevKmsServer } from '../kms/dev-kms-server.ts';
import { createSimulatedNsm } from '../nsm/simulated-nsm.ts';
import { createEnclaveRuntime } from '../runtime/enclave-runtime.ts';
import { ChainStateAnchorSource, type AnchorReader } from './anchor-source.ts';

const sha384 = (text: string) => new Uint8Array(createHash('sha384').update(text).digest());
const keyId = 'arn:aws:kms:us-east-1:000000000000:key/00000000-0000-4000-8000-000000000002';
const fail = (p: Promise<unknown>) => p.then(() => 'none', (e: { code?: string }) => e.code);

describe('state anchors on chain refuse a rolled-back state at boot (anvil)', function () {
  this.timeout(120_000);
  const ca = createDevCa({ now: new Date() });
  const build = sha384('anchor rollback bundle');
  let f: AudataFixture;
  let kmsServer: Server;
  let kms: KMSClient;
  let writer: ViemChainWriter;
  const servers: Server[] = [];
  const clients: ChannelClient[] = [];
  const entries: AuditEntry[] = [];

  /** An enclave whose signer the operator registered; `source` is where it reads the anchor at boot. */
  async function startEnclave(source?: AnchorReader): Promise<{ client: ChannelClient; warnings: string[] }> {
    const warnings: string[] = [];
    const runtime = createEnclaveRuntime({
      nsm: createSimulatedNsm({ ca, pcrs: { 0: build, 1: sha384('kernel'), 2: sha384('app') }, moduleId: 'i-dev0000000000000000-enc0000000000000000' }),
      kms, kmsKeyId: keyId, chainId: f.anvil.chain.id, registry: f.addresses.contributionRegistry, pipelineVersion: bytes32('pipeline'),
      audit: { domain: auditDomain(f.anvil.chain.id), signEvery: 1, onEntry: (e) => entries.push(e) },
      onWarning: (m) => warnings.push(m),
      ...(source === undefined ? {} : { stateAnchor: (datasetKey: Hex) => source.latest(datasetKey) }),
    });
    await f.send(f.wallet(f.operator), { address: f.addresses.enclaveRegistry, abi: enclaveRegistryAbi, functionName: 'registerSigner', args: [runtime.signer, f.measurementId, bytes32(runtime.signer), ''] });
    const server = createChannelServer({ handlers: runtime.handlers });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    servers.push(server);
    const client = await connectChannel({ port: (server.address() as AddressInfo).port });
    clients.push(client);
    return { client, warnings };
  }

  async function boot(client: ChannelClient, sealed?: SealedDatasetKeyJson, state?: Uint8Array) {
    const reply = await client.request('boot', sealed === undefined ? {} : { sealed }, state ?? new Uint8Array(0));
    return { body: reply.body, state: reply.binary.slice() };
  }

  /** What the host does on its cadence: ask the enclave to sign its latest state, submit it. */
  async function anchor(client: ChannelClient) {
    const { body } = await client.request('state.anchor', { contract: f.addresses.auditAnchor });
    return { message: anchorMessageOf(body.anchor), result: await writer.submitAnchor(anchorMessageOf(body.anchor), body.signature) };
  }

  before(async () => {
    f = await startAudata();
    kmsServer = createDevKmsServer({ keyId, masterKey: new Uint8Array(randomBytes(32)), policy: { imageSha384: [Buffer.from(build).toString('hex')] }, attestationRoot: ca.rootDer });
    kmsServer.listen(0, '127.0.0.1');
    await once(kmsServer, 'listening');
    kms = new KMSClient({ region: 'us-east-1', endpoint: `http://127.0.0.1:${(kmsServer.address() as AddressInfo).port}`, credentials: { accessKeyId: 'dev', secretAccessKey: 'dev' }, maxAttempts: 1 });
    writer = await ViemChainWriter.connect({
      rpcUrl: f.anvil.rpcUrl, operatorKey: toHex(f.users[4]!.getHdKey().privateKey!), enclaveRegistry: f.addresses.enclaveRegistry,
      contributionRegistry: f.addresses.contributionRegistry, auditAnchor: f.addresses.auditAnchor, measurementId: f.measurementId, pollingIntervalMs: 20,
    });
  });
  after(async () => {
    for (const c of clients) c.close();
    for (const s of servers) s.close();
    kmsServer.close();
    await f?.stop();
  });

  it('S1 anchored, then S2 anchored: a boot with S1 is refused as rollback, a fork of S2 as mismatch, S2 itself boots', async () => {
    const source = new ChainStateAnchorSource(f.anvil.publicClient as never, f.addresses.auditAnchor);
    const first = await startEnclave(source);
    const genesis = await boot(first.client);
    // A new dataset has no anchor yet: genesis says so and goes on.
    expect(first.warnings.join('\n')).to.match(/no state anchor: accepted an empty state/);
    const s1 = genesis.state;
    const a1 = await anchor(first.client);
    expect(a1.result).to.have.property('txHash');
    expect(a1.message).to.deep.include({ datasetKey: genesis.body.datasetKey, stateCounter: 1n, stateSha256: genesis.body.state!.sha256, auditEntries: 1n });
    expect(await source.latest(genesis.body.datasetKey)).to.deep.equal({ counter: 1n, sha256: genesis.body.state!.sha256 });

    // A host that restores S1 into an enclave that does not check: a fork S2' of the same counter.
    const unchecked = await startEnclave();
    const fork = await boot(unchecked.client, genesis.body.sealed, s1);
    expect(unchecked.warnings.join('\n')).to.match(/no state anchor/);

    // The honest next boot: S1 equals the anchor, so it boots and emits S2, which is anchored.
    const second = await startEnclave(source);
    const restart = await boot(second.client, genesis.body.sealed, s1);
    expect(restart.body.state!.counter).to.equal('2');
    const a2 = await anchor(second.client);
    expect(a2.message).to.deep.include({ stateCounter: 2n, stateSha256: restart.body.state!.sha256, auditEntries: 2n });
    // The fork S2' cannot be anchored over S2: same counter, another hash.
    const forkAnchor = (await unchecked.client.request('state.anchor', { contract: f.addresses.auditAnchor })).body;
    expect(await fail(writer.submitAnchor(anchorMessageOf(forkAnchor.anchor), forkAnchor.signature))).to.equal('HOST_CHAIN_REJECTED');
    // The earlier anchor again (a late retry) changes nothing.
    expect(await writer.submitAnchor(a1.message, (await first.client.request('state.anchor', { contract: f.addresses.auditAnchor })).body.signature)).to.deep.equal({ superseded: true });

    const third = await startEnclave(source);
    expect(await fail(boot(third.client, genesis.body.sealed, s1))).to.equal('STATE_ROLLBACK');
    expect(await fail(boot(third.client, genesis.body.sealed))).to.equal('STATE_ROLLBACK');
    expect(fork.body.state!.counter).to.equal('2');
    expect(await fail(boot(third.client, genesis.body.sealed, fork.state))).to.equal('STATE_ANCHOR_MISMATCH');
    expect(await fail(third.client.request('state.anchor', { contract: f.addresses.auditAnchor }))).to.equal('ENCLAVE_NOT_BOOTED');
    const ok = await boot(third.client, genesis.body.sealed, restart.state);
    expect(ok.body.state!.counter).to.equal('3');

    // The chain kept every anchor as an event, each by a registered enclave signer.
    const events = await f.anvil.publicClient.getContractEvents({ address: f.addresses.auditAnchor, abi: auditAnchorAbi, eventName: 'StateAnchored', fromBlock: 0n });
    expect(events.map((e) => e.args.stateCounter)).to.deep.equal([1n, 2n]);
    expect(events.map((e) => e.args.signer)).to.deep.equal([genesis.body.signer, restart.body.signer]);
  });

  it('a state newer than the anchor boots (anchors are periodic); a chain it cannot read refuses the boot', async () => {
    const source = new ChainStateAnchorSource(f.anvil.publicClient as never, f.addresses.auditAnchor);
    const first = await startEnclave(source);
    const genesis = await boot(first.client);
    await anchor(first.client);
    const second = await startEnclave(source);
    const s2 = await boot(second.client, genesis.body.sealed, genesis.state);
    // S2 is not anchored; S3 built on it still boots, since the chain holds S1 only.
    const third = await startEnclave(source);
    const s3 = await boot(third.client, genesis.body.sealed, s2.state);
    expect(s3.body.state!.counter).to.equal('3');
    expect(third.warnings).to.deep.equal([]);

    const dead = ChainStateAnchorSource.fromRpc('http://127.0.0.1:9', f.addresses.auditAnchor);
    const blind = await startEnclave(dead);
    expect(await fail(boot(blind.client, genesis.body.sealed, s3.state))).to.equal('ENCLAVE_STATE_ANCHOR_UNREADABLE');
  });
});
