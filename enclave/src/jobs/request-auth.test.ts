import { expect } from 'chai';
import { keccak256, toHex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { jobFinishTypedData, jobRequestDomain } from '@audata/wire';
import { checkRequestDeadline, requireBuyerSignature } from './request-auth.ts';

const code = async (action: () => unknown): Promise<string> => {
  try {
    await action();
  } catch (error) {
    return (error as { code: string }).code;
  }
  return 'OK';
};

describe('buyer request checks', () => {
  it('accepts a deadline from now up to now + the lifetime, and refuses either side', async () => {
    expect(await code(() => checkRequestDeadline('step', 1_000n, 1_000n, 60n))).to.equal('OK');
    expect(await code(() => checkRequestDeadline('step', 1_060n, 1_000n, 60n))).to.equal('OK');
    expect(await code(() => checkRequestDeadline('step', 999n, 1_000n, 60n))).to.equal('JOB_REQUEST_EXPIRED');
    expect(await code(() => checkRequestDeadline('step', 1_061n, 1_000n, 60n))).to.equal('JOB_REQUEST_DEADLINE_TOO_FAR');
    expect(await code(() => checkRequestDeadline('step', 1_000n + 86_401n, 1_000n))).to.equal('JOB_REQUEST_DEADLINE_TOO_FAR');
  });

  it('recovers the buyer, compares addresses without regard to case, and refuses malformed signatures by type', async () => {
    const buyer = privateKeyToAccount(keccak256(toHex('buyer')));
    const typed = jobFinishTypedData(jobRequestDomain(1, '0x00000000000000000000000000000000000000e5'), { jobId: keccak256(toHex('job')), steps: 3, deadline: 9n });
    const signature = await buyer.signTypedData(typed);
    const policy = { id: 1n, buyer: buyer.address.toLowerCase() };
    expect(await code(() => requireBuyerSignature('finish', typed, signature, policy))).to.equal('OK');
    expect(await code(() => requireBuyerSignature('finish', typed, signature, { id: 1n, buyer: '0x00000000000000000000000000000000000000b1' }))).to.equal('JOB_SIGNER_NOT_BUYER');
    expect(await code(() => requireBuyerSignature('finish', typed, '', policy))).to.equal('JOB_SIGNATURE_MISSING');
    expect(await code(() => requireBuyerSignature('finish', typed, null, policy))).to.equal('JOB_SIGNATURE_MISSING');
    expect(await code(() => requireBuyerSignature('finish', typed, 7, policy))).to.equal('JOB_SIGNATURE_INVALID');
    expect(await code(() => requireBuyerSignature('finish', typed, `${signature}00`, policy))).to.equal('JOB_SIGNATURE_INVALID');
    // r and s all ones, above the curve order: no signer can be recovered.
    expect(await code(() => requireBuyerSignature('finish', typed, `0x${'ff'.repeat(64)}1b`, policy))).to.equal('JOB_SIGNATURE_INVALID');
  });
});
