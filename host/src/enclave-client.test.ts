import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo, Server, Socket } from 'node:net';
import { Readable } from 'node:stream';
import { KMSClient } from '@aws-sdk/client-kms';
import { keccak256, toHex, hexToBytes, recoverTypedDataAddress, type Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { verifyAttestation } from '@audata/verifier';
import { createDevCa } from '@audata/verifier/dev';
import { AudataError, decodeAttestationBinding, proofTypes, registryDomain, type SealedDatasetKeyJson } from '@audata/wire';
import { sealContribution } from '../../client/src/envelope/seal.ts';
import { createChannelServer, type ChannelHandlers } from '../../enclave/src/channel/server.ts';
import { createDevKmsServer } from '../../enclave/src/kms/dev-kms-server.ts';
import { createSimulatedNsm } from '../../enclave/src/nsm/simulated-nsm.ts';
import { createEnclaveRuntime, type ContributionScorer } from '../../enclave/src/runtime/enclave-runtime.ts';
import { ChannelEnclaveClient, type BootInfo, type SealedKeyStore } from './enclave-client.ts';
import type { ScoreRequest } from './deps.ts';

const sha384 = (text: string) => new Uint8Array(createHash('sha384').update(text).digest());
const keyId = 'arn:aws:kms:us-east-1:000000000000:key/00000000-0000-4000-8000-000000000001';
const chainId = 31337;
const registry = '0x5FbDB2315678afecb367f032d93F642f64180aa3';
const code = (p: Promise<unknown>) => p.then(() => 'none', (e: { code?: string }) => e.code ?? String(e));
const lengthScorer: ContributionScorer = {
  async score(opened) {
    const quality = Math.min(10_000, opened.audio.length);
    return { valid: true, score: quality, authenticity: 9000, ownership: 10_000, quality, uniqueness: 10_000, detailsHash: keccak256(opened.audio) };
  },
};

describe('ChannelEnclaveClient (in-process enclave runtime, simulated NSM, dev KMS)', function () {
  this.timeout(30_000);
  const ca = createDevCa({ now: new Date() });
  const pcr0 = sha384('bundle');
  let kmsServer: Server;
  let kms: KMSClient;
  let enclaveServer: Server | undefined;
  let port = 0;
  const sockets = new Set<Socket>();

  async function startEnclave(scorer: ContributionScorer | null = lengthScorer, replace: Partial<ChannelHandlers> = {}): Promise<void> {
    const nsm = createSimulatedNsm({ ca, pcrs: { 0: pcr0, 1: sha384('runtime'), 2: sha384('lock') }, moduleId: 'i-dev0000000000000000-enc0000000000000000' });
    const runtime = createEnclaveRuntime({ nsm, kms, kmsKeyId: keyId, chainId, registry, pipelineVersion: keccak256(toHex('p')), ...(scorer === null ? {} : { scorer }) });
    enclaveServer = createChannelServer({ handlers: { ...runtime.handlers, ...replace } });
    enclaveServer.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    });
    enclaveServer.listen(port, '127.0.0.1');
    await once(enclaveServer, 'listening');
    port = (enclaveServer.address() as AddressInfo).port;
  }
  async function stopEnclave(): Promise<void> {
    const server = enclaveServer;
    enclaveServer = undefined;
    if (server === undefined) return;
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  function memoryKeys(): SealedKeyStore & { saved: SealedDatasetKeyJson[] } {
    const saved: SealedDatasetKeyJson[] = [];
    return { saved, load: () => saved.at(-1), save: (s) => void saved.push(s) };
  }

  async function upload(datasetKey: Hex, audio = new Uint8Array(randomBytes(20_000))): Promise<ScoreRequest> {
    const parts: Uint8Array[] = [];
    const account = privateKeyToAccount(generatePrivateKey());
    const header = await sealContribution({
      audio: [audio], write: (c) => void parts.push(c.slice()), datasetKey: hexToBytes(datasetKey), account,
      chainId, registry, termsHash: keccak256(toHex('CC-BY-4.0')), language: 'en', chunkLog2: 12,
    });
    const ciphertext = Buffer.concat(parts);
    return {
      fileId: header.manifest.ciphertextSha256,
      manifest: header.manifest,
      manifestSignature: header.signature,
      sealedKey: hexToBytes(header.sealedKey),
      ciphertext: Readable.from([ciphertext]),
      contributor: account.address,
      ciphertextLength: ciphertext.length,
    };
  }

  before(async () => {
    kmsServer = createDevKmsServer({ keyId, masterKey: new Uint8Array(randomBytes(32)), policy: { imageSha384: [Buffer.from(pcr0).toString('hex')] }, attestationRoot: ca.rootDer });
    kmsServer.listen(0, '127.0.0.1');
    await once(kmsServer, 'listening');
    kms = new KMSClient({ region: 'us-east-1', endpoint: `http://127.0.0.1:${(kmsServer.address() as AddressInfo).port}`, credentials: { accessKeyId: 'dev', secretAccessKey: 'dev' }, maxAttempts: 1 });
  });
  afterEach(stopEnclave);
  after(() => kmsServer.close());

  it('boots at genesis, relays an attestation with the nonce, and streams a file in pieces to a signed proof', async () => {
    await startEnclave();
    const keys = memoryKeys();
    const boots: BootInfo[] = [];
    const enclaveTimes: number[] = [];
    const client = new ChannelEnclaveClient({ address: { port }, sealedKeys: keys, pieceBytes: 4096, onBoot: async (b) => void boots.push(b), onEnclaveTime: (ms) => void enclaveTimes.push(ms) });
    const boot = await client.ready();
    expect(boot.genesis).to.equal(true);
    expect(keys.saved).to.have.length(1);
    expect(boots).to.have.length(1);

    const nonce = new Uint8Array(randomBytes(32));
    const attestation = await client.attest(nonce);
    const verified = verifyAttestation(attestation.document, { root: ca.rootDer, expectedNonce: nonce, expectedPcrs: { 0: pcr0 }, cache: null });
    expect(decodeAttestationBinding(verified.userData).signer).to.equal(boot.signer);

    const request = await upload(boot.datasetKey);
    const signed = await client.score(request);
    expect(signed.proof.fileId).to.equal(request.fileId);
    expect(signed.proof.contributor).to.equal(request.contributor);
    const signer = await recoverTypedDataAddress({ domain: registryDomain(chainId, registry), types: proofTypes, primaryType: 'ContributionProof', message: signed.proof, signature: signed.signature });
    expect(signer).to.equal(boot.signer);
    expect(enclaveTimes).to.have.length(1);
    expect(enclaveTimes[0]).to.be.above(0);
    client.close();
  });

  it('keeps the sealed state from boot and finish replies and hands the latest back at the next boot', async () => {
    await startEnclave();
    const saved: { counter: string; blob: Uint8Array }[] = [];
    const attachments: number[] = [];
    const states = {
      bootAttachment: () => {
        const latest = saved.at(-1)?.blob ?? new Uint8Array(0);
        attachments.push(latest.length);
        return latest;
      },
      save: (ref: { counter: string }, blob: Uint8Array) => void saved.push({ counter: ref.counter, blob: blob.slice() }),
    };
    const keys = memoryKeys();
    const client = new ChannelEnclaveClient({ address: { port }, sealedKeys: keys, states, connectBackoffMs: 20 });
    const boot = await client.ready();
    await client.score(await upload(boot.datasetKey));
    expect(saved.length).to.be.greaterThanOrEqual(2);
    expect(BigInt(saved.at(-1)!.counter) > BigInt(saved[0]!.counter)).to.equal(true);
    await stopEnclave();
    await startEnclave();
    // The old connection is dead; one attestation request notices, reconnects and boots.
    await client.attest(new Uint8Array(32));
    await client.score(await upload(boot.datasetKey));
    expect(attachments).to.have.length(2);
    expect(attachments[0]).to.equal(0);
    expect(attachments[1]).to.be.greaterThan(0);
    client.close();
  });

  it('completes a file whose proof it lost: the enclave refuses the replay, and its recorded result comes back signed again, unread ciphertext and all', async () => {
    await startEnclave();
    const saved: { counter: string; blob: Uint8Array }[] = [];
    const states = { bootAttachment: () => saved.at(-1)?.blob ?? new Uint8Array(0), save: (ref: { counter: string }, blob: Uint8Array) => void saved.push({ counter: ref.counter, blob: blob.slice() }) };
    const client = new ChannelEnclaveClient({ address: { port }, sealedKeys: memoryKeys(), states, connectBackoffMs: 20 });
    const boot = await client.ready();
    const request = await upload(boot.datasetKey);
    const lost = await client.score(request);
    // The host stopped before keeping that proof; the enclave restarts from the state it did keep.
    await stopEnclave();
    await startEnclave();
    // The dead connection is noticed (the worker retries the same way) and the new enclave booted.
    await client.attest(new Uint8Array(32));
    let read = false;
    const again = { ...request, ciphertext: new Readable({ read() { read = true; this.push(null); } }) };
    const before = saved.length;
    const signed = await client.score(again);
    expect(read).to.equal(false);
    expect(again.ciphertext.destroyed).to.equal(true);
    const { deadline: _a, ...scores } = signed.proof;
    const { deadline: _b, ...lostScores } = lost.proof;
    expect(scores).to.deep.equal(lostScores);
    const signer = await recoverTypedDataAddress({ domain: registryDomain(chainId, registry), types: proofTypes, primaryType: 'ContributionProof', message: signed.proof, signature: signed.signature });
    expect(signer).to.equal(client.boot!.signer);
    expect(signer).to.not.equal(boot.signer);
    // The re-issue moved the audit log; its state was kept.
    expect(saved.length).to.equal(before + 1);
    expect(BigInt(saved.at(-1)!.counter) > BigInt(saved.at(-2)!.counter)).to.equal(true);
    client.close();
  });

  it('refuses a re-issued proof for another file as HOST_ENCLAVE_REPLY_MISMATCH', async () => {
    await startEnclave(lengthScorer, {
      'contribution.begin': async () => { throw new AudataError('ENVELOPE_REPLAYED', 'seen'); },
      'contribution.reissue': async (body) => ({
        body: {
          manifestHash: keccak256('0x01'), contributor: body.header.contributor, fileId: keccak256('0x02'), signature: `0x${'11'.repeat(65)}`,
          proof: { fileId: keccak256('0x02'), contributor: body.header.contributor, manifestHash: keccak256('0x01'), valid: true, score: 1, authenticity: 1, ownership: 1, quality: 1, uniqueness: 1, pipelineVersion: keccak256('0x03'), detailsHash: keccak256('0x04'), deadline: '1' },
          state: { counter: '5', sha256: keccak256('0x05'), bytes: 0 },
        },
        binary: new Uint8Array(0),
      }),
    });
    const client = new ChannelEnclaveClient({ address: { port }, sealedKeys: memoryKeys() });
    const boot = await client.ready();
    expect(await code(client.score(await upload(boot.datasetKey)))).to.equal('HOST_ENCLAVE_REPLY_MISMATCH');
    client.close();
  });

  it('stores the state a job step carries before it returns the step result, and refuses a state longer than the attachment', async () => {
    const stateBytes = new Uint8Array([5, 6, 7, 8]);
    const result = new Uint8Array([1, 2, 3]);
    let claimed = stateBytes.length;
    await startEnclave(lengthScorer, {
      'job.step': async () => ({
        body: { epsilonSpent: 0.25, state: { counter: '9', sha256: keccak256(stateBytes), bytes: claimed } },
        binary: new Uint8Array([...stateBytes, ...result]),
      }),
    });
    const events: string[] = [];
    let release: () => void = () => undefined;
    const saved: Uint8Array[] = [];
    const states = {
      bootAttachment: () => new Uint8Array(0),
      save: (ref: { counter: string }, blob: Uint8Array) => {
        if (ref.counter !== '9') return undefined;
        events.push('save started');
        saved.push(blob.slice());
        return new Promise<void>((resolve) => {
          release = () => {
            events.push('save done');
            resolve();
          };
        });
      },
    };
    const client = new ChannelEnclaveClient({ address: { port }, sealedKeys: memoryKeys(), states, connectBackoffMs: 20 });
    await client.ready();
    const jobId = keccak256(toHex('job'));
    const step = client.step(jobId, new TextEncoder().encode('{}')).then((r) => {
      events.push('result returned');
      return r;
    });
    while (events.length === 0) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 20));
    expect(events).to.deep.equal(['save started']);
    release();
    const answer = await step;
    expect(events).to.deep.equal(['save started', 'save done', 'result returned']);
    expect(answer).to.deep.equal({ sealed: result, epsilonSpent: 0.25 });
    expect(saved).to.deep.equal([stateBytes]);
    claimed = 10;
    expect(await code(client.step(jobId, new TextEncoder().encode('{}')))).to.equal('HOST_ENCLAVE_REPLY_MISMATCH');
    client.close();
  });

  it('reconnects after the enclave restarts, boots it with the kept key and reports the new signer', async () => {
    await startEnclave();
    const keys = memoryKeys();
    const boots: BootInfo[] = [];
    const client = new ChannelEnclaveClient({ address: { port }, sealedKeys: keys, connectBackoffMs: 20, onBoot: async (b) => void boots.push(b) });
    const first = await client.ready();
    await stopEnclave();
    expect(await code(client.attest(new Uint8Array(32)))).to.equal('HOST_ENCLAVE_UNREACHABLE');
    await startEnclave();
    const request = await upload(first.datasetKey);
    const signed = await client.score(request);
    expect(boots).to.have.length(2);
    expect(boots[1]!.genesis).to.equal(false);
    expect(boots[1]!.datasetKey).to.equal(first.datasetKey);
    expect(boots[1]!.signer).to.not.equal(first.signer);
    expect(signed.proof.fileId).to.equal(request.fileId);
    client.close();
  });

  it('reports an enclave that signs no proof, a request without its header facts, and passes enclave refusals through', async () => {
    await startEnclave(null);
    const client = new ChannelEnclaveClient({ address: { port }, sealedKeys: memoryKeys() });
    const boot = await client.ready();
    expect(await code(client.score(await upload(boot.datasetKey)))).to.equal('HOST_ENCLAVE_NO_PROOF');
    const { contributor: _, ...withoutContributor } = await upload(boot.datasetKey);
    expect(await code(client.score(withoutContributor))).to.equal('HOST_ENCLAVE_REPLY_MISMATCH');
    const swapped = await upload(boot.datasetKey);
    swapped.ciphertext = Readable.from([Buffer.alloc(swapped.ciphertextLength!, 1)]);
    expect(await code(client.score(swapped))).to.match(/^ENVELOPE_/);
    client.close();
    expect(await code(client.attest(new Uint8Array(32)))).to.equal('HOST_ENCLAVE_UNREACHABLE');
  });
});
