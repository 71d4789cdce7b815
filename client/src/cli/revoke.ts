// `audata revoke FILE_ID`: the contributor withdraws a recorded file from every later job.
import { createWalletClient, http } from 'viem';
import { CliUsageError, EXIT_OK, parseCli, runCliCommand, type CliCommand } from '@audata/wire';
import { contributionRegistryAbi, publicClientFor } from '../sdk/chain.ts';
import { RevokeRefusedError } from '../sdk/errors.ts';
import { revertName } from '../sdk/revert.ts';
import { commonOptions, keyOptions, resolveAccount, resolveConfig } from './options.ts';

const USAGE = 'audata revoke FILE_ID --key HEX|--keystore FILE [--rpc URL] [--config FILE]';

export const revoke: CliCommand = (argv, io) =>
  runCliCommand(io, async () => {
    const { values, positionals } = parseCli(argv, { ...commonOptions, ...keyOptions }, USAGE);
    if (values.help === true) {
      io.stdout(`Usage: ${USAGE}\n`);
      return EXIT_OK;
    }
    const fileId = positionals[0];
    if (positionals.length !== 1 || fileId === undefined || !/^0x[0-9a-fA-F]{64}$/.test(fileId)) throw new CliUsageError('Name one FILE_ID: 0x and 64 hex digits.', USAGE);
    const account = resolveAccount(values, USAGE);
    const config = resolveConfig(values);
    const client = await publicClientFor(config.rpcUrl);
    const wallet = createWalletClient({ chain: client.chain, transport: http(config.rpcUrl), account });
    let request;
    try {
      ({ request } = await client.simulateContract({ account, address: config.contributionRegistry, abi: contributionRegistryAbi, functionName: 'revokeFile', args: [fileId as `0x${string}`] }));
    } catch (error) {
      const reason = revertName(error);
      if (reason !== undefined) throw new RevokeRefusedError(fileId, reason);
      throw error;
    }
    const hash = await wallet.writeContract(request);
    const receipt = await client.waitForTransactionReceipt({ hash });
    if (receipt.status !== 'success') throw new RevokeRefusedError(fileId, `transaction ${hash} reverted`);
    io.stdout(`revoked ${fileId} in ${hash}\n`);
    return EXIT_OK;
  });
