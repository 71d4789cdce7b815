// `audata claim SHARES_FILE`: a contributor collects its share of a settled job from
// JobEscrow, with the Merkle proof computed locally from the job's shares file.
import { readFileSync } from 'node:fs';
import { createWalletClient, http, isAddress, type Address } from 'viem';
import { CliUsageError, EXIT_OK, parseCli, runCliCommand, type CliCommand } from '@audata/wire';
import { publicClientFor } from '../sdk/chain.ts';
import { claimShare } from '../jobs/claim.ts';
import { JobInputError } from '../jobs/errors.ts';
import { parseSharesFile } from '../jobs/shares-file.ts';
import { commonOptions, keyOptions, resolveAccount, resolveConfig } from './options.ts';

const USAGE = 'audata claim SHARES_FILE --escrow ADDR --key HEX|--keystore FILE [--account ADDR] [--rpc URL] [--config FILE]';

export const claim: CliCommand = (argv, io) =>
  runCliCommand(io, async () => {
    const { values, positionals } = parseCli(argv, { ...commonOptions, ...keyOptions, escrow: { type: 'string' }, account: { type: 'string' } }, USAGE);
    if (values.help === true) {
      io.stdout(`Usage: ${USAGE}\n\nClaims --account's share (default: the key's address) of the job in SHARES_FILE. Anyone may send the\nclaim; the money always goes to the account. The file's root must be the one the escrow settled on.\n`);
      return EXIT_OK;
    }
    if (positionals.length !== 1) throw new CliUsageError('Name one SHARES_FILE.', USAGE);
    if (values.escrow === undefined || !isAddress(values.escrow)) throw new CliUsageError('--escrow must be the JobEscrow address.', USAGE);
    if (values.account !== undefined && !isAddress(values.account)) throw new CliUsageError('--account must be an address.', USAGE);
    let text: string;
    try {
      text = readFileSync(positionals[0]!, 'utf8');
    } catch (error) {
      throw new JobInputError(`The shares file ${positionals[0]!}`, `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    const file = parseSharesFile(text);
    const sender = resolveAccount(values, USAGE);
    const rpcUrl = values.rpc ?? resolveConfig(values).rpcUrl;
    const client = await publicClientFor(rpcUrl);
    const wallet = createWalletClient({ chain: client.chain, transport: http(rpcUrl), account: sender });
    const account = (values.account ?? sender.address) as Address;
    const { share, txHash } = await claimShare({ client, wallet, escrow: values.escrow, file, account });
    io.stdout(`claimed ${share.amount} wei for ${share.account} from job ${file.jobId} in ${txHash}\n`);
    return EXIT_OK;
  });
