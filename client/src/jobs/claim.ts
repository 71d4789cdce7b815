// A contributor's claim of its share of a settled job: the proof comes from the job's shares
// file, the root is checked against the one JobEscrow settled on before anything is sent.
import type { Account, Chain, Hash, Hex, PublicClient, Transport, WalletClient, Address } from 'viem';
import type { Share } from '@audata/wire';
import { revertName } from '../sdk/revert.ts';
import { ClaimRefusedError, SharesRootMismatchError } from './errors.ts';
import { jobEscrowAbi, JobStatus } from './escrow-abi.ts';
import { shareProof, type SharesFile } from './shares-file.ts';

export interface ClaimResult {
  share: Share;
  txHash: Hash;
}

export async function claimShare(params: {
  client: PublicClient<Transport, Chain>;
  wallet: WalletClient<Transport, Chain, Account>;
  escrow: Address;
  file: SharesFile;
  account: Address;
}): Promise<ClaimResult> {
  const { client, wallet, escrow, file } = params;
  const { share, proof } = shareProof(file, params.account);
  const job = await client.readContract({ address: escrow, abi: jobEscrowAbi, functionName: 'job', args: [file.jobId] });
  if (job.status !== JobStatus.Settled || job.sharesRoot.toLowerCase() !== file.sharesRoot.toLowerCase()) {
    throw new SharesRootMismatchError(file.jobId, job.status === JobStatus.Settled ? job.sharesRoot : `none (job status ${job.status})`, file.sharesRoot);
  }
  if (await client.readContract({ address: escrow, abi: jobEscrowAbi, functionName: 'isClaimed', args: [file.jobId, share.account, share.amount] })) {
    throw new ClaimRefusedError(file.jobId, 'this share was already claimed');
  }
  let request;
  try {
    ({ request } = await client.simulateContract({ account: wallet.account, address: escrow, abi: jobEscrowAbi, functionName: 'claim', args: [file.jobId, share.account, share.amount, proof as Hex[]] }));
  } catch (error) {
    throw new ClaimRefusedError(file.jobId, revertName(error) ?? (error as Error).message);
  }
  const txHash = await wallet.writeContract(request);
  const receipt = await client.waitForTransactionReceipt({ hash: txHash });
  if (receipt.status !== 'success') throw new ClaimRefusedError(file.jobId, `transaction ${txHash} reverted`);
  return { share, txHash };
}
