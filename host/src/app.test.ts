import { expect } from 'chai';
import { request as httpRequest } from 'node:http';
import { readdir } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { join } from 'node:path';
import { createApp, type AppDeps } from './app.ts';
import { FsBlobStore } from './blobs/fs-store.ts';
import { ContributionStore } from './db/contributions.ts';
import { openDatabase } from './db/open-database.ts';
import type { AttestationResult } from './deps.ts';
import { listen, type Listening } from './listen.ts';
import { createLogger } from './log.ts';
import { createHostMetrics } from './metrics.ts';
import { ScoringQueue } from './queue/scoring-queue.ts';
import { encodeManifestHeader } from './routes/upload-request.ts';
import { randomHex, signedProof, signedUpload, tempDir, testDomain, type SignedUpload } from './test-fixtures.ts';

interface TestHost {
  url: string;
  deps: AppDeps;
  logs: string[];
  /** Files the app announced as newly queued. */
  queued: string[];
  attested: Uint8Array[];
  blobRoot: string;
  queue: ScoringQueue;
  running: Listening;
  cleanup(): Promise<void>;
}

async function startHost(options: { maxUploadBytes?: number; attest?: (nonce: Uint8Array) => Promise<AttestationResult> } = {}): Promise<TestHost> {
  const { dir, cleanup } = await tempDir('audata-app-');
  const db = openDatabase(join(dir, 'host.sqlite'));
  const queue = new ScoringQueue(db, { leaseMs: 60_000, maxAttempts: 3 });
  const logs: string[] = [];
  const attested: Uint8Array[] = [];
  const queued: string[] = [];
  const blobRoot = join(dir, 'blobs');
  let ids = 0;
  const deps: AppDeps = {
    enclave: {
      attest:
        options.attest ??
        (async (nonce) => {
          attested.push(nonce);
          return { document: new Uint8Array([0xd2, 0x84, ...nonce]), enclaveSigner: '0x00000000000000000000000000000000000000aa' };
        }),
    },
    blobs: new FsBlobStore(blobRoot),
    contributions: new ContributionStore(db, queue),
    queue,
    metrics: createHostMetrics(() => queue.depthByState()),
    logger: createLogger({ level: 'debug', sink: (line) => logs.push(line) }),
    maxUploadBytes: options.maxUploadBytes ?? 8 * 1024 * 1024,
    manifestDomain: testDomain,
    randomId: () => `req-${++ids}`,
    onQueued: (fileId) => void queued.push(fileId),
  };
  const running = await listen(createApp(deps), { port: 0, bind: '127.0.0.1' });
  return {
    url: running.url,
    deps,
    logs,
    queued,
    attested,
    blobRoot,
    queue,
    running,
    cleanup: async () => {
      await running.close();
      if (db.open) db.close();
      await cleanup();
    },
  };
}

function uploadHeaders(upload: SignedUpload): Record<string, string> {
  return {
    'content-type': 'application/octet-stream',
    'audata-manifest': encodeManifestHeader(upload.manifest),
    'audata-manifest-signature': upload.signature,
    'audata-sealed-key': Buffer.from(upload.sealedKey).toString('base64'),
  };
}

async function post(host: TestHost, upload: SignedUpload, body: Uint8Array = upload.ciphertext, headers: Record<string, string> = {}) {
  const response = await fetch(`${host.url}/v1/contributions`, { method: 'POST', headers: { ...uploadHeaders(upload), ...headers }, body });
  return { status: response.status, body: (await response.json()) as Record<string, any>, headers: response.headers };
}

async function storedFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => entry.isFile()).map((entry) => entry.name);
}

/** Sends a chunked body with node:http, optionally breaking the connection half-way. */
function rawUpload(host: TestHost, upload: SignedUpload, chunks: Uint8Array[], abortAfter?: number): Promise<{ status: number; body: string } | 'aborted'> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${host.url}/v1/contributions`, { method: 'POST', headers: uploadHeaders(upload) }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', (error) => (abortAfter === undefined ? reject(error) : resolve('aborted')));
    chunks.forEach((chunk, index) => {
      if (abortAfter !== undefined && index === abortAfter) {
        setTimeout(() => {
          req.destroy();
          resolve('aborted');
        }, 50);
        return;
      }
      if (abortAfter === undefined || index < abortAfter) req.write(chunk);
    });
    if (abortAfter === undefined) req.end();
  });
}

async function eventually(check: () => Promise<boolean>, timeoutMs = 2000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) expect.fail('condition not reached in time');
    await new Promise((done) => setTimeout(done, 20));
  }
}

describe('host HTTP API', () => {
  let host: TestHost;
  beforeEach(async () => {
    host = await startHost({ maxUploadBytes: 64 * 1024 });
  });
  afterEach(() => host.cleanup());

  describe('GET /v1/attestation', () => {
    it('forwards the caller nonce to the enclave and returns the document', async () => {
      const nonce = randomHex(32);
      const response = await fetch(`${host.url}/v1/attestation?nonce=${nonce}`);
      expect(response.status).to.equal(200);
      expect(response.headers.get('cache-control')).to.equal('no-store');
      const body = (await response.json()) as Record<string, unknown>;
      expect(host.attested).to.have.length(1);
      expect(Buffer.from(host.attested[0]!).toString('hex')).to.equal(nonce.slice(2));
      expect(body).to.deep.equal({
        document: Buffer.from([0xd2, 0x84, ...Buffer.from(nonce.slice(2), 'hex')]).toString('base64'),
        format: 'COSE_Sign1',
        documentBytes: 34,
        nonce,
        enclaveSigner: '0x00000000000000000000000000000000000000aa',
      });
    });

    it('requires a 32-byte hex nonce', async () => {
      for (const query of ['', '?nonce=abcd', `?nonce=${'zz'.repeat(32)}`, `?nonce=${'ab'.repeat(33)}`, `?nonce=${'ab'.repeat(32)}&nonce=${'ab'.repeat(32)}`]) {
        const response = await fetch(`${host.url}/v1/attestation${query}`);
        expect(response.status, query).to.equal(400);
        expect(((await response.json()) as any).error.code).to.equal('HOST_INVALID_REQUEST');
      }
      expect(host.attested).to.have.length(0);
    });

    it('answers 503 when the enclave does not', async () => {
      const down = await startHost({ attest: async () => Promise.reject(new Error('connect ECONNREFUSED vsock')) });
      try {
        const response = await fetch(`${down.url}/v1/attestation?nonce=${randomHex(32)}`);
        expect(response.status).to.equal(503);
        const body = (await response.json()) as any;
        expect(body.error.code).to.equal('HOST_ENCLAVE_UNAVAILABLE');
        expect(JSON.stringify(body)).to.not.include('ECONNREFUSED');
      } finally {
        await down.cleanup();
      }
    });
  });

  describe('POST /v1/contributions', () => {
    it('stores, records and queues an upload, then answers 201', async () => {
      const upload = await signedUpload(20_000);
      const response = await post(host, upload);
      expect(response.status).to.equal(201);
      expect(response.headers.get('location')).to.equal(`/v1/contributions/${upload.fileId}`);
      expect(response.body).to.deep.include({ fileId: upload.fileId, status: 'queued', contributor: upload.contributor, sizeBytes: 20_000, proof: null, txHash: null });
      expect(await host.deps.blobs.has(upload.fileId)).to.equal(true);
      expect(host.queue.depthByState().queued).to.equal(1);
    });

    it('the same upload twice answers 200 with the same record and queues once', async () => {
      const upload = await signedUpload(1000);
      const first = await post(host, upload);
      const second = await post(host, upload);
      expect(second.status).to.equal(200);
      expect(second.body).to.deep.equal(first.body);
      expect(host.queue.depthByState()).to.deep.include({ queued: 1 });
      expect(await storedFiles(host.blobRoot)).to.have.length(1);
      // The scoring worker is woken once, for the new file only.
      expect(host.queued).to.deep.equal([upload.manifest.ciphertextSha256]);
    });

    it('two concurrent copies of one upload give one 201, one 200 and one queue item', async () => {
      const upload = await signedUpload(50_000);
      const statuses = (await Promise.all([post(host, upload), post(host, upload)])).map((r) => r.status).sort();
      expect(statuses).to.deep.equal([200, 201]);
      expect(host.queue.depthByState().queued).to.equal(1);
      expect(await storedFiles(host.blobRoot)).to.have.length(1);
    });

    it('completes an upload whose blob was stored before a crash but never recorded', async () => {
      const upload = await signedUpload(3000);
      await host.deps.blobs.put(upload.fileId, Readable.from([Buffer.from(upload.ciphertext)]), { maxBytes: 3000 });
      const response = await post(host, upload);
      expect(response.status).to.equal(201);
      expect(host.queue.depthByState().queued).to.equal(1);
    });

    it('refuses a body whose hash is not the manifest ciphertextSha256, storing nothing', async () => {
      const upload = await signedUpload(5000);
      const tampered = Buffer.from(upload.ciphertext);
      tampered[100] = tampered[100]! ^ 1;
      const response = await post(host, upload, tampered);
      expect(response.status).to.equal(400);
      expect(response.body['error'].code).to.equal('HOST_BLOB_HASH_MISMATCH');
      expect(response.body['error'].requestId).to.match(/^req-/);
      expect(await storedFiles(host.blobRoot)).to.deep.equal([]);
      expect((await fetch(`${host.url}/v1/contributions/${upload.fileId}`)).status).to.equal(404);
    });

    it('refuses a declared length over the limit with 413 before reading the body', async () => {
      const upload = await signedUpload(64 * 1024 + 1);
      const response = await post(host, upload);
      expect(response.status).to.equal(413);
      expect(response.body['error']).to.deep.include({ code: 'HOST_UPLOAD_TOO_LARGE', details: { limit: 65536, received: 65537 } });
      expect(await storedFiles(host.blobRoot)).to.deep.equal([]);
    });

    it('cuts off a streamed body that passes the limit with 413, storing nothing', async () => {
      const upload = await signedUpload(100 * 1024);
      const chunks = Array.from({ length: 10 }, (_, i) => upload.ciphertext.subarray(i * 10240, (i + 1) * 10240));
      const response = await rawUpload(host, upload, chunks);
      expect(response).to.not.equal('aborted');
      const { status, body } = response as { status: number; body: string };
      expect(status).to.equal(413);
      expect(JSON.parse(body).error.code).to.equal('HOST_BLOB_TOO_LARGE');
      expect(await storedFiles(host.blobRoot)).to.deep.equal([]);
      expect(host.queue.depthByState().queued).to.equal(0);
    });

    it('a client that disconnects mid-upload leaves nothing behind', async () => {
      const upload = await signedUpload(40 * 1024);
      const chunks = Array.from({ length: 4 }, (_, i) => upload.ciphertext.subarray(i * 10240, (i + 1) * 10240));
      expect(await rawUpload(host, upload, chunks, 2)).to.equal('aborted');
      await eventually(async () => host.logs.some((line) => line.includes('HOST_BLOB_ABORTED') || line.includes('http.request.aborted')));
      await eventually(async () => (await storedFiles(host.blobRoot)).length === 0);
      expect(host.queue.depthByState().queued).to.equal(0);
      // The host still serves.
      expect((await post(host, await signedUpload(10))).status).to.equal(201);
    });

    it('refuses malformed headers early with the field named', async () => {
      const upload = await signedUpload(100);
      const cases: [Record<string, string>, string, number][] = [
        [{ 'content-type': 'multipart/form-data' }, 'HOST_UNSUPPORTED_MEDIA_TYPE', 415],
        [{ 'audata-manifest': 'not base64!' }, 'HOST_INVALID_REQUEST', 400],
        [{ 'audata-manifest': Buffer.from('{"a":').toString('base64') }, 'HOST_INVALID_REQUEST', 400],
        [{ 'audata-manifest': encodeManifestHeader({ ...upload.manifest, language: 'english language!' }) }, 'HOST_INVALID_REQUEST', 400],
        [{ 'audata-manifest': encodeManifestHeader({ ...upload.manifest, termsHash: '0x1234' }) }, 'HOST_INVALID_REQUEST', 400],
        [{ 'audata-manifest': encodeManifestHeader({ ...upload.manifest, createdAt: 2n ** 64n }) }, 'HOST_INVALID_REQUEST', 400],
        [{ 'audata-manifest': Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(encodeManifestHeader(upload.manifest), 'base64url').toString()), owner: '0x1' })).toString('base64') }, 'HOST_INVALID_REQUEST', 400],
        [{ 'audata-manifest-signature': '0x1234' }, 'HOST_INVALID_REQUEST', 400],
        [{ 'audata-manifest-signature': `0x${'00'.repeat(64)}05` }, 'HOST_INVALID_REQUEST', 400],
        [{ 'audata-sealed-key': Buffer.from('another key').toString('base64') }, 'HOST_SEALED_KEY_MISMATCH', 400],
        [{ 'audata-sealed-key': '' }, 'HOST_INVALID_REQUEST', 400],
      ];
      for (const [headers, code, status] of cases) {
        const response = await post(host, upload, upload.ciphertext, headers);
        expect(response.status, JSON.stringify(headers)).to.equal(status);
        expect(response.body['error'].code, JSON.stringify(headers)).to.equal(code);
      }
      const missing = await fetch(`${host.url}/v1/contributions`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: upload.ciphertext });
      expect(((await missing.json()) as any).error.details.field).to.equal('header audata-manifest');
      expect(await storedFiles(host.blobRoot)).to.deep.equal([]);
    });

    it('refuses the same ciphertext under another manifest with 409, keeping the first', async () => {
      const upload = await signedUpload(100);
      await post(host, upload);
      const other = await signedUpload(100);
      const replay = { ...other, ciphertext: upload.ciphertext, manifest: { ...other.manifest, ciphertextSha256: upload.fileId }, fileId: upload.fileId };
      const response = await post(host, replay);
      expect(response.status).to.equal(409);
      expect(response.body['error'].code).to.equal('HOST_CONTRIBUTION_CONFLICT');
      expect((await (await fetch(`${host.url}/v1/contributions/${upload.fileId}`)).json() as any).contributor).to.equal(upload.contributor);
    });
  });

  describe('GET /v1/contributions/:fileId', () => {
    it('shows the status, then the proof and transaction once they exist', async () => {
      const upload = await signedUpload(100);
      await post(host, upload);
      const proof = await signedProof(upload.fileId, upload.contributor);
      host.queue.complete(host.queue.lease('w1')!, proof);
      host.queue.markSubmitted(upload.fileId, '0xabc');
      const response = await fetch(`${host.url}/v1/contributions/${upload.fileId}`);
      const body = (await response.json()) as any;
      expect(body.status).to.equal('submitted');
      expect(body.txHash).to.equal('0xabc');
      expect(body.proof.signature).to.equal(proof.signature);
      expect(body.proof.proof).to.deep.include({ fileId: upload.fileId, score: 8123, deadline: '1763003600' });
    });

    it('with changedFrom, answers the moment the status changes, and with the current one when the wait runs out', async () => {
      const upload = await signedUpload(100);
      await post(host, upload);
      const started = performance.now();
      const waiting = fetch(`${host.url}/v1/contributions/${upload.fileId}?changedFrom=queued&waitSeconds=20`).then(async (r) => ({ at: performance.now(), body: (await r.json()) as any }));
      await new Promise((resolve) => setTimeout(resolve, 150));
      const lease = host.queue.lease('w1')!;
      const changedAt = performance.now();
      const { at, body } = await waiting;
      expect(body.status).to.equal('leased');
      // Woken by the change, well before the 20 s wait or the 1 s recheck.
      expect(at - started).to.be.greaterThan(140);
      expect(at - changedAt).to.be.lessThan(900);
      // Already changed: at once.
      expect(((await (await fetch(`${host.url}/v1/contributions/${upload.fileId}?changedFrom=queued`)).json()) as any).status).to.equal('leased');
      // Unchanged for the whole wait: the current status after it.
      const held = performance.now();
      const unchanged = (await (await fetch(`${host.url}/v1/contributions/${upload.fileId}?changedFrom=leased&waitSeconds=1`)).json()) as any;
      expect(unchanged.status).to.equal('leased');
      expect(performance.now() - held).to.be.greaterThan(900);
      host.queue.complete(lease, await signedProof(upload.fileId, upload.contributor));
    });

    it('refuses a wait on an unknown status or past 30 s with 400, naming the parameter', async () => {
      const upload = await signedUpload(100);
      await post(host, upload);
      for (const [query, field] of [
        ['changedFrom=done', 'query changedFrom'],
        ['changedFrom=queued&waitSeconds=31', 'query waitSeconds'],
        ['changedFrom=queued&waitSeconds=-1', 'query waitSeconds'],
        ['changedFrom=queued&waitSeconds=1.5', 'query waitSeconds'],
        ['waitSeconds=5', 'query waitSeconds'],
        ['changedFrom=queued&changedFrom=leased', 'query changedFrom'],
      ]) {
        const response = await fetch(`${host.url}/v1/contributions/${upload.fileId}?${query}`);
        expect(response.status, query).to.equal(400);
        const error = ((await response.json()) as any).error;
        expect(error.code, query).to.equal('HOST_INVALID_REQUEST');
        expect(error.details.field, query).to.equal(field);
      }
    });

    it('lets go of a wait whose client went away', async () => {
      const upload = await signedUpload(100);
      await post(host, upload);
      const abort = new AbortController();
      const waiting = fetch(`${host.url}/v1/contributions/${upload.fileId}?changedFrom=queued&waitSeconds=30`, { signal: abort.signal }).catch(() => 'aborted');
      await eventually(async () => host.queue.changes.waiting === 1);
      abort.abort();
      expect(await waiting).to.equal('aborted');
      await eventually(async () => host.queue.changes.waiting === 0);
    });

    it('answers 404 for an unknown file and 400 for a malformed id', async () => {
      const unknown = await fetch(`${host.url}/v1/contributions/${randomHex(32)}`);
      expect(unknown.status).to.equal(404);
      expect(((await unknown.json()) as any).error.code).to.equal('HOST_CONTRIBUTION_NOT_FOUND');
      const bad = await fetch(`${host.url}/v1/contributions/0xnothex`);
      expect(bad.status).to.equal(400);
      const undecodable = await fetch(`${host.url}/v1/contributions/%E0%A4%A`);
      expect(undecodable.status).to.equal(400);
      expect(((await undecodable.json()) as any).error.code).to.equal('HOST_BAD_REQUEST');
    });
  });

  describe('errors, health, metrics and logs', () => {
    it('answers 404 with a typed error for an unknown route', async () => {
      const response = await fetch(`${host.url}/v2/anything`);
      expect(response.status).to.equal(404);
      expect(((await response.json()) as any).error.code).to.equal('HOST_ROUTE_NOT_FOUND');
    });

    it('hides an unexpected failure behind a 500 with a request id, and logs it', async () => {
      const upload = await signedUpload(10);
      (host.deps.contributions as unknown as { get: () => never }).get = () => {
        throw new Error('disk on fire at /var/lib/secret-path');
      };
      const response = await fetch(`${host.url}/v1/contributions/${upload.fileId}`);
      expect(response.status).to.equal(500);
      const text = await response.text();
      expect(text).to.not.include('disk on fire');
      const body = JSON.parse(text);
      expect(body.error.code).to.equal('HOST_INTERNAL');
      expect(response.headers.get('x-request-id')).to.equal(body.error.requestId);
      const logged = host.logs.map((line) => JSON.parse(line)).find((line) => line.event === 'http.internal_error');
      expect(logged).to.deep.include({ level: 'error', requestId: body.error.requestId });
      expect(logged.error.message).to.include('disk on fire');
    });

    it('reports health, and 503 when the database is gone', async () => {
      const ok = await fetch(`${host.url}/v1/health`);
      expect(ok.status).to.equal(200);
      expect(await ok.json()).to.deep.include({ status: 'ok', blobStore: 'fs', queue: { queued: 0, leased: 0, scored: 0, submitted: 0, failed: 0 } });
      (host.deps.queue as unknown as { depthByState: () => never }).depthByState = () => {
        throw new Error('database is not open');
      };
      const down = await fetch(`${host.url}/v1/health`);
      expect(down.status).to.equal(503);
      expect(((await down.json()) as any).error.code).to.equal('HOST_UNHEALTHY');
    });

    it('exports request counts, upload bytes, queue depth and latency', async () => {
      const upload = await signedUpload(1234);
      await post(host, upload);
      await post(host, upload);
      await fetch(`${host.url}/v1/contributions/${upload.fileId}`);
      const response = await fetch(`${host.url}/v1/metrics`);
      expect(response.headers.get('content-type')).to.equal('text/plain; version=0.0.4; charset=utf-8');
      const text = await response.text();
      expect(text).to.include('audata_host_http_requests_total{method="POST",route="/v1/contributions",status="201"} 1');
      expect(text).to.include('audata_host_http_requests_total{method="POST",route="/v1/contributions",status="200"} 1');
      expect(text).to.include('audata_host_http_requests_total{method="GET",route="/v1/contributions/:fileId",status="200"} 1');
      expect(text).to.include('audata_host_upload_bytes_total 1234');
      expect(text).to.include('audata_host_uploads_total{outcome="existing"} 1');
      expect(text).to.include('audata_host_queue_items{state="queued"} 1');
      expect(text).to.match(/audata_host_http_request_duration_seconds_count\{method="POST",route="\/v1\/contributions"\} 2/);
    });

    it('logs one line per request with no manifest, signature, sealed key, body or query', async () => {
      const upload = await signedUpload(2000);
      await post(host, upload);
      const nonce = randomHex(32);
      await fetch(`${host.url}/v1/attestation?nonce=${nonce}`);
      const all = host.logs.join('\n');
      const headers = uploadHeaders(upload);
      for (const secret of [headers['audata-manifest']!, headers['audata-sealed-key']!, upload.signature.slice(2, 40), nonce.slice(2), Buffer.from(upload.ciphertext.subarray(0, 16)).toString('hex')]) {
        expect(all).to.not.include(secret);
      }
      const requests = host.logs.map((line) => JSON.parse(line)).filter((line) => line.event === 'http.request');
      expect(requests.map((line) => [line.method, line.route, line.status])).to.deep.equal([
        ['POST', '/v1/contributions', 201],
        ['GET', '/v1/attestation', 200],
      ]);
      expect(requests[1].path).to.equal('/v1/attestation?[redacted]');
    });
  });
});

