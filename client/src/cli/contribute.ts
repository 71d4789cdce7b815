// `audata contribute AUDIO...`: seals recordings on this device for the attested enclave,
// uploads them with a progress bar and prints each verdict as the chain records it.
import { SingleBar } from 'cli-progress';
import { CliUsageError, EXIT_OK, parseCli, runCliCommand, type CliCommand, type CliIo } from '@audata/wire';
import { publicClientFor } from '../sdk/chain.ts';
import { loadDevRoot } from '../sdk/config.ts';
import { attestEnclave, awaitRecord, scoreBreakdown, sealFile } from '../sdk/contribute.ts';
import { HostApi } from '../sdk/host-api.ts';
import { commonOptions, keyOptions, resolveAccount, resolveConfig } from './options.ts';

const USAGE = 'audata contribute AUDIO... --key HEX|--keystore FILE [--host URL] [--rpc URL] [--language TAG] [--config FILE] [--timeout SECONDS]';

/** A progress display: cli-progress on a terminal, a few plain lines otherwise (logs, tests). */
function progress(io: CliIo, label: string) {
  if (io.stderr === undefined || !process.stderr.isTTY) {
    let shown = -1;
    return {
      update(sent: number, total: number) {
        const quarter = Math.floor((sent / Math.max(1, total)) * 4);
        if (quarter !== shown) io.stderr(`  upload ${label}: ${Math.round((sent / Math.max(1, total)) * 100)}%\n`), (shown = quarter);
      },
      stop() {},
    };
  }
  const bar = new SingleBar({ format: `  upload ${label} [{bar}] {percentage}% {value}/{total} bytes`, stream: process.stderr, hideCursor: true });
  let started = false;
  return {
    update(sent: number, total: number) {
      if (!started) bar.start(total, 0), (started = true);
      bar.update(sent);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

export const contribute: CliCommand = (argv, io) =>
  runCliCommand(io, async () => {
    const { values, positionals } = parseCli(argv, { ...commonOptions, ...keyOptions, language: { type: 'string' }, timeout: { type: 'string' } }, USAGE);
    if (values.help === true) {
      io.stdout(`Usage: ${USAGE}\n`);
      return EXIT_OK;
    }
    if (positionals.length === 0) throw new CliUsageError('Name at least one audio file.', USAGE);
    const language = values.language ?? 'en';
    const timeoutMs = values.timeout === undefined ? 120_000 : Number(values.timeout) * 1000;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new CliUsageError('--timeout is a positive number of seconds.', USAGE);
    const account = resolveAccount(values, USAGE);
    const config = resolveConfig(values);
    const root = loadDevRoot(config, io.stderr);
    const client = await publicClientFor(config.rpcUrl);
    const contributor = { config, client, host: new HostApi(config.hostUrl), ...(root === undefined ? {} : { root }) };

    io.stdout(`contributor ${account.address}\n`);
    const enclave = await attestEnclave(contributor);
    io.stdout(`enclave attested: measurement ${enclave.measurementId} approved on chain, signer ${enclave.binding.signer} registered, dataset key ${enclave.binding.datasetKey}\n`);
    for (const path of positionals) {
      const sealed = await sealFile(contributor, enclave, account, path, language);
      const fileId = sealed.header.manifest.ciphertextSha256;
      io.stdout(`${path}: sealed on this device, file ${fileId}\n`);
      const bar = progress(io, path);
      const uploaded = await contributor.host.upload(sealed.header, sealed.ciphertext, (sent, total) => bar.update(sent, total)).finally(() => bar.stop());
      io.stdout(`${path}: uploaded (${uploaded.status === 201 ? 'new' : 'already stored'}), waiting for the enclave's proof\n`);
      const { record, txHash } = await awaitRecord(contributor, enclave, sealed, { timeoutMs });
      io.stdout(`${path}: on chain${txHash === null ? '' : ` in ${txHash}`}: ${scoreBreakdown(record)}\n`);
    }
    return EXIT_OK;
  });
