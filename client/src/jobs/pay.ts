// The buyer pays JobEscrow for a job before submitting it: exactly the policy's price, read
// from the registry the escrow itself names, so the amount is never taken from the host.
import type { Account, Address, Chain, Hash, Hex, PublicClient, Transport, WalletClient } from 'viem';
import { revertName } from '../sdk/revert.ts';
import { ClientError } from '../sdk/errors.ts';
import { accessPolicyRegistryAbi, jobEscrowAbi } from './escrow-abi.ts';

/** JobEscrow or the policy refused the payment. */
export class PaymentRefusedError extends ClientError {
  override name = 'PaymentRefusedError' as const;
  constructor(jobId: string, reason: string) {
    super('CLIENT_PAYMENT_REFUSED', `JobEscrow refused the payment for job ${jobId}: ${reason}.`, {
      details: { jobId, reason },
      hint: 'Pay from the policy buyer\'s account, under an active policy, with a job id not used before.',
    });
  }
}

export async function payForJob(params: {
  client: PublicClient<Transport, Chain>;
  wallet: WalletClient<Transport, Chain, Account>;
  escrow: Address;
  jobId: Hex;
  policyId: bigint;
}): Promise<{ price: bigint; txHash: Hash }> {
  const { client, wallet, escrow, jobId, policyId } = params;
  const registry = await client.readContract({ address: escrow, abi: jobEscrowAbi, functionName: 'policyRegistry' });
  let price: bigint;
  try {
    price = (await client.readContract({ address: registry, abi: accessPolicyRegistryAbi, functionName: 'policy', args: [policyId] })).terms.price;
  } catch (error) {
    throw new PaymentRefusedError(jobId, revertName(error) ?? `policy ${policyId} cannot be read`);
  }
  let request;
  try {
    ({ request } = await client.simulateContract({ account: wallet.account, address: escrow, abi: jobEscrowAbi, functionName: 'pay', args: [jobId, policyId], value: price }));
  } catch (error) {
    throw new PaymentRefusedError(jobId, revertName(error) ?? (error as Error).message);
  }
  const txHash = await wallet.writeContract(request);
  const receipt = await client.waitForTransactionReceipt({ hash: txHash });
  if (receipt.status !== 'success') throw new PaymentRefusedError(jobId, `transaction ${txHash} reverted`);
  return { price, txHash };
}
