// The devnet's loopback ports, configurable by environment, each checked before anything starts.
import { createServer } from 'node:net';
import { DevnetPortInUseError } from './errors.ts';
import { DevnetError } from './errors.ts';

export interface DevnetPorts {
  anvil: number;
  kms: number;
  enclave: number;
  host: number;
}

const VARIABLES: Record<keyof DevnetPorts, [string, number]> = {
  anvil: ['AUDATA_ANVIL_PORT', 8545],
  kms: ['AUDATA_DEV_KMS_PORT', 4599],
  enclave: ['AUDATA_ENCLAVE_PORT', 7100],
  host: ['AUDATA_HOST_PORT', 8787],
};

export function portsFromEnv(env: NodeJS.ProcessEnv = process.env): DevnetPorts {
  const out = {} as DevnetPorts;
  for (const [name, [variable, fallback]] of Object.entries(VARIABLES) as [keyof DevnetPorts, [string, number]][]) {
    const raw = env[variable];
    const port = raw === undefined || raw === '' ? fallback : Number(raw);
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new DevnetError('DEVNET_CONFIG_INVALID', `${variable} is ${JSON.stringify(raw)}, expected a port 1..65535.`, { details: { variable }, hint: `Set ${variable} to a free loopback port.` });
    }
    out[name] = port;
  }
  return out;
}

export function portVariable(name: keyof DevnetPorts): string {
  return VARIABLES[name][0];
}

/** Throws DevnetPortInUseError when something already listens on 127.0.0.1:port. */
export async function ensurePortFree(service: keyof DevnetPorts, port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => reject(error.code === 'EADDRINUSE' ? new DevnetPortInUseError(service, port, portVariable(service)) : error));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve()));
  });
}

export { freePort } from '../../contracts/src/testing/anvil.ts';
