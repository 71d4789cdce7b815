// A contribution from the contributor's device: attest the enclave against the chain, seal the
// recording to the attested dataset key, sign the manifest, upload, wait for the proof and read
// the verdict back from the chain (the host's word is never the result).
import { randomBytes as nodeRandomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { hashTypedData, hexToBytes, isAddressEqual, type Chain, type Hex, type LocalAccount, type PublicClient, type Transport } from 'viem';
import { manifestDomain, manifestTypes, type EnvelopeHeader } from '@audata/wire';
import { sealContribution } from '../envelope/seal.ts';
import { contributionRegistryAbi } from './chain.ts';
import type { ClientConfig } from './config.ts';
import { verifyEnclave, type TrustedEnclave } from './enclave-trust.ts';
import { ProofCheckError } from './errors.ts';
import { HostApi } from './host-api.ts';

export interface FileRecord {
  contributor: `0x${string}`;
  valid: boolean;
  revoked: boolean;
  score: number;
  authenticity: number;
  ownership: number;
  quality: number;
  uniqueness: number;
  signer: `0x${string}`;
  recordedAt: bigint;
  proofHash: Hex;
  manifestHash: Hex;
}

export interface Contributor {
  config: ClientConfig;
  client: PublicClient<Transport, Chain>;
  host: HostApi;
  /** Dev root (DER) pinned by the configuration; undefined trusts only AWS. */
  root?: Uint8Array;
  randomBytes?: (n: number) => Uint8Array;
}

/** Asks the host for a document with a fresh nonce and checks it against the chain. */
export async function attestEnclave(c: Contributor): Promise<TrustedEnclave> {
  const nonce = (c.randomBytes ?? ((n) => new Uint8Array(nodeRandomBytes(n))))(32);
  const document = await c.host.attestation(nonce);
  return verifyEnclave({ document, nonce, client: c.client, enclaveRegistry: c.config.enclaveRegistry, ...(c.root === undefined ? {} : { root: c.root }), maxAgeMs: 5 * 60_000 });
}

export interface SealedFile {
  header: EnvelopeHeader;
  ciphertext: Uint8Array[];
  manifestHash: Hex;
}

/** Seals one recording on this device to the attested dataset key. */
export async function sealFile(c: Contributor, enclave: TrustedEnclave, account: LocalAccount, audio: string | AsyncIterable<Uint8Array> | Iterable<Uint8Array>, language: string): Promise<SealedFile> {
  const ciphertext: Uint8Array[] = [];
  const header = await sealContribution({
    audio: typeof audio === 'string' ? (createReadStream(audio) as AsyncIterable<Uint8Array>) : audio,
    write: (chunk) => void ciphertext.push(chunk.slice()),
    datasetKey: hexToBytes(enclave.binding.datasetKey),
    account,
    chainId: c.client.chain.id,
    registry: c.config.contributionRegistry,
    termsHash: c.config.termsHash,
    language,
    ...(c.randomBytes === undefined ? {} : { randomBytes: c.randomBytes }),
  });
  const manifestHash = hashTypedData({ domain: manifestDomain(c.client.chain.id, c.config.contributionRegistry), types: manifestTypes, primaryType: 'ContributionManifest', message: header.manifest });
  return { header, ciphertext, manifestHash };
}

export async function readFileRecord(client: PublicClient<Transport, Chain>, registry: `0x${string}`, fileId: Hex): Promise<FileRecord> {
  return (await client.readContract({ address: registry, abi: contributionRegistryAbi, functionName: 'fileRecord', args: [fileId] })) as FileRecord;
}

/**
 * Waits for the host to report the proof, then reads the record from the chain and checks it is
 * this contributor's, for this manifest, signed by the enclave that was attested.
 */
export async function awaitRecord(c: Contributor, enclave: TrustedEnclave, sealed: SealedFile, options: { timeoutMs?: number; intervalMs?: number; onState?: (state: string) => void } = {}): Promise<{ record: FileRecord; txHash: Hex | null }> {
  const fileId = sealed.header.manifest.ciphertextSha256;
  const status = await c.host.waitForSubmission(fileId, options);
  const record = await readFileRecord(c.client, c.config.contributionRegistry, fileId);
  if (record.recordedAt === 0n) throw new ProofCheckError('recorded on chain', `a record for ${fileId}`, 'none (the host claims it was submitted)');
  if (!isAddressEqual(record.contributor, sealed.header.contributor)) throw new ProofCheckError('contributor', sealed.header.contributor, record.contributor);
  if (record.manifestHash !== sealed.manifestHash) throw new ProofCheckError('manifest hash', sealed.manifestHash, record.manifestHash);
  // The signer may differ from the attested one when the enclave restarted meanwhile; `audata proof` checks it in full.
  void enclave;
  return { record, txHash: status.txHash };
}

/** Basis points as a percentage with one decimal. */
export const percent = (bp: number) => `${(bp / 100).toFixed(1)}%`;

export function scoreBreakdown(record: FileRecord): string {
  return [
    `valid ${record.valid ? 'yes' : 'no'}`,
    `score ${percent(record.score)}`,
    `authenticity ${percent(record.authenticity)}`,
    `ownership ${percent(record.ownership)}`,
    `quality ${percent(record.quality)}`,
    `uniqueness ${percent(record.uniqueness)}`,
  ].join(', ');
}
