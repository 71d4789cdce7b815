// The enclave's decision whether a job may run: the DAO policy as read from the chain, the
// escrow's state for the job, the clock and the privacy ledger, checked in a fixed order so
// the first broken rule is the one reported. Pure: reading the chain is policy-source.ts.
import type { Address, Hex } from 'viem';
import { JOB_KIND_BITS, JOB_KINDS, type JobKind, type PolicyTerms } from '@audata/wire';
import { JobParameterError } from './errors.ts';
import {
  JobBudgetExhaustedError,
  JobKindNotAllowedError,
  JobModelNotAllowedError,
  JobPolicyExpiredError,
  JobPolicyRetiredError,
  JobsPausedError,
  JobUnpaidError,
  JobWrongBuyerError,
} from './job-errors.ts';

export { JOB_KIND_BITS, JOB_KINDS, type JobKind } from '@audata/wire';

/** AccessPolicyRegistry's fixed-point scales of the budget. */
export const POLICY_EPSILON_SCALE = 1_000_000;
export const POLICY_DELTA_SCALE = 10n ** 18n;

/** A policy as the AccessPolicyRegistry returns it, read in one call, flattened with its id. */
export interface Policy extends PolicyTerms {
  id: bigint;
  createdAt: bigint;
  retired: boolean;
}

export type EscrowJobStatus = 'none' | 'paid' | 'settled' | 'refunded';

/** What JobEscrow says about this job and its policy. */
export interface EscrowState {
  paused: boolean;
  status: EscrowJobStatus;
  buyer: Address;
  policyId: bigint;
  price: bigint;
  /** Epsilon settled under the policy so far, in millionths. */
  policyEpsilonSpent: bigint;
}

/** A job as the buyer submits it. */
export interface JobRequest {
  jobId: Hex;
  policyId: bigint;
  buyer: Address;
  kind: JobKind;
  /** SHA-256 of the ONNX bytes sent with the job (computed by the enclave, never taken from the buyer). */
  modelHash: Hex;
}

/** The privacy budget as the policy states it, in real numbers, for the PrivacyLedger. */
export function policyBudget(policy: Pick<Policy, 'epsilon' | 'delta'>): { epsilon: number; delta: number } {
  return { epsilon: Number(policy.epsilon) / POLICY_EPSILON_SCALE, delta: Number(policy.delta) / Number(POLICY_DELTA_SCALE) };
}

function allowedKinds(mask: number): string {
  return JOB_KINDS.filter((k) => (mask & JOB_KIND_BITS[k]) !== 0).join(', ');
}

const same = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

/**
 * Refuses, with the first broken rule, a job outside its policy: retired, expired (the
 * chain's rule: active while now <= expiry), wrong buyer, kind, model, jobs paused, no
 * matching payment in escrow, or no privacy budget left (ledger spend for this buyer, or
 * epsilon already settled on chain). `spentEpsilon` is the PrivacyLedger's spent().epsilon.
 */
export function authorizeJob(job: JobRequest, policy: Policy, escrow: EscrowState, now: bigint, spentEpsilon: number): void {
  if (!JOB_KINDS.includes(job.kind)) throw new JobParameterError('kind', JOB_KINDS.join(' | '), String(job.kind));
  if (job.policyId !== policy.id) throw new JobParameterError('policyId', `the policy read (${policy.id})`, job.policyId.toString());
  if (policy.retired) throw new JobPolicyRetiredError(policy.id);
  if (now > policy.expiry) throw new JobPolicyExpiredError(policy.id, policy.expiry, now);
  if (!same(job.buyer, policy.buyer)) throw new JobWrongBuyerError(policy.id, policy.buyer, job.buyer);
  if ((policy.jobKinds & JOB_KIND_BITS[job.kind]) === 0) throw new JobKindNotAllowedError(policy.id, job.kind, allowedKinds(policy.jobKinds));
  if (!policy.modelHashes.some((h) => same(h, job.modelHash))) throw new JobModelNotAllowedError(policy.id, job.modelHash);
  if (escrow.paused) throw new JobsPausedError();
  if (escrow.status !== 'paid') throw new JobUnpaidError(job.jobId, `its escrow status is ${escrow.status}, expected paid`);
  if (escrow.policyId !== policy.id) throw new JobUnpaidError(job.jobId, `it was paid under policy ${escrow.policyId}`);
  if (!same(escrow.buyer, job.buyer)) throw new JobUnpaidError(job.jobId, `it was paid by ${escrow.buyer}`);
  if (escrow.price !== policy.price) throw new JobUnpaidError(job.jobId, `it was paid ${escrow.price} wei, the policy price is ${policy.price}`);
  const budget = policyBudget(policy).epsilon;
  const onChain = Number(escrow.policyEpsilonSpent) / POLICY_EPSILON_SCALE;
  const spent = Math.max(spentEpsilon, onChain);
  if (spent >= budget) throw new JobBudgetExhaustedError(policy.id, spent, budget);
}
