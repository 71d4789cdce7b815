// The contributor's wallet key from the command line: a raw hex key, or an Ethereum keystore
// (Web3 Secret Storage v3, scrypt or pbkdf2 + aes-128-ctr) opened with a password from the
// environment, never from a flag other users can read in `ps`.
import { createDecipheriv, pbkdf2Sync, scryptSync, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { bytesToHex, keccak256, type Hex } from 'viem';
import { privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts';
import { KeyInputError } from './errors.ts';

export function accountFromHex(text: string): PrivateKeyAccount {
  const hex = text.startsWith('0x') ? text : `0x${text}`;
  if (!/^0x[0-9a-fA-F]{64}$/.test(hex)) throw new KeyInputError(`is not 32 bytes of hex (${hex.length - 2} hex digits)`);
  try {
    return privateKeyToAccount(hex as Hex);
  } catch {
    throw new KeyInputError('is not a valid secp256k1 private key');
  }
}

interface KeystoreV3 {
  version: number;
  crypto: {
    cipher: string;
    ciphertext: string;
    cipherparams: { iv: string };
    kdf: string;
    kdfparams: { dklen: number; salt: string; n?: number; r?: number; p?: number; c?: number; prf?: string };
    mac: string;
  };
}

/** Opens a v3 keystore. Work factors are capped so a hostile file cannot exhaust memory or time. */
export function accountFromKeystore(path: string, password: string | undefined): PrivateKeyAccount {
  if (password === undefined) throw new KeyInputError('keystore needs AUDATA_KEYSTORE_PASSWORD in the environment');
  let store: KeystoreV3;
  try {
    store = JSON.parse(readFileSync(path, 'utf8')) as KeystoreV3;
  } catch {
    throw new KeyInputError(`keystore ${path} cannot be read as JSON`);
  }
  const c = (store as { crypto?: KeystoreV3['crypto']; Crypto?: KeystoreV3['crypto'] }).crypto ?? (store as { Crypto?: KeystoreV3['crypto'] }).Crypto;
  if (store.version !== 3 || c === undefined || c.cipher !== 'aes-128-ctr') throw new KeyInputError('keystore is not version 3 with aes-128-ctr');
  const p = c.kdfparams;
  const salt = Buffer.from(p.salt, 'hex');
  let derived: Buffer;
  if (c.kdf === 'scrypt' && p.n !== undefined && p.r !== undefined && p.p !== undefined && p.dklen === 32) {
    if (p.n > 1 << 18 || p.r > 16 || p.p > 4) throw new KeyInputError('keystore asks for scrypt work above the cap (n <= 2^18, r <= 16, p <= 4)');
    derived = scryptSync(password, salt, 32, { N: p.n, r: p.r, p: p.p, maxmem: 256 * p.n * p.r + 1024 * 1024 });
  } else if (c.kdf === 'pbkdf2' && p.c !== undefined && p.prf === 'hmac-sha256' && p.dklen === 32) {
    if (p.c > 10_000_000) throw new KeyInputError('keystore asks for more than 10^7 pbkdf2 rounds');
    derived = pbkdf2Sync(password, salt, p.c, 32, 'sha256');
  } else throw new KeyInputError(`keystore uses an unsupported kdf ${JSON.stringify(c.kdf)}`);
  const ciphertext = Buffer.from(c.ciphertext, 'hex');
  const mac = Buffer.from(keccak256(Buffer.concat([derived.subarray(16, 32), ciphertext])).slice(2), 'hex');
  const expected = Buffer.from(c.mac, 'hex');
  if (expected.length !== 32 || !timingSafeEqual(mac, expected)) throw new KeyInputError('keystore password is wrong (MAC mismatch)');
  const decipher = createDecipheriv('aes-128-ctr', derived.subarray(0, 16), Buffer.from(c.cipherparams.iv, 'hex'));
  const key = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  derived.fill(0);
  const account = accountFromHex(bytesToHex(key));
  key.fill(0);
  return account;
}
