// What recording a step in the sealed job records costs (job-runs.ts: the whole entry written
// again at every release), at the cap of 1024 live jobs and at one, against the buyer's step
// signature check every step already pays, in the same run.
import { keccak256, toHex, type Address } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { jobRequestDomain, jobStepMessage, jobStepTypedData } from '@audata/wire';
import { createBuyerSigner } from '../../../client/src/jobs/sign.ts';
import { MemoryLedgerStorage } from '../privacy/ledger.ts';
import { DEFAULT_MAX_JOB_RUNS, JOB_RUNS_KEY, JobRuns } from './job-runs.ts';
import { requireBuyerSignature } from './request-auth.ts';

const ROUNDS = 200;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;

const account = privateKeyToAccount(keccak256(toHex('bench buyer')));
const escrow: Address = '0x00000000000000000000000000000000000000e5';
const signer = createBuyerSigner({ account, chainId: 1, jobEscrow: escrow });
const domain = jobRequestDomain(1, escrow);
const jobId = keccak256(toHex('job 0'));
const parameters = new Float32Array(162).fill(0.25);
const request = { parameters, sampleRate: 1, noiseMultiplier: 1, clipNorm: 1 };
const signed = await signer.step(jobId, 0, request);
const bytes = new Uint8Array(parameters.buffer);
const check: number[] = [];
for (let i = 0; i < ROUNDS; i++) {
  const t = process.hrtime.bigint();
  const message = jobStepMessage({ jobId, index: 0, parameters: bytes, sampleRate: 1, noiseMultiplier: 1, clipNorm: 1, deadline: signed.deadline });
  await requireBuyerSignature('step', jobStepTypedData(domain, message), signed.signature, { id: 1n, buyer: account.address });
  check.push(ms(t));
}
const reference = median(check);
console.log(`step signature check (P = 162): ${reference.toFixed(3)} ms (median of ${ROUNDS})`);
for (const live of [1, DEFAULT_MAX_JOB_RUNS]) {
  const storage = new MemoryLedgerStorage();
  const runs = await JobRuns.open(storage);
  for (let i = 0; i < live; i++) await runs.start(keccak256(toHex(`job ${i}`)), 10n ** 10n, 1_000n);
  const advance: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t = process.hrtime.bigint();
    await runs.advance(jobId, i + 1);
    advance.push(ms(t));
  }
  const open: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t = process.hrtime.bigint();
    await JobRuns.open(storage);
    open.push(ms(t));
  }
  const a = median(advance);
  console.log(`${live} live job record(s), ${storage.entries.get(JOB_RUNS_KEY)!.length} bytes sealed: record a step ${a.toFixed(3)} ms (${((a / reference) * 100).toFixed(1)} % of the signature check); read at boot ${median(open).toFixed(3)} ms`);
}
