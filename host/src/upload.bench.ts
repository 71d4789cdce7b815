// Upload latency of one 30 s voice message through the whole host (HTTP, header checks,
// streamed hash, durable blob write, SQLite commit, queue), against the floor in the same
// run: the same bytes over a bare node:http server that only reads them, plus a durable
// file write (write, fsync, rename, fsync dir) and a SHA-256.
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { loadConfig } from './config.ts';
import { startHost } from './host.ts';
import { createLogger } from './log.ts';
import { encodeManifestHeader } from './routes/upload-request.ts';
import { signedUpload, type SignedUpload } from './test-fixtures.ts';

const RUNS = 40;
const sizes = [
  { label: '30 s Opus (24 kbit/s)', bytes: 90_000 },
  { label: '30 s WAV (16 kHz, 16-bit mono)', bytes: 960_044 },
];
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const p90 = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length * 0.9)]!;

const dir = mkdtempSync(join(tmpdir(), 'audata-upload-bench-'));
const host = await startHost(loadConfig({ AUDATA_HOST_DATA_DIR: join(dir, 'host') }, ['--port', '0', '--max-upload-bytes', '10000000']), {
  enclave: { attest: async () => ({ document: new Uint8Array() }), score: async () => Promise.reject(new Error('unused')) },
  logger: createLogger({ sink: () => {} }),
});

// Floor 1: an HTTP server that reads the body and answers, nothing else.
const bare = createServer((req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(201).end('{}'));
});
await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
const bareUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}/`;

// Floor 2: hashing and writing the bytes durably.
async function durableWrite(bytes: Uint8Array, name: string): Promise<void> {
  createHash('sha256').update(bytes).digest();
  const temp = join(dir, `${name}.tmp`);
  const file = await open(temp, 'w');
  await file.writeFile(bytes);
  await file.sync();
  await file.close();
  await rename(temp, join(dir, name));
  const d = await open(dir, 'r');
  await d.sync();
  await d.close();
}

function headers(upload: SignedUpload): Record<string, string> {
  return {
    'content-type': 'application/octet-stream',
    'audata-manifest': encodeManifestHeader(upload.manifest),
    'audata-manifest-signature': upload.signature,
    'audata-sealed-key': Buffer.from(upload.sealedKey).toString('base64'),
  };
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

try {
  for (const { label, bytes } of sizes) {
    const uploads = await Promise.all(Array.from({ length: RUNS + 5 }, () => signedUpload(bytes)));
    const hostMs: number[] = [];
    const floorMs: number[] = [];
    for (const [index, upload] of uploads.entries()) {
      const viaHost = await timed(async () => {
        const response = await fetch(`${host.listening.url}/v1/contributions`, { method: 'POST', headers: headers(upload), body: upload.ciphertext });
        if (response.status !== 201) throw new Error(`upload answered ${response.status}`);
        await response.arrayBuffer();
      });
      const floor = await timed(async () => {
        const response = await fetch(bareUrl, { method: 'POST', headers: headers(upload), body: upload.ciphertext });
        await response.arrayBuffer();
        await durableWrite(upload.ciphertext, `floor-${index}`);
      });
      if (index >= 5) {
        hostMs.push(viaHost);
        floorMs.push(floor);
      }
    }
    console.log(`${label}, ${bytes} bytes, ${RUNS} uploads:`);
    console.log(`  host upload → 201   median ${median(hostMs).toFixed(2)} ms, p90 ${p90(hostMs).toFixed(2)} ms`);
    console.log(`  floor (bare HTTP + durable write + SHA-256)   median ${median(floorMs).toFixed(2)} ms`);
    console.log(`  ratio host / floor: ${(median(hostMs) / median(floorMs)).toFixed(2)}x`);
  }

  // Throughput: 4 uploads in flight, the 30 s WAV size.
  const count = 60;
  const batch = await Promise.all(Array.from({ length: count }, () => signedUpload(960_044)));
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < batch.length) {
        const upload = batch[next++]!;
        const response = await fetch(`${host.listening.url}/v1/contributions`, { method: 'POST', headers: headers(upload), body: upload.ciphertext });
        if (response.status !== 201) throw new Error(`upload answered ${response.status}`);
        await response.arrayBuffer();
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  console.log(`throughput, 960 KB uploads, 4 in flight: ${(count / seconds).toFixed(1)} uploads/s (${((count * 960_044) / seconds / 1e6).toFixed(1)} MB/s)`);
  console.log(`queue depth after the run: ${JSON.stringify(host.queue.depthByState())}`);
} finally {
  await host.listening.close();
  host.close();
  bare.close();
  rmSync(dir, { recursive: true, force: true });
}
