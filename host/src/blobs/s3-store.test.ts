import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import { blobStoreContract } from './blob-store-contract.ts';
import { createS3Client, S3BlobStore } from './s3-store.ts';

describe('S3BlobStore against s3rver on loopback', () => {
  let server: S3rver;
  let dir: string;
  let endpoint: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'audata-s3-store-'));
    server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: join(dir, 's3rver'), configureBuckets: [{ name: 'audata' }] });
    const address = await server.run();
    endpoint = `http://127.0.0.1:${address.port}`;
  });
  after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  let run = 0;
  blobStoreContract(async () => {
    run += 1;
    const prefix = `run-${run}/`;
    const spoolDir = join(dir, `spool-${run}`);
    const client = createS3Client({
      endpoint,
      bucket: 'audata',
      region: 'us-east-1',
      prefix,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      forcePathStyle: true,
    });
    return {
      store: new S3BlobStore(client, { bucket: 'audata', prefix, spoolDir }),
      listStored: async () => {
        const listed = await client.send(new ListObjectsV2Command({ Bucket: 'audata', Prefix: prefix }));
        const spooled = await readdir(spoolDir).catch(() => []);
        return [...(listed.Contents ?? []).map((item) => item.Key ?? ''), ...spooled];
      },
      teardown: async () => client.destroy(),
    };
  });
});
