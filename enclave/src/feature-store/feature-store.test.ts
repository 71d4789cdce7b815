import { expect } from 'chai';
import { keccak256, toHex, type Hex } from 'viem';
import { FeatureStore, MemoryFeatureBackend, featureBlobKey, type LogMelFeatures } from './feature-store.ts';

const fileA: Hex = keccak256(toHex('file a'));
const fileB: Hex = keccak256(toHex('file b'));
const datasetKey = new Uint8Array(32).fill(7);

function spectrogram(frames: number, seed: number): LogMelFeatures {
  const data = new Float32Array(frames * 80);
  for (let i = 0; i < data.length; i++) data[i] = Math.sin(i * 0.37 + seed) * 1.5;
  return { nMels: 80, frames, data };
}

async function code(action: () => Promise<unknown>): Promise<string> {
  try {
    await action();
  } catch (error) {
    return (error as { code: string }).code;
  }
  return 'OK';
}

describe('FeatureStore', () => {
  it('round-trips features exactly, stores only ciphertext, and uses a fresh nonce per entry', async () => {
    const backend = new MemoryFeatureBackend();
    const store = await FeatureStore.open({ datasetSecretKey: datasetKey, backend });
    const features = spectrogram(30, 1);
    await store.put(fileA, features);
    await store.put(fileB, features);
    const back = await store.get(fileA);
    expect(back?.frames).to.equal(30);
    expect(Array.from(back!.data)).to.deep.equal(Array.from(features.data));
    const blobA = backend.blobs.get(featureBlobKey(fileA))!;
    const blobB = backend.blobs.get(featureBlobKey(fileB))!;
    const plainBytes = new Uint8Array(features.data.buffer);
    expect(Buffer.from(blobA).includes(Buffer.from(plainBytes.subarray(0, 16)))).to.equal(false);
    expect(Buffer.from(blobA.subarray(4, 28)).equals(Buffer.from(blobB.subarray(4, 28)))).to.equal(false);
    expect(await store.get(keccak256(toHex('absent')))).to.equal(undefined);
  });

  it('computes once and then serves the cache', async () => {
    const store = await FeatureStore.open({ datasetSecretKey: datasetKey, backend: new MemoryFeatureBackend() });
    let computed = 0;
    const compute = async () => (computed++, spectrogram(10, 2));
    await store.getOrCompute(fileA, compute);
    const again = await store.getOrCompute(fileA, compute);
    expect(computed).to.equal(1);
    expect(again.frames).to.equal(10);
  });

  it('refuses a flipped bit, a truncated entry, a swapped entry, another dataset key and an oversized blob with FEATURE_STORE_TAMPERED', async () => {
    const backend = new MemoryFeatureBackend();
    const store = await FeatureStore.open({ datasetSecretKey: datasetKey, backend, maxFrames: 100 });
    await store.put(fileA, spectrogram(20, 3));
    await store.put(fileB, spectrogram(20, 4));
    const original = backend.blobs.get(featureBlobKey(fileA))!;

    const flipped = original.slice();
    flipped[60]! ^= 1;
    backend.blobs.set(featureBlobKey(fileA), flipped);
    expect(await code(() => store.get(fileA))).to.equal('FEATURE_STORE_TAMPERED');

    backend.blobs.set(featureBlobKey(fileA), original.slice(0, 30));
    expect(await code(() => store.get(fileA))).to.equal('FEATURE_STORE_TAMPERED');

    backend.blobs.set(featureBlobKey(fileA), backend.blobs.get(featureBlobKey(fileB))!);
    expect(await code(() => store.get(fileA))).to.equal('FEATURE_STORE_TAMPERED');

    backend.blobs.set(featureBlobKey(fileA), new Uint8Array(store.maxEntryBytes + 1));
    expect(await code(() => store.get(fileA))).to.equal('FEATURE_STORE_TAMPERED');

    backend.blobs.set(featureBlobKey(fileA), original);
    const otherKey = await FeatureStore.open({ datasetSecretKey: new Uint8Array(32).fill(8), backend });
    expect(await code(() => otherKey.get(fileA))).to.equal('FEATURE_STORE_TAMPERED');
    expect(await code(() => store.get(fileA))).to.equal('OK');
  });

  it('refuses malformed features and keys with FEATURE_STORE_INVALID_INPUT, storing nothing', async () => {
    const backend = new MemoryFeatureBackend();
    const store = await FeatureStore.open({ datasetSecretKey: datasetKey, backend, maxFrames: 100 });
    expect(await code(() => store.put(fileA, { nMels: 64, frames: 1, data: new Float32Array(64) }))).to.equal('FEATURE_STORE_INVALID_INPUT');
    expect(await code(() => store.put(fileA, { nMels: 80, frames: 101, data: new Float32Array(8080) }))).to.equal('FEATURE_STORE_INVALID_INPUT');
    expect(await code(() => store.put(fileA, { nMels: 80, frames: 2, data: new Float32Array(80) }))).to.equal('FEATURE_STORE_INVALID_INPUT');
    expect(await code(() => store.put('0x12' as Hex, spectrogram(1, 0)))).to.equal('FEATURE_STORE_INVALID_INPUT');
    expect(await code(() => FeatureStore.open({ datasetSecretKey: new Uint8Array(31), backend }))).to.equal('FEATURE_STORE_INVALID_INPUT');
    expect(backend.blobs.size).to.equal(0);
  });
});
