// A local chain for tests, benchmarks and `make run`: one anvil process on a free loopback
// port, with viem clients for reading, signing and time travel, and a clean stop.
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import {
  createPublicClient,
  createTestClient,
  createWalletClient,
  http,
  type Account,
  type Address,
  type Chain,
  type PublicClient,
  type TestClient,
  type Transport,
  type WalletClient,
} from 'viem';
import { mnemonicToAccount, parseAccount, type HDAccount } from 'viem/accounts';
import { foundry } from 'viem/chains';
import { AnvilStartError } from '../errors.ts';

/** anvil's well-known development mnemonic: its accounts are funded at genesis. Never use it anywhere real. */
export const ANVIL_MNEMONIC = 'test test test test test test test test test test test junk';

export interface AnvilOptions {
  /** Path of the anvil binary; defaults to the one shipped by @foundry-rs/anvil for this platform. */
  binary?: string;
  /** Number of funded accounts (default 10). */
  accounts?: number;
  /** Milliseconds to wait for the first answer (default 15000). */
  startTimeoutMs?: number;
}

export interface Anvil {
  rpcUrl: string;
  chain: Chain;
  publicClient: PublicClient<Transport, Chain>;
  testClient: TestClient<'anvil', Transport, Chain>;
  /** The funded development accounts, in anvil's order. */
  accounts: readonly HDAccount[];
  /** A wallet client for `account`: a local account signs itself; an address is sent to anvil (unlocked or impersonated). */
  walletClient(account: Account | Address): WalletClient<Transport, Chain, Account>;
  stop(): Promise<void>;
}

/** The platform binary of @foundry-rs/anvil, not its node wrapper, so stopping kills the chain itself. */
export function anvilBinary(): string {
  const require = createRequire(import.meta.url);
  const arch = process.arch === 'x64' ? 'amd64' : process.arch;
  const pkg = `@foundry-rs/anvil-${process.platform}-${arch}/package.json`;
  try {
    return join(dirname(require.resolve(pkg)), 'bin', 'anvil');
  } catch (cause) {
    throw new AnvilStartError(`no anvil binary for ${process.platform}-${arch}: ${pkg} is not installed`, { cause });
  }
}

/** A loopback port that was free a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Starts anvil on loopback and resolves once it answers JSON-RPC. */
export async function startAnvil(options: AnvilOptions = {}): Promise<Anvil> {
  const binary = options.binary ?? anvilBinary();
  const count = options.accounts ?? 10;
  const timeoutMs = options.startTimeoutMs ?? 15_000;
  const port = await freePort();
  const rpcUrl = `http://127.0.0.1:${port}`;
  const args = ['--host', '127.0.0.1', '--port', String(port), '--silent', '--accounts', String(count), '--mnemonic', ANVIL_MNEMONIC];
  const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    if (stderr.length < 4096) stderr += chunk.toString('utf8');
  });
  // A crashed or interrupted parent must not leave a chain behind on the port.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.removeListener('exit', killOnExit));
  let exited: string | undefined;
  child.once('error', (error) => {
    exited = error.message;
  });
  child.once('exit', (code, signal) => {
    exited ??= `exited with ${code ?? signal}`;
  });

  const chain: Chain = { ...foundry, rpcUrls: { default: { http: [rpcUrl] } } };
  const transport = http(rpcUrl, { retryCount: 0 });
  const publicClient = createPublicClient({ chain, transport, pollingInterval: 50 });

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited !== undefined) {
      throw new AnvilStartError(`anvil (${binary}) ${exited} before answering${stderr ? `: ${stderr.trim()}` : ''}`, {
        details: { binary, port },
      });
    }
    try {
      await publicClient.getChainId();
      break;
    } catch {
      if (Date.now() > deadline) {
        await stopChild(child);
        throw new AnvilStartError(`anvil did not answer on ${rpcUrl} within ${timeoutMs} ms`, { details: { binary, port, timeoutMs } });
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  const accounts = Array.from({ length: count }, (_, addressIndex) => mnemonicToAccount(ANVIL_MNEMONIC, { addressIndex }));
  return {
    rpcUrl,
    chain,
    publicClient,
    testClient: createTestClient({ chain, transport, mode: 'anvil' }),
    accounts,
    walletClient: (account: Account | Address): WalletClient<Transport, Chain, Account> => {
      const parsed: Account = typeof account === 'string' ? parseAccount(account) : account;
      return createWalletClient({ chain, transport, account: parsed });
    },
    stop: () => stopChild(child),
  };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
