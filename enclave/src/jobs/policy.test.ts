import { expect } from 'chai';
import type { Address, Hex } from 'viem';
import { authorizeJob, policyBudget, type EscrowState, type JobRequest, type Policy } from './policy.ts';

const buyer: Address = '0x00000000000000000000000000000000000000b1';
const model: Hex = `0x${'ab'.repeat(32)}`;

export function testPolicy(overrides: Partial<Policy> = {}): Policy {
  return {
    id: 7n,
    buyer,
    jobKinds: 1 | 2,
    modelHashes: [model],
    minScore: 5_000,
    languages: ['en'],
    termsHash: `0x${'11'.repeat(32)}`,
    epsilon: 3_000_000n,
    delta: 10n ** 13n,
    price: 10n ** 18n,
    expiry: 2_000n,
    createdAt: 1_000n,
    retired: false,
    ...overrides,
  };
}

const job = (overrides: Partial<JobRequest> = {}): JobRequest => ({ jobId: `0x${'01'.repeat(32)}`, policyId: 7n, buyer, kind: 'gradients', modelHash: model, ...overrides });
const escrow = (overrides: Partial<EscrowState> = {}): EscrowState => ({
  paused: false,
  status: 'paid',
  buyer,
  policyId: 7n,
  price: 10n ** 18n,
  policyEpsilonSpent: 0n,
  ...overrides,
});

function refusal(action: () => void): string {
  try {
    action();
  } catch (error) {
    return (error as { code: string }).code;
  }
  return 'ACCEPTED';
}

describe('authorizeJob', () => {
  it('accepts a job inside its policy, paid, with budget left, up to the expiry second', () => {
    expect(refusal(() => authorizeJob(job(), testPolicy(), escrow(), 2_000n, 1.5))).to.equal('ACCEPTED');
    expect(refusal(() => authorizeJob(job({ buyer: buyer.toUpperCase().replace('0X', '0x') as Address }), testPolicy(), escrow(), 1_500n, 0))).to.equal('ACCEPTED');
  });

  const cases: [string, string, () => void][] = [
    ['a retired policy', 'JOB_POLICY_RETIRED', () => authorizeJob(job(), testPolicy({ retired: true }), escrow(), 1_500n, 0)],
    ['an expired policy', 'JOB_POLICY_EXPIRED', () => authorizeJob(job(), testPolicy(), escrow(), 2_001n, 0)],
    ['another buyer', 'JOB_WRONG_BUYER', () => authorizeJob(job({ buyer: '0x00000000000000000000000000000000000000c2' }), testPolicy(), escrow(), 1_500n, 0)],
    ['a kind the policy does not allow', 'JOB_KIND_NOT_ALLOWED', () => authorizeJob(job({ kind: 'aggregates' }), testPolicy(), escrow(), 1_500n, 0)],
    ['a model not in the policy', 'JOB_MODEL_NOT_ALLOWED', () => authorizeJob(job({ modelHash: `0x${'cd'.repeat(32)}` }), testPolicy(), escrow(), 1_500n, 0)],
    ['paused jobs', 'JOB_PAUSED', () => authorizeJob(job(), testPolicy(), escrow({ paused: true }), 1_500n, 0)],
    ['an unpaid job', 'JOB_UNPAID', () => authorizeJob(job(), testPolicy(), escrow({ status: 'none' }), 1_500n, 0)],
    ['a job already settled', 'JOB_UNPAID', () => authorizeJob(job(), testPolicy(), escrow({ status: 'settled' }), 1_500n, 0)],
    ['a job paid under another policy', 'JOB_UNPAID', () => authorizeJob(job(), testPolicy(), escrow({ policyId: 8n }), 1_500n, 0)],
    ['a job paid by someone else', 'JOB_UNPAID', () => authorizeJob(job(), testPolicy(), escrow({ buyer: '0x00000000000000000000000000000000000000c2' }), 1_500n, 0)],
    ['a ledger at its budget', 'JOB_BUDGET_EXHAUSTED', () => authorizeJob(job(), testPolicy(), escrow(), 1_500n, 3)],
    ['a budget settled on chain', 'JOB_BUDGET_EXHAUSTED', () => authorizeJob(job(), testPolicy(), escrow({ policyEpsilonSpent: 3_000_000n }), 1_500n, 0)],
    ['an unknown kind', 'JOB_INVALID_PARAMETER', () => authorizeJob(job({ kind: 'audio' as never }), testPolicy(), escrow(), 1_500n, 0)],
  ];
  for (const [what, code, action] of cases) it(`refuses ${what} with ${code}`, () => expect(refusal(action)).to.equal(code));

  it('reports the first broken rule: retired before wrong buyer before unpaid', () => {
    expect(refusal(() => authorizeJob(job({ buyer: '0x00000000000000000000000000000000000000c2' }), testPolicy({ retired: true }), escrow({ status: 'none' }), 1_500n, 0))).to.equal('JOB_POLICY_RETIRED');
    expect(refusal(() => authorizeJob(job({ buyer: '0x00000000000000000000000000000000000000c2' }), testPolicy(), escrow({ status: 'none' }), 1_500n, 0))).to.equal('JOB_WRONG_BUYER');
  });

  it('converts the on-chain budget to real epsilon and delta', () => {
    expect(policyBudget({ epsilon: 3_000_000n, delta: 10n ** 13n })).to.deep.equal({ epsilon: 3, delta: 1e-5 });
  });
});
