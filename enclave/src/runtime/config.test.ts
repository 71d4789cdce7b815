import { expect } from 'chai';
import { availableParallelism } from 'node:os';
import { DEFAULT_SCORING_TIMEOUT_MS, MAX_SCORING_THREADS, readEnclaveConfig } from './config.ts';

const base = { AUDATA_KMS_KEY_ID: 'arn:aws:kms:us-east-1:1:key/k', AUDATA_REGISTRY: '0x5FbDB2315678afecb367f032d93F642f64180aa3' };

describe('enclave configuration', () => {
  it('reads defaults, a TCP address or a Unix socket', () => {
    const config = readEnclaveConfig(base, '/app');
    expect(config.listen).to.deep.equal({ host: '127.0.0.1', port: 7100 });
    expect(config.nsm).to.equal('simulated');
    expect(config.measurementPath).to.equal('/app/measurement.json');
    expect(readEnclaveConfig({ ...base, AUDATA_ENCLAVE_LISTEN: '/run/enclave.sock', AUDATA_NSM: 'nitro' }, '/app').listen).to.deep.equal({ path: '/run/enclave.sock' });
  });

  it('signs KMS calls with the host\'s credentials under the Nitro NSM, the default chain otherwise; AUDATA_KMS_CREDENTIALS overrides', () => {
    expect(readEnclaveConfig(base, '/app').kmsCredentials).to.equal('default');
    expect(readEnclaveConfig({ ...base, AUDATA_NSM: 'nitro' }, '/app').kmsCredentials).to.equal('host');
    expect(readEnclaveConfig({ ...base, AUDATA_KMS_CREDENTIALS: 'host' }, '/app').kmsCredentials).to.equal('host');
    expect(readEnclaveConfig({ ...base, AUDATA_NSM: 'nitro', AUDATA_KMS_CREDENTIALS: 'default' }, '/app').kmsCredentials).to.equal('default');
    expect(() => readEnclaveConfig({ ...base, AUDATA_KMS_CREDENTIALS: 'imds' }, '/app')).to.throw().with.property('code', 'ENCLAVE_CONFIG_INVALID');
  });

  it('refuses a missing KMS key, a bad registry, address or NSM mode', () => {
    for (const env of [
      { AUDATA_REGISTRY: base.AUDATA_REGISTRY },
      { ...base, AUDATA_REGISTRY: '0x1234' },
      { ...base, AUDATA_ENCLAVE_LISTEN: 'example.com:80' },
      { ...base, AUDATA_ENCLAVE_LISTEN: '127.0.0.1:70000' },
      { ...base, AUDATA_NSM: 'debug' },
      { ...base, AUDATA_CHAIN_ID: '-1' },
    ]) {
      expect(() => readEnclaveConfig(env, '/app'), JSON.stringify(env)).to.throw().with.property('code', 'ENCLAVE_CONFIG_INVALID');
    }
  });

  it('turns buyer jobs on only with an RPC URL, a policy registry and an escrow, all valid', () => {
    expect(readEnclaveConfig(base, '/app').jobs).to.equal(undefined);
    const jobs = { AUDATA_RPC_URL: 'http://127.0.0.1:8545', AUDATA_ACCESS_POLICY_REGISTRY: base.AUDATA_REGISTRY, AUDATA_JOB_ESCROW: base.AUDATA_REGISTRY };
    expect(readEnclaveConfig({ ...base, ...jobs }, '/app').jobs).to.deep.equal({ rpcUrl: jobs.AUDATA_RPC_URL, accessPolicyRegistry: base.AUDATA_REGISTRY, jobEscrow: base.AUDATA_REGISTRY });
    for (const env of [{ AUDATA_RPC_URL: jobs.AUDATA_RPC_URL }, { ...jobs, AUDATA_RPC_URL: 'ftp://x' }, { ...jobs, AUDATA_JOB_ESCROW: '0x12' }, { ...jobs, AUDATA_ACCESS_POLICY_REGISTRY: undefined }]) {
      expect(() => readEnclaveConfig({ ...base, ...env }, '/app'), JSON.stringify(env)).to.throw().with.property('code', 'ENCLAVE_CONFIG_INVALID');
    }
  });

  it('scores on every core up to 8 by default; AUDATA_SCORING_THREADS sets 1 to 8', () => {
    expect(readEnclaveConfig(base, '/app').scoringThreads).to.equal(Math.min(availableParallelism(), MAX_SCORING_THREADS));
    expect(readEnclaveConfig({ ...base, AUDATA_SCORING_THREADS: '1' }, '/app').scoringThreads).to.equal(1);
    expect(readEnclaveConfig({ ...base, AUDATA_SCORING_THREADS: '8' }, '/app').scoringThreads).to.equal(8);
    for (const value of ['0', '9', '2.5', '-1', 'two', '', ' 2']) {
      expect(() => readEnclaveConfig({ ...base, AUDATA_SCORING_THREADS: value }, '/app'), value).to.throw().with.property('code', 'ENCLAVE_CONFIG_INVALID');
    }
  });

  it('gives a file at least 30 s on a scoring thread by default; AUDATA_SCORING_TIMEOUT_MS sets 1 s to 1 h', () => {
    expect(DEFAULT_SCORING_TIMEOUT_MS).to.equal(30_000);
    expect(readEnclaveConfig(base, '/app').scoringTimeoutMs).to.equal(30_000);
    expect(readEnclaveConfig({ ...base, AUDATA_SCORING_TIMEOUT_MS: '1000' }, '/app').scoringTimeoutMs).to.equal(1000);
    expect(readEnclaveConfig({ ...base, AUDATA_SCORING_TIMEOUT_MS: '3600000' }, '/app').scoringTimeoutMs).to.equal(3_600_000);
    for (const value of ['999', '3600001', '0', '30s', '1e4', '-5000', '', ' 30000', '30000.5']) {
      expect(() => readEnclaveConfig({ ...base, AUDATA_SCORING_TIMEOUT_MS: value }, '/app'), value).to.throw().with.property('code', 'ENCLAVE_CONFIG_INVALID');
    }
  });
});
