// `audata job` end to end over HTTP: a small server relays the /v1/jobs routes to the real
// enclave job engine (on a fake chain), the shape the host's routes must have.
import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keccak256, sha256, toHex, type Address, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { isAudataError } from '@audata/wire';
import { auditDomain } from '@audata/verifier/audit';
import { AuditLog } from '../../../enclave/src/audit/log.ts';
import { MemoryLedgerStorage } from '../../../enclave/src/privacy/ledger.ts';
import { createEnclaveSigner } from '../../../enclave/src/signing/enclave-signer.ts';
import { buildMeanPoolEmbeddingModel } from '../../../enclave/src/jobs/features-job.ts';
import { JobEngine } from '../../../enclave/src/jobs/job-engine.ts';
import { jobRequests } from '../../../enclave/src/jobs/job-requests.ts';
import type { Policy } from '../../../enclave/src/jobs/policy.ts';
import { chacha20Random, RandomStream } from '../../../enclave/src/jobs/random.ts';
import type { CatalogueFile } from '../../../enclave/src/jobs/selection.ts';
import { buildSoftmaxGradientModel, parameterCount } from '../../../enclave/src/jobs/softmax-classifier.ts';
import { parseSharesFile } from '../jobs/shares-file.ts';
import { main } from './main.ts';

const MELS = 80;
const buyerKeyHex = keccak256(toHex('buyer wallet'));
const buyer: Address = privateKeyToAccount(buyerKeyHex).address;
const escrow: Address = '0x00000000000000000000000000000000000000e5';
/** The buyer's wallet signs for this chain and escrow; --chain-id asks no RPC and dates deadlines by this machine's clock, as the engine here does. */
const signing = ['--key', buyerKeyHex, '--escrow', escrow, '--chain-id', '1'];
const terms: Hex = keccak256(toHex('terms'));

function capture() {
  const io = { out: '', err: '', stdout: (t: string) => void (io.out += t), stderr: (t: string) => void (io.err += t) };
  return io;
}

describe('audata job (HTTP relay to the job engine)', function () {
  this.timeout(60_000);
  const dir = mkdtempSync(join(tmpdir(), 'audata-job-'));
  const gradientModel = buildSoftmaxGradientModel({ features: MELS, classes: 2 });
  const featuresModel = buildMeanPoolEmbeddingModel({ melBands: MELS, embedding: 2 }, Float32Array.from({ length: MELS * 2 }, (_, i) => (i % 3) - 1));
  let server: Server;
  let host = '';
  /** The engine's clock: this machine's unless a test pins it to a chain's. */
  let chainTime: bigint | undefined;

  before(async () => {
    const catalogue: CatalogueFile[] = Array.from({ length: 12 }, (_, i) => ({
      fileId: keccak256(toHex(`file ${i}`)),
      contributor: i % 2 === 0 ? '0x00000000000000000000000000000000000000a1' : '0x00000000000000000000000000000000000000a2',
      valid: true,
      score: 7_000,
      language: i % 2 === 0 ? 'en' : 'pt-BR',
      termsHash: terms,
      durationSec: 2,
    }));
    const policy: Policy = { id: 1n, buyer, jobKinds: 3, modelHashes: [sha256(gradientModel), sha256(featuresModel)], minScore: 0, languages: [], termsHash: terms, epsilon: 50_000_000n, delta: 10n ** 13n, price: 100n, expiry: 10n ** 12n, createdAt: 1n, retired: false };
    const engine = new JobEngine({
      source: { policy: async () => policy, escrow: async () => ({ paused: false, status: 'paid', buyer, policyId: 1n, price: 100n, policyEpsilonSpent: 0n }), revoked: async () => new Set() },
      catalogue: () => catalogue,
      features: async (f) => ({ nMels: MELS, frames: 2, data: Float32Array.from({ length: 2 * MELS }, (_, i) => (f.language === 'en' ? 1 : -1) * Math.sin(i / 9)) }),
      ledgerStorage: new MemoryLedgerStorage(),
      signer: createEnclaveSigner(),
      escrow: { chainId: 1, contract: escrow },
      audit: new AuditLog({ signer: privateKeyToAccount(keccak256(toHex('audit'))), domain: auditDomain(1), signEvery: 10 }),
      random: new RandomStream(chacha20Random(new Uint8Array(32).fill(9))),
      now: () => chainTime ?? BigInt(Math.floor(Date.now() / 1000)),
    });
    const jobs = jobRequests(engine);
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        const body = chunks.length === 0 ? {} : (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>);
        const [, , , id, action] = (req.url ?? '').split('/');
        try {
          let answer: unknown;
          if (req.method === 'POST' && id === undefined) answer = await jobs.submit(body);
          else if (req.method === 'GET' && action === undefined) answer = await jobs.status(id as Hex);
          else if (req.method === 'GET' && action === 'result') answer = await jobs.result(id as Hex);
          else if (req.method === 'POST' && action === 'steps') answer = await jobs.step(id as Hex, body);
          else if (req.method === 'POST' && action === 'finish') answer = await jobs.finish(id as Hex, body);
          res.writeHead(answer === undefined ? 404 : 200, { 'content-type': 'application/json' }).end(JSON.stringify(answer ?? { error: { code: 'NOT_FOUND', message: 'no route' } }));
        } catch (error) {
          const code = isAudataError(error) ? error.code : 'INTERNAL';
          res.writeHead(isAudataError(error) ? 400 : 500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code, message: (error as Error).message } }));
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address() as { port: number };
    host = `http://127.0.0.1:${address.port}`;
  });
  after(() => server?.close());

  const run = async (...argv: string[]) => {
    const io = capture();
    const code = await main(['job', ...argv], io);
    return { code, ...io };
  };

  it('keygen, submit, train (epsilon grows per step), finish with a shares file; features result opens only with the buyer key', async () => {
    const keyFile = join(dir, 'buyer.key');
    expect((await run('keygen', '--out', keyFile)).code).to.equal(0);
    const modelFile = join(dir, 'model.onnx');
    writeFileSync(modelFile, gradientModel);
    const jobId = keccak256(toHex('cli job'));
    const P = parameterCount({ features: MELS, classes: 2 });
    const submitted = await run('submit', '--host', host, ...signing, '--job-id', jobId, '--policy', '1', '--kind', 'gradients', '--model', modelFile, '--key-file', keyFile, '--params', JSON.stringify({ melBands: MELS, classes: ['en', 'pt-BR'], parameters: P }));
    expect(submitted.code, submitted.err).to.equal(0);
    expect(JSON.parse(submitted.out)).to.include({ files: 12, status: 'running' });
    const out = join(dir, 'theta.json');
    const trained = await run('train', jobId, '--host', host, ...signing, '--key-file', keyFile, '--parameters', String(P), '--steps', '3', '--lr', '0.5', '--sample-rate', '0.5', '--noise-multiplier', '2', '--clip', '1', '--out', out);
    expect(trained.code, trained.err).to.equal(0);
    const epsilons = [...trained.err.matchAll(/epsilon spent ([0-9.]+)/g)].map((m) => Number(m[1]));
    expect(epsilons).to.have.length(3);
    expect(epsilons[2]!).to.be.above(epsilons[0]!);
    expect(JSON.parse(readFileSync(out, 'utf8'))).to.have.length(P);
    expect(JSON.parse((await run('status', jobId, '--host', host)).out)).to.include({ steps: 3 });
    const sharesPath = join(dir, 'shares.json');
    const finished = await run('finish', jobId, '--host', host, ...signing, '--shares-out', sharesPath);
    expect(finished.code, finished.err).to.equal(0);
    const shares = parseSharesFile(readFileSync(sharesPath, 'utf8'));
    expect(shares.sharesRoot).to.equal(JSON.parse(finished.out).receipt.sharesRoot);
    expect(shares.shares.reduce((t, s) => t + s.amount, 0n)).to.equal(100n);

    writeFileSync(modelFile, featuresModel);
    const featuresJob = keccak256(toHex('cli features job'));
    expect((await run('submit', '--host', host, ...signing, '--job-id', featuresJob, '--policy', '1', '--kind', 'features', '--model', modelFile, '--key-file', keyFile, '--params', JSON.stringify({ melBands: MELS, embedding: 2 }))).code).to.equal(0);
    const result = await run('result', featuresJob, '--host', host, '--key-file', keyFile);
    expect(result.code, result.err).to.equal(0);
    expect(JSON.parse(result.out).rows).to.have.length(12);
    const otherKey = join(dir, 'other.key');
    await run('keygen', '--out', otherKey);
    const again = await run('result', featuresJob, '--host', host, '--key-file', otherKey);
    expect(again.err).to.match(/^CLIENT_RELEASE_UNREADABLE/);
    const same = await run('result', featuresJob, '--host', host, '--key-file', keyFile);
    expect(same.out).to.equal(result.out);
    expect((await run('finish', featuresJob, '--host', host, ...signing)).code).to.equal(0);
  });

  it('refuses a release sealed to another key with CLIENT_RELEASE_UNREADABLE, and shows host refusals by code', async () => {
    const keyFile = join(dir, 'k2.key');
    await run('keygen', '--out', keyFile);
    const otherFile = join(dir, 'k3.key');
    await run('keygen', '--out', otherFile);
    const modelFile = join(dir, 'features.onnx');
    writeFileSync(modelFile, featuresModel);
    const jobId = keccak256(toHex('sealed elsewhere'));
    await run('submit', '--host', host, ...signing, '--job-id', jobId, '--policy', '1', '--kind', 'features', '--model', modelFile, '--key-file', otherFile, '--params', JSON.stringify({ melBands: MELS, embedding: 2 }));
    expect((await run('result', jobId, '--host', host, '--key-file', keyFile)).err).to.match(/^CLIENT_RELEASE_UNREADABLE/);
    expect((await run('finish', jobId, '--host', host, ...signing)).code).to.equal(0);
    const refused = await run('submit', '--host', host, ...signing, '--job-id', keccak256(toHex('x')), '--policy', '1', '--kind', 'aggregates', '--model', modelFile, '--key-file', keyFile);
    expect(refused.err).to.match(/^CLIENT_HOST_REQUEST_FAILED: .*JOB_KIND_NOT_ALLOWED/);
    expect((await run('status', 'nope', '--host', host)).code).to.equal(2);
    // Another wallet naming itself: the enclave refuses the submission by its signer.
    const stranger = await run('submit', '--host', host, '--key', keccak256(toHex('stranger')), '--escrow', escrow, '--chain-id', '1', '--job-id', keccak256(toHex('y')), '--policy', '1', '--kind', 'features', '--model', modelFile, '--key-file', keyFile, '--params', JSON.stringify({ melBands: MELS, embedding: 2 }));
    expect(stranger.err).to.match(/^CLIENT_HOST_REQUEST_FAILED: .*JOB_SIGNER_NOT_BUYER/);
    const unsigned = await run('finish', jobId, '--host', host);
    expect(unsigned.code).to.equal(2);
    expect(unsigned.err).to.match(/--key HEX and --keystore FILE/);
  });

  it('dates deadlines by the chain\'s latest block read over --rpc, the clock the enclave keeps', async () => {
    // A chain whose clock is a week behind this machine's: a deadline from the local clock would be too far ahead.
    chainTime = BigInt(Math.floor(Date.now() / 1000)) - 7n * 86_400n;
    const rpc = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const call = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id: number; method: string };
        const block = { number: '0x10', hash: `0x${'11'.repeat(32)}`, parentHash: `0x${'22'.repeat(32)}`, timestamp: `0x${chainTime!.toString(16)}`, transactions: [], gasLimit: '0x1', gasUsed: '0x0', baseFeePerGas: '0x1' };
        const result = call.method === 'eth_chainId' ? '0x1' : call.method === 'eth_getBlockByNumber' ? block : null;
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id: call.id, result }));
      });
    });
    await new Promise<void>((resolve) => rpc.listen(0, '127.0.0.1', resolve));
    try {
      const rpcUrl = `http://127.0.0.1:${(rpc.address() as { port: number }).port}`;
      const keyFile = join(dir, 'k4.key');
      await run('keygen', '--out', keyFile);
      const modelFile = join(dir, 'features-rpc.onnx');
      writeFileSync(modelFile, featuresModel);
      const args = (jobId: Hex, ...clock: string[]) => ['submit', '--host', host, '--key', buyerKeyHex, '--escrow', escrow, ...clock, '--job-id', jobId, '--policy', '1', '--kind', 'features', '--model', modelFile, '--key-file', keyFile, '--params', JSON.stringify({ melBands: MELS, embedding: 2 })];
      const local = await run(...args(keccak256(toHex('local clock')), '--chain-id', '1'));
      expect(local.err).to.match(/JOB_REQUEST_DEADLINE_TOO_FAR/);
      const chain = await run(...args(keccak256(toHex('chain clock')), '--rpc', rpcUrl));
      expect(chain.code, chain.err).to.equal(0);
      expect((await run('finish', keccak256(toHex('chain clock')), '--host', host, '--key', buyerKeyHex, '--escrow', escrow, '--rpc', rpcUrl)).code).to.equal(0);
    } finally {
      chainTime = undefined;
      rpc.close();
    }
  });
});
