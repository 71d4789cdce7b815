import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import type { AddressInfo, Server } from 'node:net';
import { KMSClient } from '@aws-sdk/client-kms';
import { hexToBytes, keccak256, toHex, type Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { auditDomain, verifyAuditLog, type AuditEntry, type SignedAuditHead } from '@audata/verifier/audit';
import { createDevCa } from '@audata/verifier/dev';
import { connectChannel, decodeStateBundle, encodeStateBundle, envelopeHeaderToJson, peekRootHeader, type ChannelClient, type EnvelopeHeader, type SealedDatasetKeyJson } from '@audata/wire';
import { sealContribution } from '../../../client/src/envelope/seal.ts';
import { SileroVad } from '../audio/vad.ts';
import { createChannelServer } from '../channel/server.ts';
import { createDevKmsServer } from '../kms/dev-kms-server.ts';
import { createSimulatedNsm } from '../nsm/simulated-nsm.ts';
import { FingerprintIndexSlot } from '../state/fingerprint-slot.ts';
import { MemoryStateKeeper } from '../state/memory-keeper.ts';
import type { StateAnchor } from '../state/sealed-state.ts';
import { createEnclaveRuntime } from './enclave-runtime.ts';
import { createPipelineScorer, SCORING_PIPELINE_VERSION } from './pipeline-scorer.ts';

const sha384 = (text: string) => new Uint8Array(createHash('sha384').update(text).digest());
const sha256 = (bytes: Uint8Array): Hex => `0x${createHash('sha256').update(bytes).digest('hex')}`;
const keyId = 'arn:aws:kms:us-east-1:000000000000:key/00000000-0000-4000-8000-000000000001';
const chainId = 31337;
const registry = '0x5FbDB2315678afecb367f032d93F642f64180aa3';
const speech = new Uint8Array(readFileSync(new URL('../../test-vectors/audio/speech-16k.wav', import.meta.url)));
// Another file (the same prompt through A-law): decodes and scores, under its own manifest.
const alaw = new Uint8Array(readFileSync(new URL('../../test-vectors/audio/speech-16k-alaw.wav', import.meta.url)));
const fail = (p: Promise<unknown>) => p.then(() => 'none', (e: { code?: string }) => e.code);

describe('enclave state across restarts (channel, simulated NSM, dev KMS, audio pipeline)', function () {
  this.timeout(120_000);
  const ca = createDevCa({ now: new Date() });
  const build = sha384('persistent state bundle');
  let kmsServer: Server;
  let kms: KMSClient;
  let vad: SileroVad;
  const servers: Server[] = [];
  const clients: ChannelClient[] = [];

  interface Enclave {
    client: ChannelClient;
    warnings: string[];
    entries: AuditEntry[];
    heads: SignedAuditHead[];
  }

  async function startEnclave(anchor?: StateAnchor): Promise<Enclave> {
    const nsm = createSimulatedNsm({ ca, pcrs: { 0: build, 1: sha384('runtime'), 2: sha384('lock') }, moduleId: 'i-dev0000000000000000-enc0000000000000000' });
    const fingerprints = new FingerprintIndexSlot();
    const out: Omit<Enclave, 'client'> = { warnings: [], entries: [], heads: [] };
    const runtime = createEnclaveRuntime({
      nsm, kms, kmsKeyId: keyId, chainId, registry, pipelineVersion: SCORING_PIPELINE_VERSION,
      scorer: createPipelineScorer({ vad, index: fingerprints }),
      fingerprints,
      audit: { domain: auditDomain(chainId), signEvery: 1, onEntry: (e) => out.entries.push(e), onHead: (h) => out.heads.push(h) },
      onWarning: (m) => out.warnings.push(m),
      ...(anchor === undefined ? {} : { stateAnchor: async () => anchor }),
    });
    const server = createChannelServer({ handlers: runtime.handlers });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    servers.push(server);
    const client = await connectChannel({ port: (server.address() as AddressInfo).port });
    clients.push(client);
    return { client, ...out };
  }

  async function boot(client: ChannelClient, sealed?: SealedDatasetKeyJson, state?: Uint8Array) {
    const reply = await client.request('boot', sealed === undefined ? {} : { sealed }, state ?? new Uint8Array(0));
    return { body: reply.body, state: reply.binary.slice() };
  }

  async function envelope(datasetKey: Hex, audio: Uint8Array) {
    const parts: Uint8Array[] = [];
    const header = await sealContribution({
      audio: [audio], write: (c) => void parts.push(c.slice()), datasetKey: hexToBytes(datasetKey), account: privateKeyToAccount(generatePrivateKey()),
      chainId, registry, termsHash: keccak256(toHex('CC-BY-4.0')), language: 'en',
    });
    return { header, ciphertext: Uint8Array.from(Buffer.concat(parts)) };
  }

  async function upload(client: ChannelClient, file: { header: EnvelopeHeader; ciphertext: Uint8Array }) {
    const { body } = await client.request('contribution.begin', { header: envelopeHeaderToJson(file.header) });
    await client.request('contribution.chunk', { session: body.session }, file.ciphertext);
    const done = await client.request('contribution.finish', { session: body.session });
    return { body: done.body, state: done.binary.slice() };
  }

  before(async () => {
    kmsServer = createDevKmsServer({ keyId, masterKey: new Uint8Array(randomBytes(32)), policy: { imageSha384: [Buffer.from(build).toString('hex')] }, attestationRoot: ca.rootDer });
    kmsServer.listen(0, '127.0.0.1');
    await once(kmsServer, 'listening');
    kms = new KMSClient({ region: 'us-east-1', endpoint: `http://127.0.0.1:${(kmsServer.address() as AddressInfo).port}`, credentials: { accessKeyId: 'dev', secretAccessKey: 'dev' }, maxAttempts: 1 });
    vad = await SileroVad.load({ intraOpNumThreads: 1 });
  });
  after(() => {
    for (const c of clients) c.close();
    for (const s of servers) s.close();
    kmsServer.close();
  });

  it('keeps the fingerprint index, the replay set and the audit chain across a restart', async () => {
    const first = await startEnclave();
    const kept = new MemoryStateKeeper();
    const genesis = await boot(first.client);
    kept.keep(genesis.state);
    expect(genesis.body.state!.counter).to.equal('1');
    // The genesis state is a root alone (nothing finished yet); the anchorable name is the root's hash.
    const genesisBundle = decodeStateBundle(genesis.state);
    expect(genesisBundle.segments).to.have.length(0);
    expect(peekRootHeader(genesisBundle.root!)).to.deep.include({ counter: 1n, segments: 0n });
    expect(sha256(genesisBundle.root!)).to.equal(genesis.body.state!.sha256);
    const original = await envelope(genesis.body.datasetKey, speech);
    const scored = await upload(first.client, original);
    kept.keep(scored.state);
    expect(scored.body.proof!.uniqueness).to.be.above(0);
    expect(scored.body.state!.counter).to.equal('2');
    // The finished file's reply carries one segment (its fingerprint and record) and the new root.
    const scoredBundle = decodeStateBundle(scored.state);
    expect(scoredBundle.segments).to.have.length(1);
    expect(peekRootHeader(scoredBundle.root!)).to.deep.include({ counter: 2n, segments: 1n });
    // Each state carries the audit entries its root adds: the key release, then the proof.
    expect(genesisBundle.audit!.entries.map((e) => e.seq)).to.deep.equal([0]);
    expect(scoredBundle.audit!.entries.map((e) => e.seq)).to.deep.equal([1]);
    expect(scoredBundle.audit!.entries[0]!.payloadDigest).to.equal(first.entries[1]!.payloadDigest);
    // The state request sends the latest root again with this boot's segments and audit entries.
    const latest = await first.client.request('state', {});
    expect(latest.body.state.sha256).to.equal(scored.body.state!.sha256);
    const resent = decodeStateBundle(latest.binary);
    expect(Buffer.from(resent.root!).equals(Buffer.from(scoredBundle.root!))).to.equal(true);
    expect(resent.segments.map((s) => Buffer.from(s).toString('hex'))).to.deep.equal(scoredBundle.segments.map((s) => Buffer.from(s).toString('hex')));
    expect(resent.audit!.entries.map((e) => e.seq)).to.deep.equal([0, 1]);
    first.client.close();

    const second = await startEnclave();
    const restart = await boot(second.client, genesis.body.sealed, kept.bootBundle());
    expect(restart.body.state!.counter).to.equal('3');
    expect(second.warnings.join('\n')).to.match(/no state anchor: accepted sealed state 2/);
    // The same envelope again: the replay set came back.
    expect(await fail(upload(second.client, original))).to.equal('ENVELOPE_REPLAYED');
    // The same recording, encrypted afresh under a new manifest: the index came back.
    const copy = await upload(second.client, await envelope(genesis.body.datasetKey, speech));
    expect(copy.body.proof!.valid).to.equal(true);
    expect(copy.body.proof!.uniqueness).to.equal(0);
    expect(copy.body.state!.counter).to.equal('4');

    // The audit chain continues: one log over both boots replays clean.
    expect(second.entries[0]!.seq).to.equal(first.entries.length);
    expect(second.entries[0]!.prevHash).to.equal(first.heads.at(-1)!.head);
    const verdict = await verifyAuditLog(
      { entries: [...first.entries, ...second.entries], heads: [...first.heads, ...second.heads] },
      { signers: [genesis.body.signer, restart.body.signer], domain: auditDomain(chainId) },
    );
    expect(verdict.entries).to.equal(4);
    expect(first.entries.map((e) => e.kind).concat(second.entries.map((e) => e.kind))).to.deep.equal(['key-release', 'proof', 'key-release', 'proof']);

    // Without the state, the same copy would have passed as new: the state is what catches it.
    const forgetful = await startEnclave();
    await boot(forgetful.client, genesis.body.sealed);
    expect(forgetful.warnings.join('\n')).to.match(/no state anchor: accepted an empty state/);
    const again = await upload(forgetful.client, await envelope(genesis.body.datasetKey, speech));
    expect(again.body.proof!.uniqueness).to.be.above(0);
  });

  it('refuses a tampered or foreign state with its typed error and stays unbooted until given the right one', async () => {
    const first = await startEnclave();
    const genesis = await boot(first.client);
    const other = await startEnclave();
    const foreign = await boot(other.client);

    const next = await startEnclave();
    const root = decodeStateBundle(genesis.state).root!.slice();
    root[root.length - 5]! ^= 0x10;
    const tampered = encodeStateBundle({ segments: [], root });
    expect(await fail(boot(next.client, genesis.body.sealed, tampered))).to.equal('STATE_TAMPERED');
    expect(await fail(next.client.request('attestation', { nonce: '0x01' }))).to.equal('ENCLAVE_NOT_BOOTED');
    expect(await fail(boot(next.client, genesis.body.sealed, foreign.state))).to.equal('STATE_WRONG_KEY');
    const cut = encodeStateBundle({ segments: [], root: decodeStateBundle(genesis.state).root!.subarray(0, 30) });
    expect(await fail(boot(next.client, genesis.body.sealed, cut))).to.equal('STATE_TRUNCATED');
    expect(await fail(boot(next.client, genesis.body.sealed, genesis.state.subarray(0, 30)))).to.equal('CHANNEL_MESSAGE_INVALID');
    expect(await fail(next.client.request('state', {}))).to.equal('ENCLAVE_NOT_BOOTED');
    const ok = await boot(next.client, genesis.body.sealed, genesis.state);
    expect(ok.body.state!.counter).to.equal('2');
  });

  it('with an anchor, refuses an older state, a missing one, or a fork of the anchored one as rollback', async () => {
    const first = await startEnclave();
    const kept = new MemoryStateKeeper();
    const genesis = await boot(first.client);
    const older = await upload(first.client, await envelope(genesis.body.datasetKey, speech));
    kept.keep(older.state);
    const newest = await upload(first.client, await envelope(genesis.body.datasetKey, alaw));
    kept.keep(newest.state);
    const anchor: StateAnchor = { counter: BigInt(newest.body.state!.counter), sha256: newest.body.state!.sha256 };

    const next = await startEnclave(anchor);
    expect(await fail(boot(next.client, genesis.body.sealed, kept.bootBundle(older.state)))).to.equal('STATE_ROLLBACK');
    expect(await fail(boot(next.client, genesis.body.sealed))).to.equal('STATE_ROLLBACK');
    const fork = await startEnclave({ ...anchor, sha256: older.body.state!.sha256 });
    expect(await fail(boot(fork.client, genesis.body.sealed, kept.bootBundle()))).to.equal('STATE_ANCHOR_MISMATCH');
    const ok = await boot(next.client, genesis.body.sealed, kept.bootBundle());
    expect(ok.body.state!.counter).to.equal(String(anchor.counter + 1n));
    expect(next.warnings).to.deep.equal([]);
  });

  it('leaves a manifest still being opened out of the sealed state, so a restart mid-file lets it be retried', async () => {
    const first = await startEnclave();
    const genesis = await boot(first.client);
    const pending = await envelope(genesis.body.datasetKey, speech);
    await first.client.request('contribution.begin', { header: envelopeHeaderToJson(pending.header) });
    const other = await upload(first.client, await envelope(genesis.body.datasetKey, alaw));
    first.client.close();

    const second = await startEnclave();
    // Only the finished file's segment exists: the one being opened left nothing behind.
    expect(peekRootHeader(decodeStateBundle(other.state).root!).segments).to.equal(1n);
    await boot(second.client, genesis.body.sealed, other.state);
    const retried = await upload(second.client, pending);
    expect(retried.body.proof!.valid).to.equal(true);
  });
});
