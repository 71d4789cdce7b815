// Puts one scored item's proof on chain at most once. The registry refuses a second proof for a
// file, so a host that crashed after sending the transaction but before recording it is refused
// on its retry and records the transaction already on chain.
import type { Hex } from 'viem';
import { isAudataError } from '@audata/wire';
import type { ChainWriter } from '../deps.ts';
import { QueueStateError, type ScoringQueue } from './scoring-queue.ts';

export interface SubmitResult {
  txHash: Hex;
  /** False when the proof was already on chain (sent by an earlier, interrupted try). */
  sentNow: boolean;
}

export async function submitProof(queue: ScoringQueue, chain: ChainWriter, fileId: Hex): Promise<SubmitResult> {
  const item = queue.get(fileId);
  if (item?.state === 'submitted') return { txHash: queue.txHashOf(fileId)!, sentNow: false };
  const signed = queue.proofOf(fileId);
  if (item?.state !== 'scored' || signed === undefined) throw new QueueStateError(fileId, 'scored', item?.state ?? 'absent');

  // No read first: the registry accepts one proof per file, so a proof an interrupted try
  // already recorded is refused (the writer's simulation refuses it before sending), and the
  // refusal path below finds the recorded transaction. That keeps the usual path one call shorter.
  try {
    const { txHash } = await chain.submitProof(signed);
    queue.markSubmitted(fileId, txHash);
    return { txHash, sentNow: true };
  } catch (error) {
    // Another submitter may have won the race: the chain refused ours as a duplicate.
    const after = await chain.findProof(fileId).catch(() => undefined);
    if (after !== undefined) {
      queue.markSubmitted(fileId, after.txHash);
      return { txHash: after.txHash, sentNow: false };
    }
    queue.failSubmission(fileId, isAudataError(error) ? error.code : 'HOST_CHAIN_SUBMIT_FAILED', { retryable: true });
    throw error;
  }
}
