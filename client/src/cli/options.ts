// Options the chain-facing `audata` commands share: where the trust settings live and which
// host and node to talk to. Flags override the configuration file; the file is the user's.
import { loadClientConfig, type ClientConfig } from '../sdk/config.ts';
import { accountFromHex, accountFromKeystore } from '../sdk/keys.ts';
import { CliUsageError } from '@audata/wire';
import type { PrivateKeyAccount } from 'viem/accounts';

export const DEFAULT_CONFIG = '.data/devnet/client.json';

export const commonOptions = {
  config: { type: 'string' },
  host: { type: 'string' },
  rpc: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const keyOptions = {
  key: { type: 'string' },
  keystore: { type: 'string' },
} as const;

export function resolveConfig(values: { config?: string | undefined; host?: string | undefined; rpc?: string | undefined }, env: NodeJS.ProcessEnv = process.env): ClientConfig {
  const config = loadClientConfig(values.config ?? env.AUDATA_CLIENT_CONFIG ?? DEFAULT_CONFIG);
  return { ...config, ...(values.host === undefined ? {} : { hostUrl: values.host.replace(/\/+$/, '') }), ...(values.rpc === undefined ? {} : { rpcUrl: values.rpc }) };
}

export function resolveAccount(values: { key?: string | undefined; keystore?: string | undefined }, usage: string, env: NodeJS.ProcessEnv = process.env): PrivateKeyAccount {
  if ((values.key === undefined) === (values.keystore === undefined)) throw new CliUsageError('Pass exactly one of --key HEX and --keystore FILE.', usage);
  return values.key !== undefined ? accountFromHex(values.key) : accountFromKeystore(values.keystore!, env.AUDATA_KEYSTORE_PASSWORD);
}
