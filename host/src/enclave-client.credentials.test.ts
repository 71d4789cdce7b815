import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo, Server, Socket } from 'node:net';
import { KMSClient } from '@aws-sdk/client-kms';
import { keccak256, toHex } from 'viem';
import { createDevCa } from '@audata/verifier/dev';
import { connectChannel, type AwsCredentialsJson, type SealedDatasetKeyJson } from '@audata/wire';
import { createChannelServer } from '../../enclave/src/channel/server.ts';
import { createDevKmsServer } from '../../enclave/src/kms/dev-kms-server.ts';
import { HostCredentials } from '../../enclave/src/kms/host-credentials.ts';
import { createSimulatedNsm } from '../../enclave/src/nsm/simulated-nsm.ts';
import { createEnclaveRuntime } from '../../enclave/src/runtime/enclave-runtime.ts';
import type { AwsCredentialIdentity } from '@audata/wire';
import { ChannelEnclaveClient, type SealedKeyStore } from './enclave-client.ts';
import { createLogger } from './log.ts';

const sha384 = (text: string) => new Uint8Array(createHash('sha384').update(text).digest());
const keyId = 'arn:aws:kms:us-east-1:000000000000:key/00000000-0000-4000-8000-000000000002';
const chainId = 31337;
const registry = '0x5FbDB2315678afecb367f032d93F642f64180aa3';
const GOOD = { accessKeyId: 'ASIAGOODROLE0000001', secretAccessKey: 'good-SECRET-8d2f1c0a9b7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c', sessionToken: 'good-TOKEN-IQoJb3JpZ2luX2VjEJr//////////wEaCXVz' };
const OLD = { accessKeyId: 'ASIAOLDROLE00000001', secretAccessKey: 'old-SECRET-1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b', sessionToken: 'old-TOKEN-IQoJb3JpZ2luX2VjEJr//////////wEaCXVa' };
const SECRETS = [GOOD.secretAccessKey, GOOD.sessionToken, OLD.secretAccessKey, OLD.sessionToken];
const codeOf = (p: Promise<unknown>) => p.then(() => 'none', (e: { code?: string }) => e.code ?? String(e));

describe('AWS credentials from the host for the enclave\'s KMS calls (channel, dev KMS requiring an access key id)', function () {
  this.timeout(30_000);
  const ca = createDevCa({ now: new Date() });
  const pcr0 = sha384('bundle');
  let kmsServer: Server;
  let kmsEndpoint = '';
  const servers: Server[] = [];
  const sockets = new Set<Socket>();
  // Everything a log or an error could carry, checked for secrets after each test.
  const said: string[] = [];
  const errors: unknown[] = [];
  let restoreOutput: () => void;

  /** An enclave whose KMS client signs with what the host hands over (AUDATA_KMS_CREDENTIALS=host), or with fixed ones (default). */
  async function startEnclave(mode: 'host' | 'default' = 'host'): Promise<{ port: number; received: string[] }> {
    const received: string[] = [];
    const holder = new HostCredentials();
    const kms = new KMSClient({ region: 'us-east-1', endpoint: kmsEndpoint, maxAttempts: 1, credentials: mode === 'host' ? holder.provider : GOOD });
    const nsm = createSimulatedNsm({ ca, pcrs: { 0: pcr0, 1: sha384('runtime'), 2: sha384('lock') }, moduleId: 'i-dev0000000000000000-enc0000000000000000' });
    const runtime = createEnclaveRuntime({
      nsm, kms, kmsKeyId: keyId, chainId, registry, pipelineVersion: keccak256(toHex('p')),
      onWarning: (message) => void said.push(message),
      ...(mode === 'host' ? { credentials: { set: (json: AwsCredentialsJson) => { received.push(json.accessKeyId); holder.set(json); } } } : {}),
    });
    const server = createChannelServer({ handlers: runtime.handlers, onInternalError: (error) => void errors.push(error) });
    server.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    servers.push(server);
    return { port: (server.address() as AddressInfo).port, received };
  }
  function memoryKeys(): SealedKeyStore & { saved: SealedDatasetKeyJson[] } {
    const saved: SealedDatasetKeyJson[] = [];
    return { saved, load: () => saved.at(-1), save: (s) => void saved.push(s) };
  }
  const caught = async (p: Promise<unknown>) => {
    try {
      await p;
      return 'none';
    } catch (error) {
      errors.push(error);
      return (error as { code?: string }).code ?? String(error);
    }
  };

  before(async () => {
    kmsServer = createDevKmsServer({ keyId, masterKey: new Uint8Array(randomBytes(32)), policy: { imageSha384: [Buffer.from(pcr0).toString('hex')] }, attestationRoot: ca.rootDer, accessKeyId: GOOD.accessKeyId });
    kmsServer.listen(0, '127.0.0.1');
    await once(kmsServer, 'listening');
    kmsEndpoint = `http://127.0.0.1:${(kmsServer.address() as AddressInfo).port}`;
  });
  beforeEach(() => {
    said.length = 0;
    errors.length = 0;
    const out = process.stdout.write.bind(process.stdout);
    const err = process.stderr.write.bind(process.stderr);
    const capture = (write: typeof out) => ((chunk: unknown, ...rest: unknown[]) => {
      said.push(String(chunk));
      return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof out;
    process.stdout.write = capture(out);
    process.stderr.write = capture(err);
    restoreOutput = () => {
      process.stdout.write = out;
      process.stderr.write = err;
    };
  });
  afterEach(async () => {
    restoreOutput();
    for (const socket of sockets) socket.destroy();
    await Promise.all(servers.splice(0).map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
    const text = [...said, ...errors.map((e) => {
      const { message, details, hint, stack } = e as { message?: string; details?: unknown; hint?: string; stack?: string };
      return `${message} ${JSON.stringify(details)} ${hint} ${stack}`;
    })].join('\n');
    for (const secret of SECRETS) expect(text, 'a secret in a log line or an error').to.not.include(secret);
  });
  after(() => kmsServer.close());

  it('boots at genesis and again after a restart (Decrypt) when the host passes the role\'s credentials', async () => {
    const { port, received } = await startEnclave();
    const keys = memoryKeys();
    const logger = createLogger({ sink: (line) => void said.push(line) });
    const client = new ChannelEnclaveClient({ address: { port }, sealedKeys: keys, credentials: async () => GOOD, onCredentialsError: (e) => logger.warn('enclave.credentials_refresh_failed', { code: (e as { code?: string }).code ?? 'INTERNAL' }) });
    const boot = await client.ready();
    expect(boot.genesis).to.equal(true);
    expect(received).to.deep.equal([GOOD.accessKeyId]);
    client.close();

    const restarted = await startEnclave();
    const again = new ChannelEnclaveClient({ address: { port: restarted.port }, sealedKeys: keys, credentials: async () => ({ ...GOOD, expiration: new Date(Date.now() + 3_600_000) }) });
    const reboot = await again.ready();
    expect(reboot.genesis).to.equal(false);
    expect(reboot.datasetKey).to.equal(boot.datasetKey);
    again.close();
  });

  it('fails with ENCLAVE_KMS_CREDENTIALS_MISSING when the host passes none, KMS_REQUEST_FAILED when KMS refuses them, ENCLAVE_KMS_CREDENTIALS_EXPIRED when they expired', async () => {
    const { port } = await startEnclave();
    const none = new ChannelEnclaveClient({ address: { port }, sealedKeys: memoryKeys(), connectAttempts: 1 });
    const missing = none.ready();
    expect(await caught(missing)).to.equal('ENCLAVE_KMS_CREDENTIALS_MISSING');
    none.close();

    const wrong = new ChannelEnclaveClient({ address: { port }, sealedKeys: memoryKeys(), connectAttempts: 1, credentials: async () => OLD });
    const refused = wrong.ready();
    expect(await caught(refused)).to.equal('KMS_REQUEST_FAILED');
    expect(await refused.catch((e: { details?: unknown }) => e.details)).to.deep.include({ operation: 'GenerateDataKey', kmsError: 'UnrecognizedClientException' });
    wrong.close();

    const stale = new ChannelEnclaveClient({ address: { port }, sealedKeys: memoryKeys(), connectAttempts: 1, credentials: async () => ({ ...GOOD, expiration: new Date(Date.now() - 1000) }) });
    expect(await caught(stale.ready())).to.equal('ENCLAVE_KMS_CREDENTIALS_EXPIRED');
    stale.close();

    // Nothing was released, so the enclave still boots once the host passes good ones.
    const good = new ChannelEnclaveClient({ address: { port }, sealedKeys: memoryKeys(), credentials: async () => GOOD });
    expect((await good.ready()).genesis).to.equal(true);
    good.close();
  });

  it('a credentials request replaces the credentials for the next KMS call', async () => {
    const { port, received } = await startEnclave();
    const channel = await connectChannel({ port });
    try {
      await channel.request('credentials', OLD);
      expect(await caught(channel.request('boot', {}))).to.equal('KMS_REQUEST_FAILED');
      expect((await channel.request('credentials', { ...GOOD, expiration: new Date(Date.now() + 3_600_000).toISOString() })).body).to.deep.equal({});
      const { body } = await channel.request('boot', {});
      expect(body.genesis).to.equal(true);
      expect(received).to.deep.equal([OLD.accessKeyId, GOOD.accessKeyId]);
    } finally {
      channel.close();
    }
  });

  it('refreshes on a timer, reports a failed refresh without the secret and tries again', async () => {
    const { port, received } = await startEnclave();
    let calls = 0;
    const reported: string[] = [];
    const logger = createLogger({ sink: (line) => void said.push(line) });
    const client = new ChannelEnclaveClient({
      address: { port }, sealedKeys: memoryKeys(), credentialsRefreshMs: 20, credentialsRetryMs: 20,
      credentials: async () => {
        calls += 1;
        if (calls === 2) throw new Error('Could not load credentials from any providers');
        return calls === 1 ? GOOD : { ...GOOD, accessKeyId: `ASIAREFRESH${calls}` };
      },
      onCredentialsError: (error) => {
        errors.push(error);
        reported.push((error as { code?: string }).code ?? 'INTERNAL');
        logger.warn('enclave.credentials_refresh_failed', { code: (error as { code?: string }).code ?? 'INTERNAL' });
      },
    });
    await client.ready();
    const deadline = Date.now() + 5000;
    while (received.length < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    client.close();
    expect(reported[0]).to.equal('HOST_ENCLAVE_CREDENTIALS_UNAVAILABLE');
    expect(received.slice(0, 3)).to.deep.equal([GOOD.accessKeyId, 'ASIAREFRESH3', 'ASIAREFRESH4']);
    const settled = calls;
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(calls, 'no refresh after close').to.equal(settled);
  });

  it('an enclave on its default chain ignores credentials from the host, with a warning that carries none of them', async () => {
    const { port } = await startEnclave('default');
    const client = new ChannelEnclaveClient({ address: { port }, sealedKeys: memoryKeys(), credentials: async () => OLD });
    expect((await client.ready()).genesis).to.equal(true);
    await client.refreshCredentials();
    client.close();
    expect(said.filter((line) => line.includes('AUDATA_KMS_CREDENTIALS=default'))).to.have.length(1);
  });
});
