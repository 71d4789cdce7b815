// Who may ask for a job, a step or a finish: the buyer the DAO's policy names, proven by an
// EIP-712 signature (wire/src/eip712.ts, "Buyer job requests") recovered here, inside the
// enclave, against the buyer read from the chain, and only within the request's deadline.
import { recoverTypedDataAddress, type Hex, type TypedDataDomain } from 'viem';
import { JobRequestDeadlineTooFarError, JobRequestExpiredError, JobSignatureInvalidError, JobSignatureMissingError, JobSignerNotBuyerError } from './job-errors.ts';

/** How far ahead a request's deadline may lie: a signature cannot be replayable for longer than this. */
export const DEFAULT_MAX_REQUEST_TTL_SECONDS = 86_400n;

/** Refuses a request past its deadline (the enclave's clock), or whose deadline lies more than `maxTtl` ahead. */
export function checkRequestDeadline(request: string, deadline: bigint, now: bigint, maxTtl: bigint = DEFAULT_MAX_REQUEST_TTL_SECONDS): void {
  if (now > deadline) throw new JobRequestExpiredError(request, deadline, now);
  if (deadline > now + maxTtl) throw new JobRequestDeadlineTooFarError(request, deadline, now + maxTtl);
}

/**
 * Recovers the signer of `typedData` and refuses unless it is the policy's buyer. A missing
 * signature, one that is not 65 bytes of hex, or one no key can have made (s or v out of
 * range) is refused by its own code, before any recovery is attempted on it.
 */
export async function requireBuyerSignature(
  request: string,
  typedData: { domain: TypedDataDomain; types: Record<string, readonly { name: string; type: string }[]>; primaryType: string; message: object },
  signature: unknown,
  policy: { id: bigint; buyer: string },
): Promise<void> {
  if (signature === undefined || signature === null || signature === '') throw new JobSignatureMissingError(request);
  if (typeof signature !== 'string' || !/^0x[0-9a-fA-F]{130}$/.test(signature)) {
    throw new JobSignatureInvalidError(request, typeof signature === 'string' ? `${signature.length} characters, not 0x and 130 hex digits` : `a ${typeof signature}`);
  }
  let signer: string;
  try {
    signer = await recoverTypedDataAddress({ ...typedData, signature: signature as Hex } as Parameters<typeof recoverTypedDataAddress>[0]);
  } catch (error) {
    throw new JobSignatureInvalidError(request, `no signer can be recovered (${error instanceof Error ? error.name : 'error'})`);
  }
  if (signer.toLowerCase() !== policy.buyer.toLowerCase()) throw new JobSignerNotBuyerError(request, policy.id, policy.buyer, signer);
}
