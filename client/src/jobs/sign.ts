// The buyer's signatures on the requests that start, step and end a job: EIP-712 typed data
// (wire/src/eip712.ts, "Buyer job requests") signed with the policy buyer's wallet key. The
// enclave recovers the signer and refuses anyone but the policy's buyer, so a relay or a
// stranger who reaches the host cannot start a job, spend its budget or end it early.
import type { Address, Hex, LocalAccount } from 'viem';
import { jobFinishTypedData, jobRequestDomain, jobStepMessage, jobStepTypedData, jobSubmissionMessage, jobSubmissionTypedData } from '@audata/wire';
import { float32Bytes, type FinishedJob, type JobStatusView, type JobTransport, type RequestSignature, type StepRequest, type SubmitJobRequest } from './transport.ts';

export interface BuyerRequestSigner {
  readonly address: Address;
  submission(request: SubmitJobRequest): Promise<RequestSignature>;
  /** `index` is the number of steps the job has run before this one. */
  step(jobId: Hex, index: number, request: StepRequest): Promise<RequestSignature>;
  /** Ends the job after exactly `steps` steps. */
  finish(jobId: Hex, steps: number): Promise<RequestSignature>;
}

/** Ten minutes: long enough for a slow relay, short enough that a copied request soon stops working. */
export const DEFAULT_REQUEST_TTL_SECONDS = 600n;

export function createBuyerSigner(params: {
  account: Pick<LocalAccount, 'address' | 'signTypedData'>;
  chainId: number;
  /** The JobEscrow the job is paid in. */
  jobEscrow: Address;
  /** Unix seconds on the enclave's clock: the chain's latest block time (this machine's clock by default). */
  now?: () => bigint | Promise<bigint>;
  ttlSeconds?: bigint;
}): BuyerRequestSigner {
  const { account } = params;
  const domain = jobRequestDomain(params.chainId, params.jobEscrow);
  const now = params.now ?? (() => BigInt(Math.floor(Date.now() / 1000)));
  const deadline = async () => (await now()) + (params.ttlSeconds ?? DEFAULT_REQUEST_TTL_SECONDS);
  return {
    address: account.address,
    async submission(request) {
      const message = jobSubmissionMessage({ ...request, params: request.params, deadline: await deadline() });
      return { deadline: message.deadline, signature: await account.signTypedData(jobSubmissionTypedData(domain, message)) };
    },
    async step(jobId, index, request) {
      const message = jobStepMessage({ ...request, jobId, index, parameters: float32Bytes(request.parameters), deadline: await deadline() });
      return { deadline: message.deadline, signature: await account.signTypedData(jobStepTypedData(domain, message)) };
    },
    async finish(jobId, steps) {
      const message = { jobId, steps, deadline: await deadline() };
      return { deadline: message.deadline, signature: await account.signTypedData(jobFinishTypedData(domain, message)) };
    },
  };
}

/** Signs and submits a job. */
export async function submitJob(transport: JobTransport, signer: BuyerRequestSigner, request: SubmitJobRequest): Promise<JobStatusView> {
  return transport.submit({ ...request, ...(await signer.submission(request)) });
}

/** Ends a job after the steps its status reports, so the buyer signs for what has run. */
export async function finishJob(transport: JobTransport, signer: BuyerRequestSigner, jobId: Hex): Promise<FinishedJob> {
  const { steps } = await transport.status(jobId);
  return transport.finish(jobId, { steps, ...(await signer.finish(jobId, steps)) });
}
