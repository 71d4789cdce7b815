// The end of every job: the price split among the contributors whose files the job
// actually used (weighted by score, summed per contributor), the Merkle root of those
// shares, and an EIP-712 JobReceipt signed by the enclave for JobEscrow to settle.
import { createHash } from 'node:crypto';
import type { Address, Hex } from 'viem';
import { EPSILON_SCALE, SharesMerkleTree, splitRevenue, type JobReceipt, type Share } from '@audata/wire';
import type { EnclaveSigner, SigningTarget } from '../signing/enclave-signer.ts';
import { JobParameterError } from './errors.ts';

export const ZERO_ROOT: Hex = `0x${'00'.repeat(32)}`;

export interface UsedFile {
  contributor: Address;
  /** Basis points. */
  score: number;
}

export interface SignedJobReceipt {
  receipt: JobReceipt;
  signature: Hex;
  /** Every contributor's share; each claims with a proof from this list. */
  shares: Share[];
}

/** Shares of `price` over the used files; a job that used no file pays nobody (zero root). */
export function revenueShares(price: bigint, used: readonly UsedFile[]): { shares: Share[]; root: Hex } {
  if (used.every((f) => f.score === 0)) return { shares: [], root: ZERO_ROOT };
  const shares = splitRevenue(price, used.map((f) => ({ account: f.contributor, weight: f.score })));
  return { shares, root: shares.length === 0 ? ZERO_ROOT : SharesMerkleTree.of(shares).root };
}

/** SHA-256 over the SHA-256 of each sealed release, in order: one hash for a job of many releases. */
export function resultHash(releases: readonly Uint8Array[]): Hex {
  const outer = createHash('sha256');
  for (const release of releases) outer.update(createHash('sha256').update(release).digest());
  return `0x${outer.digest('hex')}`;
}

/** Epsilon as the receipt carries it: millionths, rounded up so the chain never undercounts. */
export function epsilonUnits(epsilon: number): bigint {
  if (!(epsilon >= 0) || !Number.isFinite(epsilon)) throw new JobParameterError('epsilon', 'a finite number >= 0', epsilon);
  return BigInt(Math.ceil(epsilon * EPSILON_SCALE - 1e-9));
}

export async function signJobReceipt(
  signer: Pick<EnclaveSigner, 'signReceipt'>,
  target: SigningTarget,
  job: { jobId: Hex; policyId: bigint; buyer: Address; modelHash: Hex; price: bigint; used: readonly UsedFile[]; epsilonSpent: number; releases: readonly Uint8Array[]; deadline: bigint },
): Promise<SignedJobReceipt> {
  const { shares, root } = revenueShares(job.price, job.used);
  const receipt: JobReceipt = {
    jobId: job.jobId,
    policyId: job.policyId,
    buyer: job.buyer,
    modelHash: job.modelHash,
    sharesRoot: root,
    filesUsed: job.used.length,
    epsilonSpent: epsilonUnits(job.epsilonSpent),
    resultHash: resultHash(job.releases),
    deadline: job.deadline,
  };
  return { receipt, signature: await signer.signReceipt(target, receipt), shares };
}
