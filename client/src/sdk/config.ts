// The client's trust settings, from a file the user controls: which chain and contracts to
// believe, and (in development only) which attestation root. The host is never asked for them.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { isAddress, type Address, type Hex } from 'viem';
import { certificateDer } from '@audata/verifier';
import { ClientConfigError, DevRootMismatchError } from './errors.ts';

export interface ClientConfig {
  hostUrl: string;
  rpcUrl: string;
  enclaveRegistry: Address;
  contributionRegistry: Address;
  /** keccak256 of the consent and license text contributors agree to. */
  termsHash: Hex;
  /** Development only: a non-AWS attestation root, pinned by the SHA-256 of its DER. */
  devRoot?: { path: string; sha256: string };
}

export function loadClientConfig(path: string): ClientConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ClientConfigError(path, `cannot be read as JSON (${(error as NodeJS.ErrnoException).code ?? 'parse error'})`);
  }
  if (typeof raw !== 'object' || raw === null) throw new ClientConfigError(path, 'is not a JSON object');
  const r = raw as Record<string, unknown>;
  const str = (key: string) => {
    if (typeof r[key] !== 'string' || (r[key] as string).length === 0) throw new ClientConfigError(path, `has no string "${key}"`);
    return r[key] as string;
  };
  const address = (key: string) => {
    const value = str(key);
    if (!isAddress(value)) throw new ClientConfigError(path, `has "${key}" that is not an address`);
    return value;
  };
  const termsHash = str('termsHash');
  if (!/^0x[0-9a-fA-F]{64}$/.test(termsHash)) throw new ClientConfigError(path, 'has "termsHash" that is not 32 bytes of hex');
  const config: ClientConfig = {
    hostUrl: str('hostUrl'),
    rpcUrl: str('rpcUrl'),
    enclaveRegistry: address('enclaveRegistry'),
    contributionRegistry: address('contributionRegistry'),
    termsHash: termsHash as Hex,
  };
  if (r.devRoot !== undefined) {
    const d = r.devRoot as Record<string, unknown>;
    if (typeof d !== 'object' || d === null || typeof d.path !== 'string' || typeof d.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(d.sha256)) {
      throw new ClientConfigError(path, 'has "devRoot" that is not { path, sha256 (64 lower-case hex) }');
    }
    config.devRoot = { path: resolve(dirname(path), d.path), sha256: d.sha256 };
  }
  return config;
}

export const DEV_ROOT_WARNING = [
  '',
  '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!',
  '!! WARNING: trusting a DEVELOPMENT attestation root, not AWS Nitro Root-G1.    !!',
  '!! A document it accepts proves NOTHING about a real enclave. Never use it     !!',
  '!! with recordings you are not willing to disclose.                            !!',
  '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!',
  '',
].join('\n');

/** The dev root the configuration pins, checked against its fingerprint; undefined means the AWS root. */
export function loadDevRoot(config: ClientConfig, warn: (text: string) => void): Uint8Array | undefined {
  if (config.devRoot === undefined) return undefined;
  let der: Uint8Array;
  try {
    der = certificateDer(new Uint8Array(readFileSync(config.devRoot.path)));
  } catch (error) {
    throw new ClientConfigError(config.devRoot.path, `(the dev root) cannot be read (${(error as NodeJS.ErrnoException).code ?? 'not a certificate'})`);
  }
  const sha256 = createHash('sha256').update(der).digest('hex');
  if (sha256 !== config.devRoot.sha256) throw new DevRootMismatchError(config.devRoot.path, config.devRoot.sha256, sha256);
  warn(`${DEV_ROOT_WARNING}   root ${config.devRoot.path}\n   SHA-256 ${sha256}\n\n`);
  return der;
}
