// Shared by the host's tests: real signed manifests and proofs over random keys, and a
// throw-away database directory. Not imported by production code.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { bytesToHex, type Address, type Hex } from 'viem';
import { manifestDomain, manifestTypes, proofTypes, type ContributionManifest, type ContributionProof } from '@audata/wire';
import { AudataError } from '@audata/wire';
import type { ChainWriter, SignedProof } from './deps.ts';
import { openDatabase } from './db/open-database.ts';

export const testDomain = manifestDomain(31337, '0x5fbdb2315678afecb367f642afa3ec4d8c3ac7d3' as Address);

export const sha256Hex = (bytes: Uint8Array): Hex => `0x${createHash('sha256').update(bytes).digest('hex')}`;
export const randomHex = (n: number): Hex => bytesToHex(randomBytes(n));

export interface SignedUpload {
  ciphertext: Uint8Array;
  sealedKey: Uint8Array;
  manifest: ContributionManifest;
  signature: Hex;
  contributor: Address;
  fileId: Hex;
}

/** A contributor's upload as the client would build it, with random bytes standing in for ciphertext. */
export async function signedUpload(size = 4096, privateKey: Hex = generatePrivateKey()): Promise<SignedUpload> {
  const account = privateKeyToAccount(privateKey);
  const ciphertext = randomBytes(size);
  const sealedKey = randomBytes(80);
  const manifest: ContributionManifest = {
    ciphertextSha256: sha256Hex(ciphertext),
    sealedKeySha256: sha256Hex(sealedKey),
    datasetKey: randomHex(32),
    termsHash: randomHex(32),
    language: 'en',
    createdAt: 1_763_000_000n,
    nonce: randomHex(32),
  };
  const signature = await account.signTypedData({ domain: testDomain, types: manifestTypes, primaryType: 'ContributionManifest', message: manifest });
  return { ciphertext, sealedKey, manifest, signature, contributor: account.address, fileId: manifest.ciphertextSha256 };
}

/** A proof signed by a random key standing in for the enclave signer. */
export async function signedProof(fileId: Hex, contributor: Address = privateKeyToAccount(generatePrivateKey()).address): Promise<SignedProof> {
  const enclave = privateKeyToAccount(generatePrivateKey());
  const proof: ContributionProof = {
    fileId,
    contributor,
    manifestHash: randomHex(32),
    valid: true,
    score: 8123,
    authenticity: 9000,
    ownership: 10000,
    quality: 7000,
    uniqueness: 9500,
    pipelineVersion: randomHex(32),
    detailsHash: randomHex(32),
    deadline: 1_763_003_600n,
  };
  const signature = await enclave.signTypedData({ domain: testDomain, types: proofTypes, primaryType: 'ContributionProof', message: proof });
  return { proof, signature };
}

export async function tempDir(prefix: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export async function tempDatabase(): Promise<{ db: Database; path: string; dir: string; cleanup: () => Promise<void> }> {
  const { dir, cleanup } = await tempDir('audata-host-db-');
  const path = join(dir, 'host.sqlite');
  const db = openDatabase(path);
  return {
    db,
    path,
    dir,
    cleanup: async () => {
      if (db.open) db.close();
      await cleanup();
    },
  };
}

/** A clock the test moves by hand. */
export function manualClock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let time = start;
  return { now: () => time, advance: (ms) => void (time += ms) };
}

/** A registry in memory with the one rule that matters here: one proof per file, one reward per proof. */
export class MemoryRegistry implements ChainWriter {
  readonly proofs = new Map<Hex, Hex>();
  rewards = 0;
  failNext = 0;
  hideFromFind = false;

  async findProof(fileId: Hex) {
    const txHash = this.hideFromFind ? undefined : this.proofs.get(fileId);
    this.hideFromFind = false;
    return txHash === undefined ? undefined : { txHash };
  }
  async submitProof(signed: SignedProof) {
    if (this.failNext > 0) {
      this.failNext -= 1;
      throw new Error('rpc timeout');
    }
    if (this.proofs.has(signed.proof.fileId)) throw new AudataError('CHAIN_PROOF_EXISTS', 'ContributionRegistryProofExists');
    const txHash = `0x${(this.proofs.size + 1).toString(16).padStart(64, '0')}` as Hex;
    this.proofs.set(signed.proof.fileId, txHash);
    this.rewards += 1;
    return { txHash };
  }
  async registerEnclaveSigner(): Promise<{ txHash: Hex }> {
    throw new Error('not used here');
  }
}

