import { expect } from 'chai';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import S3rver from 's3rver';
import { loadConfig } from './config.ts';
import { createHost, startHost } from './host.ts';
import { createLogger } from './log.ts';
import { encodeManifestHeader } from './routes/upload-request.ts';
import { signedUpload, tempDir } from './test-fixtures.ts';

const enclave = {
  attest: async () => ({ document: new Uint8Array([1]) }),
  score: async () => Promise.reject(new Error('not in this test')),
};

describe('startHost', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await tempDir('audata-host-')));
  afterEach(() => cleanup());

  it('serves from a configured data directory and keeps contributions across a restart', async () => {
    const config = loadConfig({ AUDATA_HOST_DATA_DIR: join(dir, 'data') }, ['--port', '0']);
    const logs: string[] = [];
    const logger = createLogger({ sink: (line) => logs.push(line) });
    const upload = await signedUpload(500);
    const first = await startHost(config, { enclave, logger });
    const response = await fetch(`${first.listening.url}/v1/contributions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/octet-stream',
        'audata-manifest': encodeManifestHeader(upload.manifest),
        'audata-manifest-signature': upload.signature,
        'audata-sealed-key': Buffer.from(upload.sealedKey).toString('base64'),
      },
      body: upload.ciphertext,
    });
    expect(response.status).to.equal(201);
    await first.listening.close();
    first.close();

    const second = await startHost(config, { enclave, logger });
    try {
      const status = await fetch(`${second.listening.url}/v1/contributions/${upload.fileId}`);
      expect(((await status.json()) as { status: string }).status).to.equal('queued');
      expect(await second.blobs.has(upload.fileId)).to.equal(true);
    } finally {
      await second.listening.close();
      second.close();
    }
    expect(JSON.parse(logs.find((line) => line.includes('host.started'))!)).to.deep.include({ blobStore: 'fs', dataDir: join(dir, 'data') });
  });

  it('refuses a data directory it cannot use', async () => {
    await writeFile(join(dir, 'file'), 'x');
    const config = loadConfig({ AUDATA_HOST_DATA_DIR: join(dir, 'file') });
    expect(() => createHost(config, { enclave })).to.throw().with.property('code', 'HOST_DATA_DIR_UNUSABLE');
  });

  it('gives HOST_PORT_IN_USE and releases the database when the port is taken', async () => {
    const a = await startHost(loadConfig({ AUDATA_HOST_DATA_DIR: join(dir, 'a') }, ['--port', '0']), { enclave, logger: createLogger({ sink: () => {} }) });
    try {
      const config = loadConfig({ AUDATA_HOST_DATA_DIR: join(dir, 'b') }, ['--port', String(a.listening.port)]);
      const error = await startHost(config, { enclave }).then(
        () => expect.fail('should not start'),
        (e: unknown) => e as { code: string },
      );
      expect(error.code).to.equal('HOST_PORT_IN_USE');
    } finally {
      await a.listening.close();
      a.close();
    }
  });

  it('stores uploads in S3 when configured so (s3rver on loopback)', async () => {
    const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: join(dir, 's3'), configureBuckets: [{ name: 'audata-host' }] });
    const address = await server.run();
    try {
      const config = loadConfig(
        {
          AUDATA_HOST_DATA_DIR: join(dir, 'data'),
          AUDATA_HOST_BLOB_STORE: 's3',
          AUDATA_HOST_S3_BUCKET: 'audata-host',
          AUDATA_HOST_S3_ENDPOINT: `http://127.0.0.1:${address.port}`,
          AWS_ACCESS_KEY_ID: 'S3RVER',
          AWS_SECRET_ACCESS_KEY: 'S3RVER',
        },
        ['--port', '0'],
      );
      const host = await startHost(config, { enclave, logger: createLogger({ sink: () => {} }) });
      try {
        const upload = await signedUpload(200_000);
        const response = await fetch(`${host.listening.url}/v1/contributions`, {
          method: 'POST',
          headers: {
            'content-type': 'application/octet-stream',
            'audata-manifest': encodeManifestHeader(upload.manifest),
            'audata-manifest-signature': upload.signature,
            'audata-sealed-key': Buffer.from(upload.sealedKey).toString('base64'),
          },
          body: upload.ciphertext,
        });
        expect(response.status).to.equal(201);
        expect(host.blobs.kind).to.equal('s3');
        const stored = Buffer.concat(await (await host.blobs.get(upload.fileId)).toArray());
        expect(stored.equals(upload.ciphertext)).to.equal(true);
      } finally {
        await host.listening.close();
        host.close();
      }
    } finally {
      await server.close();
    }
  });
});
