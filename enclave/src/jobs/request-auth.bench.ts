// What the buyer's signature costs a gradient job: the check alone (hash the parameters,
// build the EIP-712 step, recover the signer) against a whole signed step through the engine
// (check, chain reads from an in-memory source, examples, the model in its child process,
// clipping, noise, sealing), in the same run, at the devnet's model size and a larger one.
import sodium from 'libsodium-wrappers';
import { keccak256, sha256, toHex, type Address, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { jobRequestDomain, jobStepMessage, jobStepTypedData } from '@audata/wire';
import { createBuyerSigner } from '../../../client/src/jobs/sign.ts';
import { AuditLog } from '../audit/log.ts';
import { MemoryLedgerStorage } from '../privacy/ledger.ts';
import { createEnclaveSigner } from '../signing/enclave-signer.ts';
import { auditDomain } from '@audata/verifier/audit';
import { JobEngine } from './job-engine.ts';
import type { Policy } from './policy.ts';
import { chacha20Random, RandomStream } from './random.ts';
import { requireBuyerSignature } from './request-auth.ts';
import type { CatalogueFile } from './selection.ts';
import { buildSoftmaxGradientModel, parameterCount } from './softmax-classifier.ts';

await sodium.ready;
const MELS = 80;
const FILES = 256;
const STEPS = 30;
const account = privateKeyToAccount(keccak256(toHex('bench buyer')));
const escrow: Address = '0x00000000000000000000000000000000000000e5';
const signer = createBuyerSigner({ account, chainId: 1, jobEscrow: escrow });
const domain = jobRequestDomain(1, escrow);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;

console.log(`signed DP-SGD steps, softmax classifier over ${FILES} files of ${MELS} pooled log-mel bands, q 1, one ORT thread; median of ${STEPS}`);
for (const classes of [2, 8]) {
  const P = parameterCount({ features: MELS, classes });
  const model = buildSoftmaxGradientModel({ features: MELS, classes });
  const languages = Array.from({ length: classes }, (_, k) => `l${k}`);
  const catalogue: CatalogueFile[] = Array.from({ length: FILES }, (_, i) => ({
    fileId: keccak256(toHex(`file ${i}`)),
    contributor: account.address,
    valid: true,
    score: 8_000,
    language: languages[i % classes]!,
    termsHash: keccak256(toHex('terms')),
    durationSec: 3,
  }));
  const policy: Policy = {
    id: 1n, buyer: account.address, jobKinds: 2, modelHashes: [sha256(model)], minScore: 0, languages, termsHash: keccak256(toHex('terms')),
    epsilon: 10n ** 15n, delta: 10n ** 13n, price: 1n, expiry: 10n ** 12n, createdAt: 1n, retired: false,
  };
  const engine = new JobEngine({
    source: { policy: async () => policy, escrow: async () => ({ paused: false, status: 'paid', buyer: account.address, policyId: 1n, price: 1n, policyEpsilonSpent: 0n }), revoked: async () => new Set() },
    catalogue: () => catalogue,
    features: async (f) => ({ nMels: MELS, frames: 4, data: Float32Array.from({ length: 4 * MELS }, (_, i) => Math.sin(i + Number(BigInt(f.fileId) % 97n))) }),
    ledgerStorage: new MemoryLedgerStorage(),
    signer: createEnclaveSigner(),
    escrow: { chainId: 1, contract: escrow },
    audit: new AuditLog({ signer: privateKeyToAccount(keccak256(toHex('audit'))), domain: auditDomain(1), signEvery: 1_000_000 }),
    random: new RandomStream(chacha20Random(new Uint8Array(32).fill(5))),
  });
  const jobId: Hex = keccak256(toHex(`bench job ${classes}`));
  const request = { jobId, policyId: 1n, buyer: account.address, kind: 'gradients' as const, model, buyerKey: sodium.crypto_box_keypair().publicKey, params: { melBands: MELS, classes: languages, parameters: P } };
  await engine.submit({ ...request, ...(await signer.submission(request)) });
  const settings = { parameters: new Float32Array(P).fill(0.01), sampleRate: 1, noiseMultiplier: 1, clipNorm: 1 };
  const checks: number[] = [];
  const steps: number[] = [];
  for (let index = 0; index < STEPS + 2; index++) {
    const signed = { ...settings, index, ...(await signer.step(jobId, index, settings)) };
    // The check exactly as the engine makes it, on its own, then the whole step (which makes it again).
    const bytes = new Uint8Array(settings.parameters.buffer.slice(0));
    let start = process.hrtime.bigint();
    await requireBuyerSignature('step', jobStepTypedData(domain, jobStepMessage({ ...signed, jobId, parameters: bytes })), signed.signature, policy);
    const check = ms(start);
    start = process.hrtime.bigint();
    await engine.gradientStep(jobId, signed);
    const step = ms(start);
    // The first two are warm-up: ORT's first runs allocate and pick kernels.
    if (index >= 2) {
      checks.push(check);
      steps.push(step);
    }
  }
  await engine.finish(jobId, { steps: STEPS + 2, ...(await signer.finish(jobId, STEPS + 2)) });
  const c = median(checks);
  const s = median(steps);
  console.log(`  K=${classes} (P=${P}): signature check ${c.toFixed(2)} ms, whole signed step ${s.toFixed(2)} ms; the check is ${((100 * c) / s).toFixed(1)}% of a step`);
}
