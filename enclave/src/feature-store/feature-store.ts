// Log-mel features per file, cached outside the enclave but encrypted inside it, so a job
// reads features instead of decrypting and recomputing audio, and the host that stores the
// blobs learns nothing but their sizes. Each entry is an XSalsa20-Poly1305 secretbox
// (libsodium) under a key derived from the dataset key, with a fresh random nonce, and
// names its file inside the ciphertext so entries cannot be swapped between files.
import sodium from 'libsodium-wrappers';
import type { Hex } from 'viem';
import { hexToBytes, bytesToHex } from 'viem';
import { FeatureStoreInputError, FeatureStoreTamperedError } from './errors.ts';

/** Where the host keeps opaque blobs; keys are not secret. */
export interface FeatureBlobBackend {
  get(key: string): Promise<Uint8Array | undefined>;
  put(key: string, bytes: Uint8Array): Promise<void>;
}

/** A log-mel spectrogram, frame-major (as enclave/src/audio/logmel.ts makes it). */
export interface LogMelFeatures {
  nMels: number;
  frames: number;
  data: Float32Array;
}

export interface FeatureStoreOptions {
  /** The dataset's X25519 secret key (32 bytes), released to this enclave by KMS. */
  datasetSecretKey: Uint8Array;
  backend: FeatureBlobBackend;
  randomBytes?: (n: number) => Uint8Array;
  /** Cap on frames per entry (default one hour at 100 frames per second). */
  maxFrames?: number;
}

const MAGIC = new Uint8Array([0x41, 0x46, 0x53, 0x31]); // "AFS1"
const KDF_CONTEXT = 'audfeat1';
const KDF_SUBKEY_ID = 1;
const HEADER_BYTES = 32 + 4 + 2;
const MEL_BANDS = new Set([80, 128]);
export const DEFAULT_MAX_FRAMES = 360_000;
/** Entries are little-endian; on a little-endian host the values are copied as bytes. */
const LITTLE_ENDIAN = new Uint8Array(new Float32Array([1]).buffer)[3] === 0x3f;

export function featureBlobKey(fileId: Hex): string {
  return `features/v1/${fileId.toLowerCase()}`;
}

function isFileId(value: string): value is Hex {
  return /^0x[0-9a-fA-F]{64}$/.test(value);
}

export class FeatureStore {
  readonly #key: Uint8Array;
  readonly #backend: FeatureBlobBackend;
  readonly #random: (n: number) => Uint8Array;
  readonly #maxFrames: number;

  private constructor(key: Uint8Array, options: FeatureStoreOptions) {
    this.#key = key;
    this.#backend = options.backend;
    this.#random = options.randomBytes ?? ((n) => sodium.randombytes_buf(n));
    this.#maxFrames = options.maxFrames ?? DEFAULT_MAX_FRAMES;
  }

  /** Derives the store key (libsodium KDF, BLAKE2b) so the dataset key itself never encrypts anything here. */
  static async open(options: FeatureStoreOptions): Promise<FeatureStore> {
    await sodium.ready;
    if (options.datasetSecretKey.length !== sodium.crypto_kdf_KEYBYTES) {
      throw new FeatureStoreInputError('datasetSecretKey', `${sodium.crypto_kdf_KEYBYTES} bytes`, options.datasetSecretKey.length);
    }
    const maxFrames = options.maxFrames ?? DEFAULT_MAX_FRAMES;
    if (!Number.isSafeInteger(maxFrames) || maxFrames < 1) throw new FeatureStoreInputError('maxFrames', 'an integer >= 1', maxFrames);
    const key = sodium.crypto_kdf_derive_from_key(sodium.crypto_secretbox_KEYBYTES, KDF_SUBKEY_ID, KDF_CONTEXT, options.datasetSecretKey);
    return new FeatureStore(key, options);
  }

  /** Largest entry this store accepts, from the frame cap: reading never allocates past it. */
  get maxEntryBytes(): number {
    return MAGIC.length + sodium.crypto_secretbox_NONCEBYTES + sodium.crypto_secretbox_MACBYTES + HEADER_BYTES + this.#maxFrames * 128 * 4;
  }

  async put(fileId: Hex, features: LogMelFeatures): Promise<void> {
    if (!isFileId(fileId)) throw new FeatureStoreInputError('fileId', 'a 32-byte hex string', fileId);
    const { nMels, frames, data } = features;
    if (!MEL_BANDS.has(nMels)) throw new FeatureStoreInputError('nMels', '80 or 128', nMels);
    if (!Number.isSafeInteger(frames) || frames < 1 || frames > this.#maxFrames) throw new FeatureStoreInputError('frames', `an integer in 1..${this.#maxFrames}`, frames);
    if (data.length !== frames * nMels) throw new FeatureStoreInputError('data', `${frames} x ${nMels} values`, data.length);
    const plain = new Uint8Array(HEADER_BYTES + data.length * 4);
    const view = new DataView(plain.buffer);
    plain.set(hexToBytes(fileId), 0);
    view.setUint32(32, frames, true);
    view.setUint16(36, nMels, true);
    if (LITTLE_ENDIAN) plain.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), HEADER_BYTES);
    else for (let i = 0; i < data.length; i++) view.setFloat32(HEADER_BYTES + i * 4, data[i]!, true);
    const nonce = this.#random(sodium.crypto_secretbox_NONCEBYTES);
    if (nonce.length !== sodium.crypto_secretbox_NONCEBYTES) throw new FeatureStoreInputError('randomBytes', `${sodium.crypto_secretbox_NONCEBYTES} bytes`, nonce.length);
    const box = sodium.crypto_secretbox_easy(plain, nonce, this.#key);
    sodium.memzero(plain);
    const entry = new Uint8Array(MAGIC.length + nonce.length + box.length);
    entry.set(MAGIC, 0);
    entry.set(nonce, MAGIC.length);
    entry.set(box, MAGIC.length + nonce.length);
    await this.#backend.put(featureBlobKey(fileId), entry);
  }

  /** The cached features, undefined when none are stored; FEATURE_STORE_TAMPERED when the entry cannot be trusted. */
  async get(fileId: Hex): Promise<LogMelFeatures | undefined> {
    if (!isFileId(fileId)) throw new FeatureStoreInputError('fileId', 'a 32-byte hex string', fileId);
    const entry = await this.#backend.get(featureBlobKey(fileId));
    if (entry === undefined) return undefined;
    const nonceEnd = MAGIC.length + sodium.crypto_secretbox_NONCEBYTES;
    if (entry.length > this.maxEntryBytes) throw new FeatureStoreTamperedError(fileId, `${entry.length} bytes exceed the ${this.maxEntryBytes}-byte cap`);
    if (entry.length < nonceEnd + sodium.crypto_secretbox_MACBYTES + HEADER_BYTES) throw new FeatureStoreTamperedError(fileId, `${entry.length} bytes is too short for an entry`);
    if (!MAGIC.every((b, i) => entry[i] === b)) throw new FeatureStoreTamperedError(fileId, 'unknown entry format');
    let plain: Uint8Array;
    try {
      plain = sodium.crypto_secretbox_open_easy(entry.subarray(nonceEnd), entry.subarray(MAGIC.length, nonceEnd), this.#key);
    } catch {
      throw new FeatureStoreTamperedError(fileId, 'authentication failed');
    }
    try {
      if (bytesToHex(plain.subarray(0, 32)) !== fileId.toLowerCase()) throw new FeatureStoreTamperedError(fileId, 'the entry belongs to another file');
      const view = new DataView(plain.buffer, plain.byteOffset, plain.byteLength);
      const frames = view.getUint32(32, true);
      const nMels = view.getUint16(36, true);
      if (!MEL_BANDS.has(nMels) || frames < 1 || frames > this.#maxFrames || plain.length !== HEADER_BYTES + frames * nMels * 4) {
        throw new FeatureStoreTamperedError(fileId, 'the entry header does not match its length');
      }
      let data: Float32Array;
      if (LITTLE_ENDIAN) data = new Float32Array(plain.slice(HEADER_BYTES).buffer);
      else {
        data = new Float32Array(frames * nMels);
        for (let i = 0; i < data.length; i++) data[i] = view.getFloat32(HEADER_BYTES + i * 4, true);
      }
      return { nMels, frames, data };
    } finally {
      sodium.memzero(plain);
    }
  }

  /** Reads the cache, or computes (e.g. decrypts the audio and runs log-mel), stores and returns. */
  async getOrCompute(fileId: Hex, compute: () => Promise<LogMelFeatures>): Promise<LogMelFeatures> {
    const cached = await this.get(fileId);
    if (cached !== undefined) return cached;
    const features = await compute();
    await this.put(fileId, features);
    return features;
  }
}

/** A backend in memory, for tests and a host-less simulation. */
export class MemoryFeatureBackend implements FeatureBlobBackend {
  readonly blobs = new Map<string, Uint8Array>();
  async get(key: string): Promise<Uint8Array | undefined> {
    return this.blobs.get(key)?.slice();
  }
  async put(key: string, bytes: Uint8Array): Promise<void> {
    this.blobs.set(key, bytes.slice());
  }
}
