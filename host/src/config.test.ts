import { expect } from 'chai';
import { resolve } from 'node:path';
import { ConfigError, defaults, loadConfig } from './config.ts';

function expectConfigError(fn: () => unknown, setting: string) {
  try {
    fn();
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError);
    expect((error as ConfigError).code).to.equal('HOST_CONFIG_INVALID');
    expect((error as ConfigError).details['setting']).to.equal(setting);
    return error as ConfigError;
  }
  expect.fail(`expected a ConfigError on ${setting}`);
}

describe('loadConfig', () => {
  it('uses defaults when nothing is set', () => {
    const config = loadConfig({}, []);
    expect(config).to.deep.equal({
      dataDir: resolve(defaults.dataDir),
      bind: '127.0.0.1',
      port: 8787,
      blobStore: 'fs',
      s3: undefined,
      maxUploadBytes: 64 * 1024 * 1024,
      leaseMs: 60_000,
      maxAttempts: 5,
      scoringConcurrency: 2,
      logLevel: 'info',
    });
  });

  it('reads the environment, and flags win over it', () => {
    const config = loadConfig({ AUDATA_HOST_PORT: '9000', AUDATA_HOST_DATA_DIR: '/tmp/a', AUDATA_HOST_MAX_UPLOAD_BYTES: '1024' }, [
      '--port',
      '9001',
      '--log-level',
      'debug',
    ]);
    expect(config.port).to.equal(9001);
    expect(config.dataDir).to.equal('/tmp/a');
    expect(config.maxUploadBytes).to.equal(1024);
    expect(config.logLevel).to.equal('debug');
  });

  it('names the bad setting and where it came from', () => {
    expectConfigError(() => loadConfig({ AUDATA_HOST_PORT: '80a' }), 'AUDATA_HOST_PORT');
    expectConfigError(() => loadConfig({}, ['--port', '70000']), '--port');
    expectConfigError(() => loadConfig({ AUDATA_HOST_BLOB_STORE: 'ftp' }), 'AUDATA_HOST_BLOB_STORE');
    expectConfigError(() => loadConfig({ AUDATA_HOST_MAX_UPLOAD_BYTES: '0' }), 'AUDATA_HOST_MAX_UPLOAD_BYTES');
    expectConfigError(() => loadConfig({ AUDATA_HOST_LOG_LEVEL: 'loud' }), 'AUDATA_HOST_LOG_LEVEL');
    expectConfigError(() => loadConfig({ AUDATA_HOST_BIND: 'a b' }), 'AUDATA_HOST_BIND');
    expectConfigError(() => loadConfig({}, ['--nope', '1']), 'command line');
  });

  it('requires a valid bucket and endpoint for the s3 store', () => {
    expectConfigError(() => loadConfig({ AUDATA_HOST_BLOB_STORE: 's3' }), 'AUDATA_HOST_S3_BUCKET');
    expectConfigError(
      () => loadConfig({ AUDATA_HOST_BLOB_STORE: 's3', AUDATA_HOST_S3_BUCKET: 'audata', AUDATA_HOST_S3_ENDPOINT: 'ftp://x' }),
      'AUDATA_HOST_S3_ENDPOINT',
    );
    const config = loadConfig({
      AUDATA_HOST_BLOB_STORE: 's3',
      AUDATA_HOST_S3_BUCKET: 'audata-blobs',
      AUDATA_HOST_S3_ENDPOINT: 'http://127.0.0.1:4568',
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
    });
    expect(config.s3).to.deep.equal({
      endpoint: 'http://127.0.0.1:4568',
      bucket: 'audata-blobs',
      region: 'us-east-1',
      prefix: '',
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      forcePathStyle: true,
    });
  });

  it('refuses half a credential pair without echoing it', () => {
    const error = expectConfigError(
      () => loadConfig({ AUDATA_HOST_BLOB_STORE: 's3', AUDATA_HOST_S3_BUCKET: 'audata', AWS_SECRET_ACCESS_KEY: 'very-secret-value' }),
      'AWS_ACCESS_KEY_ID',
    );
    expect(JSON.stringify(error)).to.not.include('very-secret-value');
    expect(error.message).to.not.include('very-secret-value');
  });
});
