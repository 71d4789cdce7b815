import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo, Server } from 'node:net';
import { Readable } from 'node:stream';
import { KMSClient } from '@aws-sdk/client-kms';
import { hexToBytes, keccak256, toHex, type Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { createDevCa } from '@audata/verifier/dev';
import { auditDomain, verifyAuditLog } from '@audata/verifier/audit';
import type { SealedDatasetKeyJson } from '@audata/wire';
import { sealContribution } from '../../client/src/envelope/seal.ts';
import { createChannelServer } from '../../enclave/src/channel/server.ts';
import { createDevKmsServer } from '../../enclave/src/kms/dev-kms-server.ts';
import { createSimulatedNsm } from '../../enclave/src/nsm/simulated-nsm.ts';
import { createEnclaveRuntime } from '../../enclave/src/runtime/enclave-runtime.ts';
import type { ScoreRequest } from './deps.ts';
import { AuditLogStore } from './db/audit-log.ts';
import { ChannelEnclaveClient } from './enclave-client.ts';
import { SealedEnclaveStateStore } from './enclave-state.ts';
import { tempDatabase } from './test-fixtures.ts';

const sha384 = (text: string) => new Uint8Array(createHash('sha384').update(text).digest());
const keyId = 'arn:aws:kms:us-east-1:000000000000:key/00000000-0000-4000-8000-000000000012';
const chainId = 31337;
const registry = '0x5FbDB2315678afecb367f032d93F642f64180aa3';
const code = (p: Promise<unknown>) => p.then(() => 'none', (e: { code?: string }) => e.code ?? String(e));

describe('ChannelEnclaveClient and the segmented state: a reply lost with its connection', function () {
  this.timeout(30_000);
  const ca = createDevCa({ now: new Date() });
  const build = sha384('lost reply bundle');
  let kmsServer: Server;
  let kms: KMSClient;
  const servers: Server[] = [];

  before(async () => {
    kmsServer = createDevKmsServer({ keyId, masterKey: new Uint8Array(randomBytes(32)), policy: { imageSha384: [Buffer.from(build).toString('hex')] }, attestationRoot: ca.rootDer });
    kmsServer.listen(0, '127.0.0.1');
    await once(kmsServer, 'listening');
    kms = new KMSClient({ region: 'us-east-1', endpoint: `http://127.0.0.1:${(kmsServer.address() as AddressInfo).port}`, credentials: { accessKeyId: 'dev', secretAccessKey: 'dev' }, maxAttempts: 1 });
  });
  after(() => {
    kmsServer.close();
    for (const s of servers) s.close();
  });

  async function upload(datasetKey: Hex): Promise<ScoreRequest> {
    const parts: Uint8Array[] = [];
    const account = privateKeyToAccount(generatePrivateKey());
    const header = await sealContribution({
      audio: [new Uint8Array(randomBytes(3000))], write: (c) => void parts.push(c.slice()), datasetKey: hexToBytes(datasetKey), account,
      chainId, registry, termsHash: keccak256(toHex('CC-BY-4.0')), language: 'en', chunkLog2: 12,
    });
    const ciphertext = Buffer.concat(parts);
    return { fileId: header.manifest.ciphertextSha256, manifest: header.manifest, manifestSignature: header.signature, sealedKey: hexToBytes(header.sealedKey), ciphertext: Readable.from([ciphertext]), contributor: account.address, ciphertextLength: ciphertext.length };
  }

  it('asks the still-running enclave for its latest state on reconnecting, so the lost segment and audit entry are stored and later roots become usable', async () => {
    const env = await tempDatabase();
    try {
      const store = new SealedEnclaveStateStore(env.db);
      const states = { bootAttachment: () => store.bootAttachment(), segmentBundles: () => store.segmentBundles(), save: (ref: Parameters<typeof store.save>[0], blob: Uint8Array) => store.save(ref, blob) };
      const sealedKeys: SealedDatasetKeyJson[] = [];
      const keys = { load: () => sealedKeys.at(-1), save: (s: SealedDatasetKeyJson) => void sealedKeys.push(s) };
      // A stand-in scorer: each finished file's reply carries a segment, a proof and the proof's audit entry.
      const runtime = createEnclaveRuntime({
        nsm: createSimulatedNsm({ ca, pcrs: { 0: build, 1: sha384('runtime'), 2: sha384('lock') }, moduleId: 'i-dev0000000000000000-enc0000000000000000' }), kms, kmsKeyId: keyId, chainId, registry, pipelineVersion: keccak256(toHex('p')),
        scorer: { score: async (opened) => ({ valid: true, score: 9000, authenticity: 9000, ownership: 10_000, quality: 9000, uniqueness: 10_000, detailsHash: keccak256(opened.audio) }) },
        audit: { domain: auditDomain(chainId), signEvery: 1 },
      });
      let lose = true;
      const server = createChannelServer({
        handlers: {
          ...runtime.handlers,
          // The first finish is handled (its state sealed) but its reply comes too late: the client gives up on that connection.
          'contribution.finish': async (body, binary) => {
            const reply = await runtime.handlers['contribution.finish'](body, binary);
            if (lose) await new Promise((resolve) => setTimeout(resolve, 2_400));
            return reply;
          },
        },
      });
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      servers.push(server);
      // The timeout must exceed a boot (KMS round trip, sealing) on a loaded machine, or the boot
      // reply itself is lost and the retry finds an enclave booted by nobody this host knows.
      const client = new ChannelEnclaveClient({ address: { port: (server.address() as AddressInfo).port }, sealedKeys: keys, states, timeoutMs: 2_000, finishTimeoutMs: 2_000, connectBackoffMs: 20 });
      const boot = await client.ready();

      expect(await code(client.score(await upload(boot.datasetKey)))).to.equal('HOST_ENCLAVE_UNREACHABLE');
      lose = false;
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect(store.latest()).to.deep.include({ counter: 1n, segments: 0n });
      const audit = new AuditLogStore(env.db);
      expect(audit.page(0, 10).entries.map((e) => e.kind)).to.deep.equal(['key-release']);
      // The next request reconnects; the enclave is still booted and hands over its held segments and audit entries.
      expect(await code(client.score(await upload(boot.datasetKey)))).to.equal('none');
      expect(store.latest()).to.deep.include({ counter: 3n, segments: 2n });
      expect(env.db.prepare('SELECT count(*) FROM enclave_state_segments').pluck().get()).to.equal(2);
      const log = audit.page(0, 10);
      expect(log).to.not.have.property('gap');
      expect(log.entries.map((e) => e.kind)).to.deep.equal(['key-release', 'proof', 'proof']);
      expect(await verifyAuditLog(log, { signers: [runtime.signer], domain: auditDomain(chainId) })).to.include({ entries: 3, signedThrough: 2 });
      client.close();

      // With the default finish timeout (past the enclave's own per-file limit), a scoring slower
      // than the connection's timeout is waited for, not given up on.
      lose = true;
      const patient = new ChannelEnclaveClient({ address: { port: (server.address() as AddressInfo).port }, sealedKeys: keys, states, timeoutMs: 2_000, connectBackoffMs: 20 });
      await patient.ready();
      expect(await code(patient.score(await upload(boot.datasetKey)))).to.equal('none');
      patient.close();
    } finally {
      env.cleanup();
    }
  });
});
