// The buyer's X25519 key pair: every release of a job is sealed to its public half, so only
// the holder of this file can read results. Written with mode 0600; never sent anywhere.
import { readFileSync, writeFileSync } from 'node:fs';
import sodium from 'libsodium-wrappers';
import { bytesToHex, hexToBytes } from 'viem';
import { JobInputError, ReleaseUnreadableError } from './errors.ts';

export interface BuyerKey {
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

export async function generateBuyerKey(): Promise<BuyerKey> {
  await sodium.ready;
  const pair = sodium.crypto_box_keypair();
  return { publicKey: pair.publicKey, secretKey: pair.privateKey };
}

export function writeBuyerKey(path: string, key: BuyerKey): void {
  writeFileSync(path, `${JSON.stringify({ publicKey: bytesToHex(key.publicKey), secretKey: bytesToHex(key.secretKey) })}\n`, { mode: 0o600, flag: 'wx' });
}

export async function readBuyerKey(path: string): Promise<BuyerKey> {
  await sodium.ready;
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch {
    throw new JobInputError(`The buyer key file ${path}`, 'cannot be read as JSON');
  }
  const hex32 = (v: unknown) => typeof v === 'string' && /^0x[0-9a-fA-F]{64}$/.test(v);
  if (!hex32(raw['publicKey']) || !hex32(raw['secretKey'])) throw new JobInputError(`The buyer key file ${path}`, 'has no 32-byte hex publicKey and secretKey');
  const key = { publicKey: hexToBytes(raw['publicKey'] as `0x${string}`), secretKey: hexToBytes(raw['secretKey'] as `0x${string}`) };
  if (bytesToHex(sodium.crypto_scalarmult_base(key.secretKey)) !== bytesToHex(key.publicKey)) throw new JobInputError(`The buyer key file ${path}`, 'has a publicKey that is not its secretKey\'s');
  return key;
}

/** Opens a sealed release and parses its JSON. */
export async function openRelease<T>(sealed: Uint8Array, key: BuyerKey): Promise<T> {
  await sodium.ready;
  let plain: Uint8Array;
  try {
    plain = sodium.crypto_box_seal_open(sealed, key.publicKey, key.secretKey);
  } catch {
    throw new ReleaseUnreadableError('does not open with this key');
  }
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(plain)) as T;
  } catch {
    throw new ReleaseUnreadableError('is not JSON');
  }
}
