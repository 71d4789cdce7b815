import { expect } from 'chai';
import { enclaveCredentialsFromEnv } from './enclave-credentials.ts';

describe('enclaveCredentialsFromEnv', () => {
  it('hands the enclave nothing unless AUDATA_ENCLAVE_AWS_CREDENTIALS=1, and refuses another value', () => {
    expect(enclaveCredentialsFromEnv({})).to.equal(undefined);
    expect(enclaveCredentialsFromEnv({ AUDATA_ENCLAVE_AWS_CREDENTIALS: '0' })).to.equal(undefined);
    expect(() => enclaveCredentialsFromEnv({ AUDATA_ENCLAVE_AWS_CREDENTIALS: 'yes' })).to.throw().with.property('code', 'HOST_CONFIG_INVALID');
  });

  it('resolves the credentials through the SDK default chain (here its environment variables)', async () => {
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    process.env.AWS_ACCESS_KEY_ID = 'AKIAHOSTENVTEST0001';
    process.env.AWS_SECRET_ACCESS_KEY = 'host-env-secret';
    try {
      const credentials = await enclaveCredentialsFromEnv({ AUDATA_ENCLAVE_AWS_CREDENTIALS: '1' })!();
      expect(credentials.accessKeyId).to.equal('AKIAHOSTENVTEST0001');
      expect(credentials.secretAccessKey).to.equal('host-env-secret');
    } finally {
      for (const [name, value] of [['AWS_ACCESS_KEY_ID', saved.id], ['AWS_SECRET_ACCESS_KEY', saved.secret]] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });
});
