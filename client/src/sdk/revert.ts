// The name of the custom error a contract call reverted with, from viem's error chain.
import { BaseError, ContractFunctionRevertedError } from 'viem';

export function revertName(error: unknown): string | undefined {
  if (!(error instanceof BaseError)) return undefined;
  const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError);
  if (!(reverted instanceof ContractFunctionRevertedError)) return undefined;
  return reverted.data?.errorName ?? reverted.reason ?? 'reverted';
}
