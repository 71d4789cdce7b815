// `audata proof FILE_ID`: an auditor's check of one file's proof from the chain and the
// attestation alone; exit 0 only when every check passes.
import { CliUsageError, EXIT_INVALID, EXIT_OK, parseCli, runCliCommand, type CliCommand } from '@audata/wire';
import { auditProof } from '../sdk/audit-proof.ts';
import { publicClientFor } from '../sdk/chain.ts';
import { loadDevRoot } from '../sdk/config.ts';
import { scoreBreakdown } from '../sdk/contribute.ts';
import { commonOptions, resolveConfig } from './options.ts';

const USAGE = 'audata proof FILE_ID [--host URL] [--rpc URL] [--config FILE] [--json]';

export const proof: CliCommand = (argv, io) =>
  runCliCommand(io, async () => {
    const { values, positionals } = parseCli(argv, { ...commonOptions, json: { type: 'boolean' } }, USAGE);
    if (values.help === true) {
      io.stdout(`Usage: ${USAGE}\n`);
      return EXIT_OK;
    }
    const fileId = positionals[0];
    if (positionals.length !== 1 || fileId === undefined || !/^0x[0-9a-fA-F]{64}$/.test(fileId)) throw new CliUsageError('Name one FILE_ID: 0x and 64 hex digits.', USAGE);
    const config = resolveConfig(values);
    const root = loadDevRoot(config, io.stderr);
    const client = await publicClientFor(config.rpcUrl);
    const audit = await auditProof({ client, config, fileId: fileId.toLowerCase() as `0x${string}`, ...(root === undefined ? {} : { root }) });
    if (values.json === true) {
      io.stdout(`${JSON.stringify(audit, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`);
    } else {
      for (const check of audit.checks) io.stdout(`${check.ok ? 'ok  ' : 'FAIL'} ${check.name}: ${check.detail}\n`);
      if (audit.record !== undefined && audit.record.recordedAt !== 0n) io.stdout(`scores: ${scoreBreakdown(audit.record)}${audit.record.revoked ? ' (revoked)' : ''}\n`);
      io.stdout(`${audit.ok ? 'VERIFIED' : 'NOT VERIFIED'}: ${fileId}\n`);
    }
    return audit.ok ? EXIT_OK : EXIT_INVALID;
  });
